import { describe, expect, it } from 'vitest'
import { chooseTrainingWorkers, shardSizes } from '../../../../../src/engine/train/parallel/trainingWorkers'

describe('chooseTrainingWorkers', () => {
  const table: Array<{ backend: string; batch: number; cores: number; env?: string; workers: number; threads: number }> = [
    { backend: 'wasm', batch: 2, cores: 2, workers: 2, threads: 1 },
    { backend: 'wasm', batch: 2, cores: 1, workers: 1, threads: 1 },
    { backend: 'wasm', batch: 1, cores: 8, workers: 1, threads: 1 },
    { backend: 'wasm', batch: 2, cores: 16, workers: 2, threads: 8 },
    { backend: 'wasm', batch: 4, cores: 6, workers: 4, threads: 1 },
    { backend: 'wasm', batch: 16, cores: 32, workers: 8, threads: 4 },
    { backend: 'wasm', batch: 2, cores: 2, env: '1', workers: 1, threads: 1 },
    { backend: 'wasm', batch: 4, cores: 2, env: '4', workers: 4, threads: 1 },
    { backend: 'tensorflow', batch: 2, cores: 8, workers: 1, threads: 1 },
    { backend: 'cpu', batch: 2, cores: 8, workers: 1, threads: 1 }
  ]
  for (const row of table) {
    it(`${row.backend}, batch ${row.batch}, ${row.cores} cores${row.env ? `, VOXLOOP_TRAIN_WORKERS=${row.env}` : ''}: ${row.workers} × ${row.threads}`, () => {
      const env = row.env === undefined ? {} : { VOXLOOP_TRAIN_WORKERS: row.env }
      const choice = chooseTrainingWorkers(row.backend, row.batch, row.cores, env)
      expect([choice.workers, choice.threadsPerWorker]).toEqual([row.workers, row.threads])
      expect(choice.reason.length).toBeGreaterThan(5)
    })
  }

  it('rejects a bad VOXLOOP_TRAIN_WORKERS, naming it', () => {
    expect(() => chooseTrainingWorkers('wasm', 2, 2, { VOXLOOP_TRAIN_WORKERS: 'two' })).toThrow(/VOXLOOP_TRAIN_WORKERS must be a whole number ≥ 1, got "two"/)
    expect(() => chooseTrainingWorkers('wasm', 2, 2, { VOXLOOP_TRAIN_WORKERS: '0' })).toThrow(/VOXLOOP_TRAIN_WORKERS/)
  })
})

describe('shardSizes', () => {
  it.each([
    [2, 2, [1, 1]],
    [3, 2, [2, 1]],
    [5, 3, [2, 2, 1]],
    [1, 4, [1]],
    [8, 2, [4, 4]]
  ])('batch %i over %i workers → %j', (batch, workers, sizes) => {
    expect(shardSizes(batch, workers)).toEqual(sizes)
    expect(shardSizes(batch, workers).reduce((a, b) => a + b, 0)).toBe(batch)
  })
})
