import type { Rng } from './seededRandom'

type Dims = readonly [number, number, number]

/**
 * A smooth random field over a voxel grid: unit-variance normal values on a coarse lattice of
 * `cells` intervals per axis, trilinearly interpolated. Used for the bias field and tissue texture.
 */
export function smoothRandomField(dims: Dims, cells: number, rng: Rng): Float32Array {
  const lattice = cells + 1
  const knots = new Float32Array(lattice ** 3)
  for (let n = 0; n < knots.length; n++) knots[n] = rng.normal()
  const [nx, ny, nz] = dims
  const field = new Float32Array(nx * ny * nz)
  const knot = (a: number, b: number, c: number): number => knots[a + lattice * (b + lattice * c)] ?? 0
  for (let k = 0; k < nz; k++) {
    const [c0, tz] = latticeCoordinate(k, nz, cells)
    for (let j = 0; j < ny; j++) {
      const [b0, ty] = latticeCoordinate(j, ny, cells)
      for (let i = 0; i < nx; i++) {
        const [a0, tx] = latticeCoordinate(i, nx, cells)
        const x00 = lerp(knot(a0, b0, c0), knot(a0 + 1, b0, c0), tx)
        const x10 = lerp(knot(a0, b0 + 1, c0), knot(a0 + 1, b0 + 1, c0), tx)
        const x01 = lerp(knot(a0, b0, c0 + 1), knot(a0 + 1, b0, c0 + 1), tx)
        const x11 = lerp(knot(a0, b0 + 1, c0 + 1), knot(a0 + 1, b0 + 1, c0 + 1), tx)
        field[i + nx * (j + ny * k)] = lerp(lerp(x00, x10, ty), lerp(x01, x11, ty), tz)
      }
    }
  }
  return field
}

/** Lattice cell and smoothstep-eased fraction of voxel `index` on an axis of `size` voxels. */
function latticeCoordinate(index: number, size: number, cells: number): [number, number] {
  const position = size > 1 ? (index / (size - 1)) * cells : 0
  const cell = Math.min(cells - 1, Math.floor(position))
  const t = position - cell
  return [cell, t * t * (3 - 2 * t)]
}

function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t
}
