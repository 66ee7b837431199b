/**
 * Smooth label surfaces for the 3D view: surface nets on each label's binary mask, then Taubin
 * smoothing. Surface nets put one vertex per boundary cell (2×2×2 voxel centres) and one quad per
 * voxel face between inside and outside, so a mask gives a closed, consistently wound surface; Taubin's
 * alternating shrink/inflate steps round off the voxel stairs without the shrinkage of plain
 * Laplacian smoothing (a sphere keeps its volume within a few per cent).
 * Pure functions on typed arrays: the surface worker runs them off the main thread, tests run them in node.
 */

export interface SurfaceMesh {
  /** Vertex positions in millimetres from the centre of voxel (0, 0, 0), along the voxel axes. */
  positions: Float32Array
  /** Unit vertex normals, pointing out of the label. */
  normals: Float32Array
  /** Triangles, counter-clockwise seen from outside. */
  indices: Uint32Array
}

export interface SurfaceOptions {
  /** Taubin iterations (one shrink and one inflate step each); 0 keeps the surface-nets stairs. */
  smoothing?: number
  /** Millimetres per voxel along each axis (default 1): smoothing works in physical space. */
  spacing?: readonly [number, number, number]
}

export interface LabelBounds {
  min: [number, number, number]
  max: [number, number, number]
}

/** Each label present (non-zero) and the voxel box it occupies, in one pass over the map. */
export function labelBounds(labels: ArrayLike<number>, dims: readonly [number, number, number]): Map<number, LabelBounds> {
  const [nx, ny, nz] = dims
  const bounds = new Map<number, LabelBounds>()
  let index = 0
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, index++) {
        const label = labels[index] as number
        if (label === 0) continue
        const box = bounds.get(label)
        if (!box) {
          bounds.set(label, { min: [x, y, z], max: [x, y, z] })
          continue
        }
        if (x < box.min[0]) box.min[0] = x
        if (x > box.max[0]) box.max[0] = x
        if (y < box.min[1]) box.min[1] = y
        if (y > box.max[1]) box.max[1] = y
        if (z < box.min[2]) box.min[2] = z
        if (z > box.max[2]) box.max[2] = z
      }
    }
  }
  return bounds
}

/** The 12 edges of a cell as pairs of corner numbers (corner bit 0 = +x, bit 1 = +y, bit 2 = +z). */
const CELL_EDGES: ReadonlyArray<readonly [number, number]> = [
  [0, 1], [2, 3], [4, 5], [6, 7],
  [0, 2], [1, 3], [4, 6], [5, 7],
  [0, 4], [1, 5], [2, 6], [3, 7]
]

/**
 * For each of the 256 inside/outside patterns of a cell's corners, where its vertex goes within the
 * cell: the mean of the crossed edges' midpoints (a binary mask crosses each edge halfway).
 */
const VERTEX_OFFSETS: Float32Array = (() => {
  const table = new Float32Array(256 * 3)
  for (let mask = 1; mask < 255; mask++) {
    let sx = 0
    let sy = 0
    let sz = 0
    let crossings = 0
    for (const [a, b] of CELL_EDGES) {
      if (((mask >> a) & 1) === ((mask >> b) & 1)) continue
      sx += ((a & 1) + (b & 1)) / 2
      sy += (((a >> 1) & 1) + ((b >> 1) & 1)) / 2
      sz += (((a >> 2) & 1) + ((b >> 2) & 1)) / 2
      crossings++
    }
    table.set([sx / crossings, sy / crossings, sz / crossings], mask * 3)
  }
  return table
})()

/**
 * The surface of `label` in a label map (x fastest). Voxels outside the map count as outside, so
 * a label touching the border is closed there too. Empty when the label is absent.
 */
