import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { RecentProjectSchema, type RecentProject } from '../../../shared/settings'
import { readJsonFile, writeJsonFile } from './jsonFileStore'

const MAX_RECENT = 12

export interface RecentProjectsService {
  list(): Promise<RecentProject[]>
  remember(entry: { path: string; name: string }): Promise<RecentProject[]>
  forget(folder: string): Promise<RecentProject[]>
  dispose(): void
}

/** The start page's "recent projects": newest first, one entry per folder, at most 12. */
export class RecentProjectsStore implements RecentProjectsService {
  private readonly file: string

  constructor(
    private readonly appDataDir: string,
    private readonly onProblem: (message: string) => void = () => {},
    private readonly now: () => Date = () => new Date()
  ) {
    this.file = path.join(appDataDir, 'recent-projects.json')
  }

  list(): Promise<RecentProject[]> {
    return readJsonFile(this.file, z.array(RecentProjectSchema), [], this.onProblem)
  }

  async remember(entry: { path: string; name: string }): Promise<RecentProject[]> {
    const folder = path.resolve(entry.path)
    const others = (await this.list()).filter((item) => item.path !== folder)
    const next = [{ path: folder, name: entry.name, openedAt: this.now().toISOString() }, ...others].slice(0, MAX_RECENT)
    await this.save(next)
    return next
  }

  async forget(folder: string): Promise<RecentProject[]> {
    const resolved = path.resolve(folder)
    const next = (await this.list()).filter((item) => item.path !== resolved)
    await this.save(next)
    return next
  }

  dispose(): void {}

  private async save(items: RecentProject[]): Promise<void> {
    await mkdir(this.appDataDir, { recursive: true })
    await writeJsonFile(this.file, items)
  }
}
