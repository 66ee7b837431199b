/**
 * Training batches from prepared cases: patches centred on a labelled voxel with probability p
 * (nnU-Net's foreground oversampling) or on any voxel, augmented with one draw per sample, stacked
 * as NDHWC.
 *
 * Reproducible and resumable by construction: batch n uses its own generator seeded from
 * (seed, n), so it depends on nothing but the seed, the step and the configuration. The state is
 * `{ seed, step, fingerprint }` in plain JSON; a killed training run that restores it draws exactly
 * the batches it would have drawn, and `batchAt(n)` regenerates any batch without replaying others.
 *
 * Cases come whole in memory (PreparedCase) or as SamplerCases that read only the box a patch needs
 * (the training loop's preprocessed cache, src/engine/train/preprocessed): the sampler asks each
 * case for the voxels of a box and for its i-th labelled voxel, so both give the same batches and
 * the memory a run needs does not grow with its case count.
 */
import { VoxloopError } from '../../shared/errors'
import { createRandom, deriveSeed, type Random } from '../../shared/random'
import {
  applyAugmentation,
  augmentationFingerprint,
  augmentationRegionShape,
  drawAugmentation,
  drawReadsBeyondPatch,
  resolveAugmentationConfig,
  type AugmentationConfig,
  type AugmentationConfigInput,
  type AugmentationDraw
} from './augment/compose'
import { extractPatch, extractPatchInto, patchOriginForCentre, type ImagePadding, type PatchSource } from './extractPatch'
import { randomForegroundVoxel, type ForegroundIndex, type ForegroundLocations } from './foregroundIndex'
import { voxelCountOfShape, type Shape3 } from './layout'
import type { PreparedCase } from './prepareCase'

export interface BatchSamplerOptions {
  /** Patch [D, H, W] voxels. */
  patchShape: Shape3
  /** Patches per batch; default 2. */
  batchSize: number
  /** Chance (0–1) that a patch is centred on a labelled voxel; default 0.33 (nnU-Net). */
  foregroundProbability: number
  /**
   * 'random' (default): each patch decides independently. 'quota': the last round(B·p) patches of
   * every batch are foreground-centred (nnU-Net's scheme; steadier for batches of 2).
   */
  foregroundMode: 'random' | 'quota'
  /** Classes a foreground patch may be centred on; default all present (chosen uniformly by class). */
  foregroundClasses: number[] | null
  /** Augmentation overrides of DEFAULT_AUGMENTATION, or null for none. Default {} (the defaults). */
  augmentation: AugmentationConfigInput | null
  /** Run seed (any 32-bit integer); default 0. */
  seed: number
  /** Image outside the volume: each channel's minimum (default), 0, or the nearest edge voxel. Labels pad with 0. */
  imagePadding: 'min' | 'zero' | 'edge'
}

/**
 * A case as the sampler reads it: what it needs to draw centres and pad, and the voxels of a box on
 * demand. A PreparedCase is one (samplerCaseOf); the preprocessed cache gives others.
 */
export interface SamplerCase {
  readonly id: string
  /** [D, H, W] voxels on the prepared grid. */
  readonly shape: Shape3
  readonly channels: number
  /** Image padding per channel (PreparedCase.padValues). */
  readonly padValues: readonly number[]
  /** Voxels of the label map, 0 without one (kept in the sampler's fingerprint). */
  readonly labelVoxels: number
  /** Labelled voxels per class; null without a label. */
  readonly foreground: ForegroundIndex | ForegroundLocations | null
  /**
   * A source holding at least the voxels of the box [origin, origin + shape) that lie inside the case
   * (and its nearest voxels when the box lies outside along an axis), and the box's origin in that
   * source: cutting the box from it gives what cutting it from the whole case gives, padding included.
   */
  region(origin: Shape3, shape: Shape3): { source: PatchSource; origin: Shape3 }
}

/** A whole in-memory case as a SamplerCase: its region is the case itself. */
export function samplerCaseOf(prepared: PreparedCase): SamplerCase {
  return {
    id: prepared.id,
    shape: prepared.shape,
    channels: prepared.channels,
    padValues: prepared.padValues,
    labelVoxels: prepared.label?.length ?? 0,
    foreground: prepared.foreground,
    region: (origin) => ({ source: prepared, origin })
  }
}

function isSamplerCase(c: PreparedCase | SamplerCase): c is SamplerCase {
  return 'region' in c
}

