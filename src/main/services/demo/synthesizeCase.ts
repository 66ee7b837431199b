import { createRng, type Rng } from './seededRandom'
import { smoothRandomField } from './smoothField'
import {
  bezierPath,
  ellipsoidSignedDistance,
  randomRotation,
  surfaceRadius,
  toVolume,
  tubeBounds,
  tubeSignedDistance,
  type EllipsoidShape,
  type TubeShape,
  type Vec3
} from './shapes'

/**
 * Procedural MR-like demo volumes: a body outline with textured soft tissue, an "organ" (deformed,
 * rotated ellipsoid with internal shading), a small dark "lesion" on its surface and a bright
 * tubular "vessel" passing by, blurred at the edges (partial volume), multiplied by a smooth bias
 * field and corrupted by Rician noise. Everything is a pure function of the parameters, and the
 * parameters are a pure function of a seed.
 */

export const DEMO_LABELS = { organ: 1, lesion: 2, vessel: 3 } as const

export interface DemoIntensities {
  air: number
  tissue: number
  organ: number
  lesion: number
  vessel: number
}

export interface DemoCaseParams {
  dims: [number, number, number]
  /** mm per voxel. */
  spacing: Vec3
  body: EllipsoidShape
  organ: EllipsoidShape
  lesion: EllipsoidShape
  vessel: TubeShape
  intensities: DemoIntensities
  /** Standard deviation of each Gaussian component of the Rician noise (intensity units). */
  noiseSigma: number
  /** The bias field is exp(strength · smooth field), the field having roughly unit variance. */
  biasStrength: number
  /** Seed of the noise, texture and bias draws. */
  textureSeed: number
}

export interface DemoCase {
  params: DemoCaseParams
  /** Signed 16-bit intensities, NIfTI order (i fastest). */
  image: Int16Array
  labels: Uint8Array
}

const SPACINGS: readonly Vec3[] = [
  [1, 1, 1],
  [1, 1, 1],
  [0.9, 0.9, 1.5],
  [1, 1, 2],
  [1.2, 1.2, 1.2],
  [0.8, 0.8, 1.6]
]

function fieldOfViewMm(dims: readonly number[], spacing: Vec3): Vec3 {
  return [(dims[0] ?? 0) * spacing[0], (dims[1] ?? 0) * spacing[1], (dims[2] ?? 0) * spacing[2]]
}

function drawOrgan(rng: Rng, fov: Vec3): EllipsoidShape {
  const scale = Math.min(...fov)
  return {
    centerMm: [rng.uniform(-0.1, 0.1) * fov[0], rng.uniform(-0.1, 0.1) * fov[1], rng.uniform(-0.08, 0.08) * fov[2]],
    semiAxesMm: [rng.uniform(0.22, 0.32) * scale, rng.uniform(0.16, 0.25) * scale, rng.uniform(0.16, 0.25) * scale],
    rotation: randomRotation(rng, 0.7),
    lobes: [rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3)]
  }
}

function randomUnitVector(rng: Rng): Vec3 {
  const v: Vec3 = [rng.normal(), rng.normal(), rng.normal()]
  const length = Math.hypot(...v) || 1
  return [v[0] / length, v[1] / length, v[2] / length]
}

/** A small ellipsoid sitting on the organ's surface, overlapping it by about a third of its size. */
function drawLesion(rng: Rng, organ: EllipsoidShape): EllipsoidShape {
  const u = randomUnitVector(rng)
  const radius = rng.uniform(0.5, 0.7) * Math.min(...organ.semiAxesMm)
  const distance = surfaceRadius(organ, u) + 0.35 * radius
  return {
    centerMm: toVolume(organ, [u[0] * distance, u[1] * distance, u[2] * distance]),
    semiAxesMm: [radius * rng.uniform(0.85, 1.2), radius * rng.uniform(0.85, 1.2), radius * rng.uniform(0.85, 1.2)],
    rotation: randomRotation(rng, Math.PI),
    lobes: [0, 0, 0]
  }
}

/** A curved tube crossing the field of view and passing just beside the organ. */
function drawVessel(rng: Rng, organ: EllipsoidShape, fov: Vec3): TubeShape {
  const direction = randomUnitVector(rng)
  const half = (axis: 0 | 1 | 2): number => 0.4 * fov[axis] * direction[axis]
  const from: Vec3 = [-half(0), -half(1), -half(2)]
  const to: Vec3 = [half(0), half(1), half(2)]
  const side = randomUnitVector(rng)
  const radiusMm = rng.uniform(1.6, 2.8)
  const offset = surfaceRadius(organ, side) + radiusMm + rng.uniform(2, 6)
  const control = toVolume(organ, [side[0] * offset, side[1] * offset, side[2] * offset])
  return { pathMm: bezierPath(from, control, to, 32), radiusMm }
}

