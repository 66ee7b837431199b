/**
 * A checkpoint's state as the resume path reads it: the 'plateau' schedule's state round-trips,
 * and a checkpoint written before that schedule existed reads as "no reduction yet".
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CHECKPOINT_FORMAT_VERSION, readCheckpointContents } from '../../../../src/engine/train/checkpoint'
import { INITIAL_PLATEAU } from '../../../../src/engine/train/lrSchedule'

let dir: string | null = null

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
  dir = null
})

/** A checkpoint folder with this state.json and an optimiser without slots. */
async function checkpointWith(state: Record<string, unknown>): Promise<string> {
  dir = await mkdtemp(path.join(tmpdir(), 'voxloop-checkpoint-'))
  const relative = 'checkpoints/e0002'
  await mkdir(path.join(dir, relative), { recursive: true })
  await writeFile(path.join(dir, relative, 'state.json'), JSON.stringify(state))
  await writeFile(path.join(dir, relative, 'optimizer.bin'), new Uint8Array(0))
  return relative
}

const STATE = {
  formatVersion: CHECKPOINT_FORMAT_VERSION,
  epoch: 2,
  step: 20,
  optimizer: { kind: 'adam', iterations: 20, adamBetaPowers: [0.5, 0.9], slots: [] },
  sampler: { version: 1, seed: 3, step: 20, fingerprint: 'abc' },
  random: { scheme: 'per-step', seed: 3 },
  earlyStopping: { bestScore: 0.8, bestEpoch: 1, epochsWithoutImprovement: 1 },
  history: []
}

describe('checkpoint state: the plateau schedule', () => {
  it('reads the reductions and counters stored', async () => {
    const plateau = { reductions: 2, bestScore: 0.8, epochsWithoutImprovement: 1 }
    const relative = await checkpointWith({ ...STATE, plateau })
    expect((await readCheckpointContents(dir as string, relative)).plateau).toEqual(plateau)
  })

  it('reads a checkpoint from before the plateau schedule as no reduction yet', async () => {
    const relative = await checkpointWith(STATE)
    expect((await readCheckpointContents(dir as string, relative)).plateau).toEqual(INITIAL_PLATEAU)
  })

  it('refuses a malformed plateau state as a corrupt checkpoint', async () => {
    const relative = await checkpointWith({ ...STATE, plateau: { reductions: -1, bestScore: null, epochsWithoutImprovement: 0 } })
    await expect(readCheckpointContents(dir as string, relative)).rejects.toThrow(/not a checkpoint state/)
  })
})
