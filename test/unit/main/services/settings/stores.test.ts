import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RecentProjectsStore } from '../../../../../src/main/services/settings/RecentProjectsStore'
import { SettingsStore } from '../../../../../src/main/services/settings/SettingsStore'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'voxloop-settings-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('SettingsStore', () => {
  it('defaults to automatic backend choice and persists changes', async () => {
    expect(await new SettingsStore(dir).get()).toEqual({ computeBackend: 'auto' })
    await new SettingsStore(dir).update({ computeBackend: 'wasm' })
    expect(await new SettingsStore(dir).get()).toEqual({ computeBackend: 'wasm' })
    expect(JSON.parse(await readFile(path.join(dir, 'settings.json'), 'utf8'))).toEqual({ computeBackend: 'wasm' })
  })

  it('survives a corrupt settings file, reporting it', async () => {
    await writeFile(path.join(dir, 'settings.json'), '{ not json')
    const problems: string[] = []
    expect(await new SettingsStore(dir, (m) => problems.push(m)).get()).toEqual({ computeBackend: 'auto' })
    expect(problems[0]).toMatch(/settings\.json: ignored, not JSON/)
  })
})

describe('RecentProjectsStore', () => {
  it('keeps newest first, one entry per folder, at most 12', async () => {
    let clock = 0
    const store = new RecentProjectsStore(dir, undefined, () => new Date(1_700_000_000_000 + clock++ * 1000))
    for (let i = 0; i < 14; i++) await store.remember({ path: `/projects/p${i}`, name: `P${i}` })
    await store.remember({ path: '/projects/p5/', name: 'P5 again' })
    const list = await store.list()
    expect(list).toHaveLength(12)
    expect(list[0]).toMatchObject({ path: path.resolve('/projects/p5'), name: 'P5 again' })
    expect(list.filter((item) => item.path === path.resolve('/projects/p5'))).toHaveLength(1)
    expect(list[1]?.name).toBe('P13')
  })

  it('forgets a folder without touching it', async () => {
    const store = new RecentProjectsStore(dir)
    await store.remember({ path: '/a', name: 'A' })
    await store.remember({ path: '/b', name: 'B' })
    expect((await store.forget('/a')).map((item) => item.name)).toEqual(['B'])
  })
})