export type BatchSamplerInput = Partial<BatchSamplerOptions> & Pick<BatchSamplerOptions, 'patchShape'>

export const DEFAULT_BATCH_SAMPLER_OPTIONS: Readonly<Omit<BatchSamplerOptions, 'patchShape'>> = Object.freeze({
  batchSize: 2,
  foregroundProbability: 0.33,
  foregroundMode: 'random',
  foregroundClasses: null,
  augmentation: {},
  seed: 0,
  imagePadding: 'min'
})

/** Everything needed to resume; plain JSON. */
export interface BatchSamplerState {
  version: 1
  seed: number
  /** Index of the next batch. */
  step: number
  /** Hash of the cases and options; restoring with different ones fails rather than silently drawing other batches. */
  fingerprint: string
}

/** Where a patch came from, for logs and tests. */
export interface SampleInfo {
  caseId: string
  caseIndex: number
  /** Patch centre [d, h, w] on the prepared grid. */
  centre: Shape3
  /** Whether the centre was drawn from the labelled voxels. */
  foreground: boolean
  augmentation: AugmentationDraw | null
}

export interface Batch {
  /** [B, D, H, W, C] channels-last. */
  image: Float32Array
  /** [B, D, H, W]. */
  label: Uint8Array
  shape: [b: number, d: number, h: number, w: number, c: number]
  step: number
  samples: SampleInfo[]
}

/** Sub-stream index of a batch's extra-transform draws (deriveSeed(seed, step, EXTRA_STREAM)). */
const EXTRA_STREAM = 0x61756721

function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h.toString(16).padStart(8, '0')
}

export class BatchSampler {
  private readonly cases: readonly SamplerCase[]
  private readonly options: BatchSamplerOptions
  private readonly augmentation: AugmentationConfig | null
  private readonly regionShape: Shape3
  private readonly channels: number
  private readonly fingerprint: string
  private nextStep = 0

  constructor(given: readonly (PreparedCase | SamplerCase)[], input: BatchSamplerInput, state?: BatchSamplerState) {
    const options: BatchSamplerOptions = { ...DEFAULT_BATCH_SAMPLER_OPTIONS, ...input }
    const cases = given.map((c) => (isSamplerCase(c) ? c : samplerCaseOf(c)))
    validate(cases, options)
    this.cases = cases
    this.options = options
    this.channels = (cases[0] as SamplerCase).channels
    this.augmentation = options.augmentation ? resolveAugmentationConfig(options.augmentation) : null
    this.regionShape = this.augmentation ? augmentationRegionShape(this.augmentation, options.patchShape) : options.patchShape
    this.fingerprint = fnv1a(
      JSON.stringify({
        cases: cases.map((c) => [c.id, c.shape, c.channels, c.labelVoxels]),
        options: { ...options, augmentation: this.augmentation && augmentationFingerprint(this.augmentation) }
      })
    )
    if (state) this.restore(state)
  }

  /** Index of the batch `next()` returns. */
  get step(): number {
    return this.nextStep
  }

  getState(): BatchSamplerState {
    return { version: 1, seed: this.options.seed, step: this.nextStep, fingerprint: this.fingerprint }
  }

  /** Continues from a saved state; fails with INVALID_ARGUMENT if it was saved for other cases or options. */
  restore(state: BatchSamplerState): void {
    if (state.version !== 1 || !Number.isInteger(state.step) || state.step < 0) throw new VoxloopError('INVALID_ARGUMENT', `not a batch sampler state: ${JSON.stringify(state)}`)
    if (state.seed !== this.options.seed || state.fingerprint !== this.fingerprint) {
      throw new VoxloopError('INVALID_ARGUMENT', 'the saved sampler state belongs to other cases, options or seed; its batches cannot be reproduced')
    }
    this.nextStep = state.step
  }

  next(): Batch {
    return this.batchAt(this.nextStep++)
  }

  /** Batch number `step`, independent of what was drawn before. */
  batchAt(step: number): Batch {
    const { patchShape, batchSize } = this.options
    const random = createRandom(deriveSeed(this.options.seed, step))
    // The extra transforms draw from their own stream, so turning them on leaves every patch's case, centre and other draws as they were.
    const extraRandom = createRandom(deriveSeed(this.options.seed, step, EXTRA_STREAM))
    const patchVoxels = voxelCountOfShape(patchShape)
    const image = new Float32Array(batchSize * patchVoxels * this.channels)
    const label = new Uint8Array(batchSize * patchVoxels)
    const samples: SampleInfo[] = []
    for (let b = 0; b < batchSize; b++) {
      const imageOut = image.subarray(b * patchVoxels * this.channels, (b + 1) * patchVoxels * this.channels)
      const labelOut = label.subarray(b * patchVoxels, (b + 1) * patchVoxels)
      samples.push(this.samplePatch(b, random, extraRandom, imageOut, labelOut))
    }
    return { image, label, shape: [batchSize, patchShape[0], patchShape[1], patchShape[2], this.channels], step, samples }
  }

