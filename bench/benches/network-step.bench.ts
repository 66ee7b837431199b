/**
 * Seconds per training step of each registered network, on the path training takes (the registry's
 * build from resolved options, `openStepper` with the workers the plan would use, `trainStep`'s loss
 * including deep supervision): the 3D networks on batch 2 of 40×56×40 (the hippocampus patch rounded up, as planned on tfjs-node
 * and on the CPU before it rounded to the nearest; kept so that its figures stay comparable), the 2D
 * ones on batch 2 of 1×256×256 slices (their default depth sized from the 256 px edge); 3 classes,
 * 8, 12 and 16 base filters. What a wider network costs within the 15-minute budget (docs/TRAINING.md).
 *
 * Baseline: the default network (3D) or the default 2D network (2D) at 8 filters, measured in the same run.
 * Env: VOXLOOP_BENCH_STEPS (timed steps per network, default 8, after 3 warm-up steps);
 * VOXLOOP_BENCH_FILTERS (comma-separated base filters, default 8,12,16);
 * VOXLOOP_BENCH_NETWORKS (comma-separated names, default all; the baselines are always measured).
 */
import * as tf from '@tensorflow/tfjs'
import { activateBackend } from '../../src/engine/backends/activateBackend'
import type { Batch } from '../../src/engine/data/BatchSampler'
import { ARCHITECTURE_REGISTRY } from '../../src/engine/model/architectures'
import { openStepper } from '../../src/engine/train/parallel/openStepper'
import { chooseTrainingWorkers } from '../../src/engine/train/parallel/trainingWorkers'
import { stepModel } from '../../src/engine/train/trainStep'
import { createRandom } from '../../src/shared/random'
import { ARCHITECTURES, DEFAULT_ARCHITECTURE, DEFAULT_ARCHITECTURE_2D, type ArchitectureName } from '../../src/shared/training'
import { loadAverage } from '../benchCommon'
import type { Bench, BenchReport, BenchRow } from '../report'

const STEPS = Math.max(1, Math.floor(Number(process.env.VOXLOOP_BENCH_STEPS ?? 8)))
const FILTERS = (process.env.VOXLOOP_BENCH_FILTERS ?? '8,12,16').split(',').map(Number)
const NETWORKS = process.env.VOXLOOP_BENCH_NETWORKS?.split(',') ?? ARCHITECTURES
const PATCH = [40, 56, 40] as const
const SLICE = [1, 256, 256] as const
const BATCH = 2
const CLASSES = 3

/** A batch with a blob of each class, so that Dice and CE have real work (the values do not change the cost). */
function syntheticBatch(patch: readonly [number, number, number]): Batch {
  const random = createRandom(7)
  const voxels = BATCH * patch[0] * patch[1] * patch[2]
  const image = Float32Array.from({ length: voxels }, () => random.next() * 2 - 1)
  const label = Uint8Array.from({ length: voxels }, (_, v) => (v % 97 < 5 ? 1 : v % 89 < 4 ? 2 : 0))
  return { image, label, shape: [BATCH, patch[0], patch[1], patch[2], 1], step: 0, samples: [] }
}

async function secondsPerStep(name: ArchitectureName, baseFilters: number, batch: Batch): Promise<{ seconds: number; parameters: number; workers: number; depth: number }> {
  const network = ARCHITECTURE_REGISTRY[name]
  const options = network.resolve({ inputChannels: 1, numClasses: CLASSES, seed: 1, baseFilters, planeEdge: network.planar ? SLICE[2] : undefined })
  const model = network.build(options)
  const optimizer = tf.train.adam(1e-3)
  const { workers } = chooseTrainingWorkers(tf.getBackend(), BATCH)
  const { stepper, workers: used } = await openStepper(stepModel(model), optimizer, workers)
  try {
    for (let i = 0; i < 3; i++) await stepper.step(batch)
    const start = performance.now()
    for (let i = 0; i < STEPS; i++) await stepper.step(batch)
    return { seconds: (performance.now() - start) / 1000 / STEPS, parameters: model.countParams(), workers: used, depth: network.depthOf(options) }
  } finally {
    await stepper.dispose()
    optimizer.dispose()
    model.dispose()
  }
}

async function run(): Promise<BenchReport> {
  const backend = await activateBackend('auto')
  const batches = { volume: syntheticBatch(PATCH), slice: syntheticBatch(SLICE) }
  const loadBefore = loadAverage()
  const rows: BenchRow[] = []
  const baselines = [`${DEFAULT_ARCHITECTURE} × 8 filters`, `${DEFAULT_ARCHITECTURE_2D} × 8 filters`]
  const wanted = new Set([...NETWORKS, DEFAULT_ARCHITECTURE, DEFAULT_ARCHITECTURE_2D])
  for (const baseFilters of FILTERS) {
    for (const name of ARCHITECTURES.filter((n) => wanted.has(n))) {
      const planar = ARCHITECTURE_REGISTRY[name].planar
      const { seconds, parameters, workers, depth } = await secondsPerStep(name, baseFilters, planar ? batches.slice : batches.volume)
      const row = `${name} × ${baseFilters} filters`
      const baseline = planar ? baselines[1] : baselines[0]
      console.log(`  ${row}: ${seconds.toFixed(3)} s/step, depth ${depth}, ${parameters} parameters, ${workers} worker(s), load ${loadAverage()}`)
      rows.push({
        name: row,
        value: seconds,
        unit: 's/step',
        note: `${planar ? SLICE.join('×') : PATCH.join('×')}, depth ${depth}; ${parameters.toLocaleString('en-US')} parameters; ≈ ${Math.floor(900 / seconds)} steps in 15 min`,
        ...(baselines.includes(row) ? {} : { baselineOf: baseline })
      })
    }
  }
  return {
    name: 'network-step',
    rows,
    notes: [
      `one optimiser step (forward, Dice + CE per output, backward, Adam) on batch ${BATCH} of ${PATCH.join('×')} (3D networks) or ${SLICE.join('×')} (2D), ${CLASSES} classes; each network as the registry builds it by default (deep supervision where it has it); ${STEPS} timed steps after 3 warm-up steps`,
      `backend: ${backend.chosen} (${backend.reason}); load average before ${loadBefore}, after ${loadAverage()}`
    ],
    environment: { tfjs: tf.version.tfjs, steps: STEPS }
  }
}

export const bench: Bench = {
  name: 'network-step',
  description: 'seconds per training step of each registered network at 8, 12 and 16 base filters (hippocampus patch or a 256² slice, batch 2)',
  run
}