export function labelSurface(
  labels: ArrayLike<number>,
  dims: readonly [number, number, number],
  label: number,
  options: SurfaceOptions & { bounds?: LabelBounds } = {}
): SurfaceMesh {
  const bounds = options.bounds ?? labelBounds(labels, dims).get(label)
  if (!bounds) return { positions: new Float32Array(0), normals: new Float32Array(0), indices: new Uint32Array(0) }
  const spacing = options.spacing ?? [1, 1, 1]
  const [nx, ny] = dims

  // The label's box with one voxel of outside all round, as 0/1: every lookup below is a plain index.
  const ox = bounds.min[0] - 1
  const oy = bounds.min[1] - 1
  const oz = bounds.min[2] - 1
  const px = bounds.max[0] - ox + 2
  const py = bounds.max[1] - oy + 2
  const pz = bounds.max[2] - oz + 2
  const occupied = new Uint8Array(px * py * pz)
  for (let z = 1; z < pz - 1; z++) {
    for (let y = 1; y < py - 1; y++) {
      const source = ox + 1 + nx * (oy + y + ny * (oz + z))
      const row = px * (y + py * z)
      for (let x = 1; x < px - 1; x++) if (labels[source + x - 1] === label) occupied[row + x] = 1
    }
  }
  const sx = 1
  const sy = px
  const sz = px * py

  // One vertex per cell (voxel centres c..c+1 on each axis) whose corners are mixed; cell index = its lowest corner's.
  const cellVertex = new Int32Array(px * py * pz).fill(-1)
  const positions: number[] = []
  for (let z = 0; z < pz - 1; z++) {
    for (let y = 0; y < py - 1; y++) {
      let i = px * (y + py * z)
      for (let x = 0; x < px - 1; x++, i++) {
        const mask =
          occupied[i]! |
          (occupied[i + sx]! << 1) |
          (occupied[i + sy]! << 2) |
          (occupied[i + sx + sy]! << 3) |
          (occupied[i + sz]! << 4) |
          (occupied[i + sx + sz]! << 5) |
          (occupied[i + sy + sz]! << 6) |
          (occupied[i + sx + sy + sz]! << 7)
        if (mask === 0 || mask === 255) continue
        cellVertex[i] = positions.length / 3
        positions.push(
          (ox + x + VERTEX_OFFSETS[mask * 3]!) * spacing[0],
          (oy + y + VERTEX_OFFSETS[mask * 3 + 1]!) * spacing[1],
          (oz + z + VERTEX_OFFSETS[mask * 3 + 2]!) * spacing[2]
        )
      }
    }
  }

  // One quad per face between an inside and an outside voxel, joining the four cells around that edge.
  const indices: number[] = []
  const strides = [sx, sy, sz]
  for (let z = 0; z < pz - 1; z++) {
    for (let y = 0; y < py - 1; y++) {
      let i = px * (y + py * z)
      for (let x = 0; x < px - 1; x++, i++) {
        const here = occupied[i]!
        for (let axis = 0; axis < 3; axis++) {
          if (here === occupied[i + strides[axis]!]) continue
          // (axis, u, v) cyclic, so u × v points along +axis; the cells around the edge lie at −u and −v.
          const du = strides[(axis + 1) % 3]!
          const dv = strides[(axis + 2) % 3]!
          const q0 = cellVertex[i - du - dv]!
          const q1 = cellVertex[i - dv]!
          const q2 = cellVertex[i]!
          const q3 = cellVertex[i - du]!
          // Counter-clockwise about +axis when the inside is behind (outward normal +axis).
          if (here) indices.push(q0, q1, q2, q0, q2, q3)
          else indices.push(q0, q2, q1, q0, q3, q2)
        }
      }
    }
  }
  const mesh = { positions: Float32Array.from(positions), normals: new Float32Array(positions.length), indices: Uint32Array.from(indices) }
  taubinSmooth(mesh.positions, mesh.indices, options.smoothing ?? 0)
  computeNormals(mesh)
  return mesh
}

/**
 * Each vertex's neighbours (compressed rows), from the triangles' directed edges: on a closed,
 * consistently wound surface each edge a→b occurs once, so listing b under a for every directed
 * edge names each neighbour once, with no set to de-duplicate.
 */
function vertexNeighbours(vertexCount: number, indices: Uint32Array): { offsets: Uint32Array; neighbours: Uint32Array } {
  const offsets = new Uint32Array(vertexCount + 1)
  for (let t = 0; t < indices.length; t++) offsets[indices[t]! + 1]!++
  for (let v = 0; v < vertexCount; v++) offsets[v + 1]! += offsets[v]!
  const fill = offsets.slice(0, vertexCount)
  const neighbours = new Uint32Array(indices.length)
  for (let t = 0; t < indices.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const from = indices[t + e]!
      neighbours[fill[from]!++] = indices[t + ((e + 1) % 3)]!
    }
  }
  return { offsets, neighbours }
}

