/**
 * Tiny on-disk training data for the training tests: NIfTI cases of a few thousand voxels with two
 * labelled structures (a bright ball, label 1, and a dark box, label 2) at seeded positions, plus
 * a TrainRequest for a tiny U-Net that trains in well under a second per epoch.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { CaseFiles, TrainRequest } from '../../../../src/shared/engineProtocol'
import type { LabelDef } from '../../../../src/shared/project'
import { createRandom, type Random } from '../../../../src/shared/random'
import { TrainingOptionsSchema, type TrainingOptions } from '../../../../src/shared/training'
import { buildNiftiGz } from '../../../helpers/niftiBuilder'

export const FIXTURE_LABELS: LabelDef[] = [
  { id: 1, name: 'ball', color: '#ff0000' },
  { id: 2, name: 'box', color: '#00ff00' }
]

export interface TrainingFixture {
  root: string
  modelsDir: string
  cases: CaseFiles[]
  remove(): Promise<void>
}

const FLOAT32 = 16
const UINT8 = 2

/** Image (float32, i fastest) and labels of one synthetic case: a bright ball (1) and a dark box (2) in noise. */
export function syntheticCase(edge: number, random: Random): { image: Float32Array; label: Uint8Array } {
  const image = new Float32Array(edge ** 3)
  const label = new Uint8Array(edge ** 3)
  const ball = [random.int(4, edge - 5), random.int(4, edge - 5), random.int(4, edge - 5)] as const
  const radius = random.uniform(2, 3.5)
  const box = [random.int(1, edge - 6), random.int(1, edge - 6), random.int(1, edge - 6)] as const
  for (let k = 0, o = 0; k < edge; k++) {
    for (let j = 0; j < edge; j++) {
      for (let i = 0; i < edge; i++, o++) {
        let value = 100 + random.normal(0, 8)
        if (i >= box[0] && i < box[0] + 4 && j >= box[1] && j < box[1] + 4 && k >= box[2] && k < box[2] + 4) {
          value -= 60
          label[o] = 2
        }
        if ((i - ball[0]) ** 2 + (j - ball[1]) ** 2 + (k - ball[2]) ** 2 <= radius ** 2) {
          value += 80
          label[o] = 1
        }
        image[o] = value
      }
    }
  }
  return { image, label }
}

/** Flips i and j of an edge³ array: the same voxels stored LPS instead of RAS. */
function flipIJ<T extends Float32Array | Uint8Array>(data: T, edge: number): T {
  const out = data.slice() as T
  for (let k = 0; k < edge; k++) {
    for (let j = 0; j < edge; j++) {
      for (let i = 0; i < edge; i++) out[edge - 1 - i + edge * (edge - 1 - j + edge * k)] = data[i + edge * (j + edge * k)] as number
    }
  }
  return out
}

/**
 * `count` cases of `edge`³ voxels (1 mm), written as images/<id>.nii.gz and labels/<id>.nii.gz.
 * `lps(n)` stores case n LPS (i and j flipped, with an affine that puts every voxel at the same
 * world point): the same anatomy, another file layout.
 */
export async function createTrainingFixture(count = 4, edge = 16, seed = 7, lps: (n: number) => boolean = () => false): Promise<TrainingFixture> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'voxloop-train-'))
  await mkdir(path.join(root, 'images'))
  await mkdir(path.join(root, 'labels'))
  const random = createRandom(seed)
  const cases: CaseFiles[] = []
  for (let n = 0; n < count; n++) {
    const id = `case${String(n).padStart(2, '0')}`
    const ras = syntheticCase(edge, random)
    const flipped = lps(n)
    const image = flipped ? flipIJ(ras.image, edge) : ras.image
    const label = flipped ? flipIJ(ras.label, edge) : ras.label
    const far = edge - 1
    const srow: [[number, number, number, number], [number, number, number, number], [number, number, number, number]] = flipped
      ? [
          [-1, 0, 0, far],
          [0, -1, 0, far],
          [0, 0, 1, 0]
        ]
      : [
          [1, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 0]
        ]
    const spec = { dims: [edge, edge, edge], pixdim: [1, 1, 1, 1, 0, 0, 0, 0], sformCode: 1, qformCode: 0, xyztUnits: 10, srow }
    const imagePath = path.join(root, 'images', `${id}.nii.gz`)
    const labelPath = path.join(root, 'labels', `${id}.nii.gz`)
    await writeFile(imagePath, buildNiftiGz({ ...spec, datatype: FLOAT32 }, image))
    await writeFile(labelPath, buildNiftiGz({ ...spec, datatype: UINT8 }, label))
    cases.push({ id, imagePath, labelPath })
  }
  return { root, modelsDir: path.join(root, 'models'), cases, remove: () => rm(root, { recursive: true, force: true }) }
}

/** Tiny training options (see tinyRequest) as a user would pass them to training:start. */
export function tinyOptions(options: Partial<TrainingOptions> = {}): TrainingOptions {
  return {
    epochs: 3,
    stepsPerEpoch: 4,
    patchSize: 8,
    batchSize: 2,
    learningRate: 3e-3,
    augment: false,
    seed: 11,
    validationFraction: 0.25,
    model: { architecture: 'residual-unet', depth: 1, baseFilters: 4, residualUnits: 1 },
    ...options
  }
}

/** A tiny, fast run: depth-1 U-Net with 4 filters, 8³ patches, no augmentation, fixed seed. */
export function tinyRequest(fixture: TrainingFixture, options: Partial<TrainingOptions> = {}, extra: Partial<TrainRequest> = {}): TrainRequest {
  return {
    runId: `run-${Math.random().toString(36).slice(2)}`,
    options: TrainingOptionsSchema.parse(tinyOptions(options)),
    modelsDir: fixture.modelsDir,
    cases: fixture.cases,
    labels: FIXTURE_LABELS,
    modality: 'MR',
    ...extra
  }
}
