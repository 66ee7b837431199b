import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { SettingsSchema, type Settings, type SettingsPatch } from '../../../shared/settings'
import { readJsonFile, writeJsonFile } from './jsonFileStore'

export interface SettingsService {
  get(): Promise<Settings>
  update(patch: SettingsPatch): Promise<Settings>
  dispose(): void
}

/** Settings live in <appData>/settings.json, written atomically. */
export class SettingsStore implements SettingsService {
  private readonly file: string
  private cache: Settings | null = null

  constructor(
    private readonly appDataDir: string,
    private readonly onProblem: (message: string) => void = () => {}
  ) {
    this.file = path.join(appDataDir, 'settings.json')
  }

  async get(): Promise<Settings> {
    this.cache ??= await readJsonFile(this.file, SettingsSchema, SettingsSchema.parse({}), this.onProblem)
    return this.cache
  }

  async update(patch: SettingsPatch): Promise<Settings> {
    const next = SettingsSchema.parse({ ...(await this.get()), ...patch })
    await mkdir(this.appDataDir, { recursive: true })
    await writeJsonFile(this.file, next)
    this.cache = next
    return next
  }

  dispose(): void {
    this.cache = null
  }
}