/** Taubin λ|μ smoothing in place (λ 0.5, μ −0.53: a low-pass filter that keeps the volume). */
export function taubinSmooth(positions: Float32Array, indices: Uint32Array, iterations: number): void {
  if (iterations <= 0 || positions.length === 0) return
  const count = positions.length / 3
  const { offsets, neighbours } = vertexNeighbours(count, indices)
  const next = new Float32Array(positions.length)
  const step = (factor: number): void => {
    for (let v = 0; v < count; v++) {
      const start = offsets[v] as number
      const end = offsets[v + 1] as number
      const o = v * 3
      if (end === start) {
        next[o] = positions[o] as number
        next[o + 1] = positions[o + 1] as number
        next[o + 2] = positions[o + 2] as number
        continue
      }
      let mx = 0
      let my = 0
      let mz = 0
      for (let n = start; n < end; n++) {
        const q = (neighbours[n] as number) * 3
        mx += positions[q] as number
        my += positions[q + 1] as number
        mz += positions[q + 2] as number
      }
      const k = 1 / (end - start)
      next[o] = (positions[o] as number) + factor * (mx * k - (positions[o] as number))
      next[o + 1] = (positions[o + 1] as number) + factor * (my * k - (positions[o + 1] as number))
      next[o + 2] = (positions[o + 2] as number) + factor * (mz * k - (positions[o + 2] as number))
    }
    positions.set(next)
  }
  for (let i = 0; i < iterations; i++) {
    step(0.5)
    step(-0.53)
  }
}

/** Area-weighted vertex normals (the cross product's length is twice the triangle's area). */
function computeNormals(mesh: SurfaceMesh): void {
  const { positions: p, normals: n, indices } = mesh
  n.fill(0)
  for (let t = 0; t < indices.length; t += 3) {
    const a = (indices[t] as number) * 3
    const b = (indices[t + 1] as number) * 3
    const c = (indices[t + 2] as number) * 3
    const ux = (p[b] as number) - (p[a] as number)
    const uy = (p[b + 1] as number) - (p[a + 1] as number)
    const uz = (p[b + 2] as number) - (p[a + 2] as number)
    const vx = (p[c] as number) - (p[a] as number)
    const vy = (p[c + 1] as number) - (p[a + 1] as number)
    const vz = (p[c + 2] as number) - (p[a + 2] as number)
    const nx = uy * vz - uz * vy
    const ny = uz * vx - ux * vz
    const nz = ux * vy - uy * vx
    for (const o of [a, b, c]) {
      n[o] = (n[o] as number) + nx
      n[o + 1] = (n[o + 1] as number) + ny
      n[o + 2] = (n[o + 2] as number) + nz
    }
  }
  for (let o = 0; o < n.length; o += 3) {
    const length = Math.hypot(n[o] as number, n[o + 1] as number, n[o + 2] as number) || 1
    n[o] = (n[o] as number) / length
    n[o + 1] = (n[o + 1] as number) / length
    n[o + 2] = (n[o + 2] as number) / length
  }
}

/** Volume enclosed by a closed, outward-wound mesh (divergence theorem over its triangles), in mm³. */
export function enclosedVolume(mesh: Pick<SurfaceMesh, 'positions' | 'indices'>): number {
  const { positions: p, indices } = mesh
  let sum = 0
  for (let t = 0; t < indices.length; t += 3) {
    const a = (indices[t] as number) * 3
    const b = (indices[t + 1] as number) * 3
    const c = (indices[t + 2] as number) * 3
    const ax = p[a] as number
    const ay = p[a + 1] as number
    const az = p[a + 2] as number
    const bx = p[b] as number
    const by = p[b + 1] as number
    const bz = p[b + 2] as number
    const cx = p[c] as number
    const cy = p[c + 1] as number
    const cz = p[c + 2] as number
    sum += ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx)
  }
  return sum / 6
}

export interface LabelSurfaces {
  /** One mesh per label present, in label order. */
  surfaces: Array<{ label: number; mesh: SurfaceMesh }>
  milliseconds: number
}

/** Surfaces of every label present in the map. */
export function allLabelSurfaces(labels: ArrayLike<number>, dims: readonly [number, number, number], options: SurfaceOptions = {}): LabelSurfaces {
  const started = performance.now()
  const bounds = labelBounds(labels, dims)
  const surfaces = [...bounds.keys()]
    .sort((a, b) => a - b)
    .map((label) => ({ label, mesh: labelSurface(labels, dims, label, { ...options, bounds: bounds.get(label) as LabelBounds }) }))
  return { surfaces, milliseconds: performance.now() - started }
}
