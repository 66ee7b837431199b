/**
 * 2D images end to end through the function the Train button and `voxloop train` run (runTraining,
 * on wasm with the project's kernels): one-slice cases as the PNG importer writes them (dims
 * [W, H, 1], affine diag(−sx, −sy, 1)) get the 2D plain U-Net by default, train on [1, H, W]
 * patches, and the saved version predicts a case on its own grid; U-Net++ in 2D the same way.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activateBackend } from '../../../../src/engine/backends/activateBackend'
import { predictCaseForReview, releasePredictionModel } from '../../../../src/engine/infer/predictCaseForReview'
import { readRunRecord, runTraining } from '../../../../src/engine/train'
import { chooseTrainingWorkers } from '../../../../src/engine/train/parallel/trainingWorkers'
import type { CaseFiles } from '../../../../src/shared/engineProtocol'
import { rasFromIjkFor2d } from '../../../../src/shared/geometry/image2dAffine'
import { createRandom } from '../../../../src/shared/random'
import { TrainingOptionsSchema } from '../../../../src/shared/training'
import { buildNiftiGz } from '../../../helpers/niftiBuilder'

const EDGE = 64
let root = ''
let cases: CaseFiles[] = []
/** Each case's label, pixel (column i, row j) at i + EDGE·j. */
const truth = new Map<string, Uint8Array>()

/** A bright disc (label 1) of radius 9–14 px at a random place on a noisy background. */
function discImage(random: ReturnType<typeof createRandom>): { image: Float32Array; label: Uint8Array } {
  const image = new Float32Array(EDGE * EDGE)
  const label = new Uint8Array(EDGE * EDGE)
  const radius = random.uniform(9, 14)
  const [ci, cj] = [random.uniform(18, EDGE - 18), random.uniform(18, EDGE - 18)]
  for (let j = 0, o = 0; j < EDGE; j++) {
    for (let i = 0; i < EDGE; i++, o++) {
      const inside = (i - ci) ** 2 + (j - cj) ** 2 <= radius ** 2
      label[o] = inside ? 1 : 0
      image[o] = (inside ? 160 : 90) + random.normal(0, 12)
    }
  }
  return { image, label }
}

beforeAll(async () => {
  await activateBackend('wasm')
  root = await mkdtemp(path.join(os.tmpdir(), 'voxloop-train2d-'))
  await mkdir(path.join(root, 'images'))
  await mkdir(path.join(root, 'labels'))
  const random = createRandom(17)
  const affine = rasFromIjkFor2d([1, 1])
  const srow = affine.slice(0, 3).map((row) => [...row]) as [[number, number, number, number], [number, number, number, number], [number, number, number, number]]
  for (let n = 0; n < 6; n++) {
    const id = `cxr${n}`
    const { image, label } = discImage(random)
    const spec = { dims: [EDGE, EDGE, 1], pixdim: [1, 1, 1, 1, 0, 0, 0, 0], sformCode: 1, qformCode: 0, xyztUnits: 10, srow }
    const imagePath = path.join(root, 'images', `${id}.nii.gz`)
    const labelPath = path.join(root, 'labels', `${id}.nii.gz`)
    await writeFile(imagePath, buildNiftiGz({ ...spec, datatype: 16 }, image))
    await writeFile(labelPath, buildNiftiGz({ ...spec, datatype: 2 }, label))
    cases.push({ id, imagePath, labelPath })
    truth.set(id, label)
  }
})

afterAll(async () => {
  releasePredictionModel()
  if (root) await rm(root, { recursive: true, force: true })
  cases = []
})

function dice(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let both = 0
  let sum = 0
  for (let v = 0; v < a.length; v++) {
    const x = a[v] === 1 ? 1 : 0
    const y = b[v] === 1 ? 1 : 0
    both += x * y
    sum += x + y
  }
  return (2 * both) / sum
}

