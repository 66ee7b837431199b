/**
 * Canonical axis order for the network: every case is turned, by the closest orthogonal
 * orientation of its affine (nibabel's `as_closest_canonical`), so that voxel axes i, j, k run
 * towards R, A, S. A dataset mixing RAS and LPS files then shows the network the same anatomy
 * the same way round, and a prediction is turned back onto the input's own grid afterwards.
 *
 * Only axis permutations and flips: no interpolation, so turning there and back is exact. Arrays
 * are NIfTI order: index i + nx·(j + ny·k), channel-major for several channels (a Volume's data).
 */
import type { Mat4, Vec3 } from '../../shared/volume'
import { voxelAxisOrientations } from '../../shared/geometry/orientation'

/** For output axis a (0 → R, 1 → A, 2 → S): the input voxel axis it takes, and whether it runs backwards. */
export interface CanonicalTurn {
  fromAxis: [number, number, number]
  flip: [boolean, boolean, boolean]
}

export const IDENTITY_TURN: Readonly<CanonicalTurn> = Object.freeze({ fromAxis: [0, 1, 2], flip: [false, false, false] }) as Readonly<CanonicalTurn>

export function isIdentityTurn(turn: CanonicalTurn): boolean {
  return turn.fromAxis.every((axis, a) => axis === a) && turn.flip.every((flip) => !flip)
}

/** The turn to RAS for an affine; the identity when an axis is degenerate (nothing sensible to do). */
export function canonicalTurn(rasFromIjk: Mat4): CanonicalTurn {
  const orientations = voxelAxisOrientations(rasFromIjk)
  if (orientations.some((o) => o === null)) return { fromAxis: [0, 1, 2], flip: [false, false, false] }
  const fromAxis: [number, number, number] = [0, 1, 2]
  const flip: [boolean, boolean, boolean] = [false, false, false]
  orientations.forEach((o, voxelAxis) => {
    if (!o) return
    fromAxis[o.worldAxis] = voxelAxis
    flip[o.worldAxis] = o.direction === -1
  })
  return { fromAxis, flip }
}

/** Dims (or spacing) after the turn: output axis a has the input's axis fromAxis[a]. */
export function turnedVec3(values: Vec3, turn: CanonicalTurn): Vec3 {
  return [values[turn.fromAxis[0]] as number, values[turn.fromAxis[1]] as number, values[turn.fromAxis[2]] as number]
}

type NumericArray = Float32Array | Uint8Array | Uint16Array | Int16Array | Int8Array | Uint32Array | Int32Array | Float64Array

/**
 * `data` (dims [nx, ny, nz], `channels` planes) turned to canonical order: out[o] = in[source(o)],
 * same array type. With `inverse`, the turn is undone: `dims` are then the canonical dims.
 */
export function applyTurn<T extends NumericArray>(data: T, dims: Vec3, channels: number, turn: CanonicalTurn, inverse = false): T {
  if (isIdentityTurn(turn)) return data
  const voxels = dims[0] * dims[1] * dims[2]
  const out = new (data.constructor as new (length: number) => T)(data.length)
  // Strides of the input along each of its axes, and the output's dims.
  const inStride = [1, dims[0], dims[0] * dims[1]]
  const outDims = inverse ? inverseDims(dims, turn) : turnedVec3(dims, turn)
  // For each output axis: the input stride it walks and where it starts (flipped axes walk back).
  const step: number[] = []
  let start = 0
  for (let a = 0; a < 3; a++) {
    // Forward: output axis a reads input axis fromAxis[a]. Inverse: output (original) axis p is
    // the canonical axis a with fromAxis[a] = p.
    const inAxis = inverse ? turn.fromAxis.indexOf(a) : (turn.fromAxis[a] as number)
    const flipped = inverse ? (turn.flip[inAxis] as boolean) : (turn.flip[a] as boolean)
    const stride = inStride[inAxis] as number
    if (flipped) {
      start += ((outDims[a] as number) - 1) * stride
      step.push(-stride)
    } else step.push(stride)
  }
  const [nx, ny, nz] = outDims
  for (let c = 0; c < channels; c++) {
    const base = c * voxels
    let o = base
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        let source = base + start + k * (step[2] as number) + j * (step[1] as number)
        for (let i = 0; i < nx; i++, o++, source += step[0] as number) out[o] = data[source] as number
      }
    }
  }
  return out
}

/** The original dims from the canonical ones. */
function inverseDims(canonicalDims: Vec3, turn: CanonicalTurn): Vec3 {
  const out: Vec3 = [0, 0, 0]
  turn.fromAxis.forEach((inAxis, a) => {
    out[inAxis] = canonicalDims[a] as number
  })
  return out
}
