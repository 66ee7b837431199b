/**
 * Crash safety of label edits under SIGKILL (see test/helpers/reliability/killHarness.ts): every
 * label file stays a complete NIfTI and the reopened project holds every acknowledged edit.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKillProject, runKillCycles } from '../../../../helpers/reliability/killHarness'
import { makeTempDir, removeDir } from './projectFixtures'

const MASTER_SEED = 0x5eed_2024
const RUNS = 20

describe('label journal under SIGKILL', () => {
  let base: string
  let dir: string

  beforeAll(async () => {
    base = await makeTempDir('crash')
    dir = path.join(base, 'project')
    await createKillProject(dir)
  })

  afterAll(async () => {
    await removeDir(base)
  })

  // About 10 s on an idle machine; the margin is for busy CI runners (20 child processes start).
  it(`keeps every acknowledged edit across ${RUNS} kills`, { timeout: 120_000 }, async () => {
    const report = await runKillCycles({ dir, runs: RUNS, seed: MASTER_SEED })
    expect(report.incomplete).toEqual([])
    expect(report.unexplained).toEqual([])
    expect(report.acknowledged).toBeGreaterThan(RUNS)
    expect(report.killedWhileOpening).toBeGreaterThan(0)
  })
})