describe('runTraining on 2D images', () => {
  it('trains the 2D plain U-Net on one-slice cases by default; its Dice beats chance and the version predicts a case of the right shape', async () => {
    const modelsDir = path.join(root, 'models')
    const result = await runTraining(
      {
        runId: 'run-2d',
        // No architecture named: the planner picks the 2D network from the one-slice cases.
        options: TrainingOptionsSchema.parse({ epochs: 3, stepsPerEpoch: 10, batchSize: 2, learningRate: 1e-2, augment: false, seed: 5, validationFraction: 0.34, model: { baseFilters: 4 } }),
        modelsDir,
        cases,
        labels: [{ id: 1, name: 'disc', color: '#ff0000' }],
        modality: 'other'
      },
      { control: { cancelRequested: false }, progressIntervalMs: 0, events: { started: () => undefined, progress: () => undefined, epoch: () => undefined } }
    )
    expect(result.status).toBe('completed')
    const { plan } = await readRunRecord(path.join(modelsDir, result.version))
    expect(plan.architecture).toBe('plain-unet-2d')
    expect(plan.patchSize).toEqual([1, EDGE, EDGE])
    expect(plan.model).toMatchObject({ depth: 4, baseFilters: 4, deepSupervision: true })
    expect(plan.validationCaseIds).toHaveLength(2)
    // The gradient workers (2 on 2 cores) rebuilt the 2D network from its JSON and trained it, with no fallback.
    expect(plan.workers).toBe(chooseTrainingWorkers('wasm', 2).workers)

    // Chance: a model marking every pixel as disc scores 2p / (1 + p) against a disc of p of the image (< 0.3 here).
    const chance = Math.max(...plan.validationCaseIds.map((id) => dice(new Uint8Array(EDGE * EDGE).fill(1), truth.get(id) ?? [])))
    expect(chance).toBeLessThan(0.3)
    const best = Math.max(...result.history.map((h) => h.validation?.meanForegroundDice ?? 0))
    expect(best).toBeGreaterThan(0.85)

    const id = plan.validationCaseIds[0] as string
    const predicted = await predictCaseForReview({ modelsDir, version: result.version, case: cases.find((c) => c.id === id) as CaseFiles, tta: false }, async () => undefined)
    expect(predicted.labels).toHaveLength(EDGE * EDGE)
    expect(dice(predicted.labels, truth.get(id) ?? [])).toBeGreaterThan(0.85)
  })

  it("trains U-Net++ in 2D ('unetpp-2d', its deep supervision heads all at full resolution) in the gradient workers to Dice > 0.85", async () => {
    const modelsDir = path.join(root, 'models-unetpp')
    const result = await runTraining(
      {
        runId: 'run-unetpp-2d',
        options: TrainingOptionsSchema.parse({ epochs: 3, stepsPerEpoch: 10, batchSize: 2, learningRate: 1e-2, augment: false, seed: 5, validationFraction: 0.34, model: { architecture: 'unetpp-2d', baseFilters: 4, depth: 3 } }),
        modelsDir,
        cases,
        labels: [{ id: 1, name: 'disc', color: '#ff0000' }],
        modality: 'other'
      },
      { control: { cancelRequested: false }, progressIntervalMs: 0, events: { started: () => undefined, progress: () => undefined, epoch: () => undefined } }
    )
    expect(result.status).toBe('completed')
    const { plan } = await readRunRecord(path.join(modelsDir, result.version))
    expect(plan.architecture).toBe('unetpp-2d')
    expect(plan.patchSize).toEqual([1, EDGE, EDGE])
    // Depth 3 (the default for 64² is 4): 10 nodes instead of 15, to keep the test short.
    expect(plan.model).toMatchObject({ depth: 3, baseFilters: 4, deepSupervision: true, name: 'unetpp2d' })
    expect(plan.workers).toBe(chooseTrainingWorkers('wasm', 2).workers)
    const best = Math.max(...result.history.map((h) => h.validation?.meanForegroundDice ?? 0))
    expect(best).toBeGreaterThan(0.85)
    const id = plan.validationCaseIds[0] as string
    const predicted = await predictCaseForReview({ modelsDir, version: result.version, case: cases.find((c) => c.id === id) as CaseFiles, tta: false }, async () => undefined)
    expect(dice(predicted.labels, truth.get(id) ?? [])).toBeGreaterThan(0.85)
  })
})