  private samplePatch(slot: number, random: Random, extraRandom: Random, imageOut: Float32Array, labelOut: Uint8Array): SampleInfo {
    const { patchShape, foregroundProbability, foregroundMode, batchSize } = this.options
    const caseIndex = random.int(0, this.cases.length - 1)
    const prepared = this.cases[caseIndex] as SamplerCase
    const wantsForeground =
      foregroundMode === 'quota' ? slot >= batchSize - Math.round(batchSize * foregroundProbability) : random.chance(foregroundProbability)
    const foregroundCentre =
      wantsForeground && prepared.foreground
        ? randomForegroundVoxel(prepared.foreground, prepared.shape, random, this.options.foregroundClasses ?? undefined)
        : null
    // Uniform centres cover every voxel, borders included (patches there are padded).
    const centre: Shape3 = foregroundCentre ?? [random.int(0, prepared.shape[0] - 1), random.int(0, prepared.shape[1] - 1), random.int(0, prepared.shape[2] - 1)]
    const padding = this.padding(prepared)
    const patchOrigin = patchOriginForCentre(centre, patchShape)
    const info = { caseId: prepared.id, caseIndex, centre, foreground: foregroundCentre !== null }
    if (!this.augmentation) {
      const patch = prepared.region(patchOrigin, patchShape)
      extractPatchInto(patch.source, patch.origin, patchShape, padding, imageOut, labelOut)
      return { ...info, augmentation: null }
    }
    const draw = drawAugmentation(this.augmentation, random, extraRandom)
    // Only rotation, zoom, shifts, quarter turns and transposes read beyond the patch; otherwise cut the patch itself.
    const regionShape = drawReadsBeyondPatch(draw) ? this.regionShape : patchShape
    const margin = regionShape.map((n, axis) => Math.floor((n - (patchShape[axis] as number)) / 2))
    const regionOrigin = patchOrigin.map((o, axis) => o - (margin[axis] as number)) as Shape3
    const box = prepared.region(regionOrigin, regionShape)
    const region = extractPatch(box.source, box.origin, regionShape, padding)
    const augmented = applyAugmentation(region, draw, { outputShape: patchShape, padValues: padding.mode === 'constant' ? padding.values : prepared.padValues })
    imageOut.set(augmented.image)
    labelOut.set(augmented.label)
    return { ...info, augmentation: draw }
  }

  private padding(prepared: SamplerCase): ImagePadding {
    switch (this.options.imagePadding) {
      case 'edge':
        return { mode: 'edge' }
      case 'zero':
        return { mode: 'constant', values: new Array<number>(prepared.channels).fill(0) }
      default:
        return { mode: 'constant', values: prepared.padValues }
    }
  }
}

function validate(cases: readonly SamplerCase[], options: BatchSamplerOptions): void {
  const fail = (message: string): never => {
    throw new VoxloopError('INVALID_ARGUMENT', message)
  }
  if (cases.length === 0) fail('the batch sampler needs at least one case')
  const channels = (cases[0] as SamplerCase).channels
  for (const c of cases) {
    if (c.labelVoxels === 0) fail(`case ${c.id || '(unnamed)'} has no label; only labelled cases can be sampled for training`)
    if (c.channels !== channels) fail(`case ${c.id || '(unnamed)'} has ${c.channels} channels, the first case ${channels}`)
  }
  if (!options.patchShape.every((n) => Number.isInteger(n) && n >= 1)) fail(`patch shape must be positive integers, got [${options.patchShape.join(', ')}]`)
  if (!(Number.isInteger(options.batchSize) && options.batchSize >= 1)) fail(`batch size must be a positive integer, got ${options.batchSize}`)
  if (!(options.foregroundProbability >= 0 && options.foregroundProbability <= 1)) fail(`foreground probability must be 0–1, got ${options.foregroundProbability}`)
  if (!Number.isInteger(options.seed)) fail(`seed must be an integer, got ${options.seed}`)
}