/** The parameters of demo case `seed`: sizes, spacing, shapes and intensities all vary. */
export function drawDemoCaseParams(seed: number): DemoCaseParams {
  const rng = createRng(seed)
  const dims: [number, number, number] = [rng.int(48, 64), rng.int(48, 64), rng.int(40, 56)]
  const spacing = rng.pick(SPACINGS)
  const fov = fieldOfViewMm(dims, spacing)
  const organ = drawOrgan(rng, fov)
  const body: EllipsoidShape = {
    centerMm: [0, 0, 0],
    semiAxesMm: [0.47 * fov[0], 0.44 * fov[1], 0.7 * fov[2]],
    rotation: randomRotation(rng, 0.1),
    lobes: [rng.uniform(-0.1, 0.1), 0, 0]
  }
  return {
    dims,
    spacing,
    body,
    organ,
    lesion: drawLesion(rng, organ),
    vessel: drawVessel(rng, organ, fov),
    intensities: {
      air: 0,
      tissue: rng.uniform(260, 340),
      organ: rng.uniform(520, 620),
      lesion: rng.uniform(120, 180),
      vessel: rng.uniform(820, 950)
    },
    noiseSigma: rng.uniform(14, 26),
    biasStrength: rng.uniform(0.12, 0.25),
    textureSeed: rng.int(1, 0x7fffffff)
  }
}

/** Smooth 0→1 step across a boundary: 1 well inside (sd < 0), 0 well outside; width in mm. */
function insideWeight(signedDistanceMm: number, widthMm: number): number {
  return 1 / (1 + Math.exp(signedDistanceMm / widthMm))
}

function voxelCentreMm(params: DemoCaseParams, i: number, j: number, k: number): Vec3 {
  const [nx, ny, nz] = params.dims
  const [sx, sy, sz] = params.spacing
  return [(i - (nx - 1) / 2) * sx, (j - (ny - 1) / 2) * sy, (k - (nz - 1) / 2) * sz]
}

function inBounds(p: Vec3, bounds: { min: Vec3; max: Vec3 }): boolean {
  return p.every((value, axis) => value >= (bounds.min[axis] ?? 0) && value <= (bounds.max[axis] ?? 0))
}

/** Synthesises the image and its labels (organ 1, lesion 2, vessel 3) from the parameters. */
export function synthesizeDemoCase(params: DemoCaseParams): DemoCase {
  const [nx, ny, nz] = params.dims
  const rng = createRng(params.textureSeed)
  const texture = smoothRandomField(params.dims, 8, rng)
  const bias = smoothRandomField(params.dims, 2, rng)
  const image = new Int16Array(nx * ny * nz)
  const labels = new Uint8Array(nx * ny * nz)
  const vesselBounds = tubeBounds(params.vessel, 3)
  const organScale = Math.min(...params.organ.semiAxesMm)
  const { intensities: level } = params
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const index = i + nx * (j + ny * k)
        const p = voxelCentreMm(params, i, j, k)
        const sdBody = ellipsoidSignedDistance(params.body, p)
        const sdOrgan = ellipsoidSignedDistance(params.organ, p)
        const sdLesion = ellipsoidSignedDistance(params.lesion, p)
        const sdVessel = inBounds(p, vesselBounds) ? tubeSignedDistance(params.vessel, p) : Infinity
        const tissue = level.tissue * (1 + 0.07 * (texture[index] ?? 0))
        // Organ shading: brighter toward its core, as in a perfused parenchyma.
        const organValue = level.organ * (1 + 0.1 * Math.tanh(-sdOrgan / organScale))
        let value = level.air + (tissue - level.air) * insideWeight(sdBody, 1.5)
        value += (organValue - value) * insideWeight(sdOrgan, 0.6)
        value += (level.lesion - value) * insideWeight(sdLesion, 0.4)
        value += (level.vessel - value) * insideWeight(sdVessel, 0.5)
        value *= Math.exp(params.biasStrength * (bias[index] ?? 0))
        image[index] = ricianSample(value, params.noiseSigma, rng)
        labels[index] = labelAt(sdBody, sdOrgan, sdLesion, sdVessel)
      }
    }
  }
  return { params, image, labels }
}

function labelAt(sdBody: number, sdOrgan: number, sdLesion: number, sdVessel: number): number {
  if (sdVessel < 0) return DEMO_LABELS.vessel
  if (sdLesion < 0 && sdBody < 0) return DEMO_LABELS.lesion
  if (sdOrgan < 0 && sdBody < 0) return DEMO_LABELS.organ
  return 0
}

/** Magnitude of a complex signal with Gaussian noise on both parts, as an MR magnitude image has. */
function ricianSample(signal: number, sigma: number, rng: Rng): number {
  const real = signal + sigma * rng.normal()
  const imaginary = sigma * rng.normal()
  return Math.min(32767, Math.round(Math.hypot(real, imaginary)))
}
