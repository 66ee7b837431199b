import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireProjectLock, processStartTicks } from '../../../../../src/main/services/project/projectLock'
import { runLockRace } from '../../../../helpers/reliability/lockRace'

describe('project lock', () => {
  let dir: string
  let file: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'voxloop-lock-'))
    file = path.join(dir, '.voxloop.lock')
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('is written whole, names its owner, and leaves no temporary files', async () => {
    const lock = await acquireProjectLock(file, dir)
    const owner = JSON.parse(await readFile(file, 'utf8')) as { pid: number; host: string; nonce: string; startTicks: number | null }
    expect(owner.pid).toBe(process.pid)
    expect(owner.host).toBe(hostname())
    expect(owner.nonce).toMatch(/^[0-9a-f]{24}$/)
    if (process.platform === 'linux') expect(owner.startTicks).toBe(processStartTicks(process.pid))
    expect(await readdir(dir)).toEqual(['.voxloop.lock'])
    await lock.release()
    expect(await readdir(dir)).toEqual([])
  })

  it('refuses a second owner while the first is alive, this process included', async () => {
    const lock = await acquireProjectLock(file, dir)
    await expect(acquireProjectLock(file, dir)).rejects.toThrow(/already open in this process/)
    await lock.release()
    const again = await acquireProjectLock(file, dir)
    await again.release()
  })

  it('takes over a lock whose pid is alive but belongs to a later process (pid reuse)', async (ctx) => {
    if (process.platform !== 'linux') ctx.skip('process start times are read from /proc, which only Linux has')
    const ticks = processStartTicks(process.pid) ?? 0
    await writeFile(file, JSON.stringify({ pid: process.pid, host: hostname(), startTicks: ticks + 5, bootId: null, nonce: 'x', since: '' }))
    const lock = await acquireProjectLock(file, dir)
    expect(JSON.parse(await readFile(file, 'utf8')).startTicks).toBe(ticks)
    await lock.release()
  })

  it('release does not remove a lock that a forced takeover replaced', async () => {
    const first = await acquireProjectLock(file, dir)
    const second = await acquireProjectLock(file, dir, { force: true })
    await first.release()
    const owner = JSON.parse(await readFile(file, 'utf8')) as { nonce: string }
    expect(owner.nonce).toBeTruthy()
    await second.release()
    expect(await readdir(dir)).toEqual([])
  })

  it('gives a stale lock to exactly one of 4 racing processes, 60 rounds in a row', async () => {
    const report = await runLockRace({ dir, rounds: 60, workers: 4 })
    expect(report.refusals).toEqual([])
    expect(report.doubleOwners).toBe(0)
    expect(report.noOwner).toBe(0)
  }, 180_000)
})
