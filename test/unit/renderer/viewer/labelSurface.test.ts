import { describe, expect, it } from 'vitest'
import { allLabelSurfaces, enclosedVolume, labelBounds, labelSurface, type SurfaceMesh } from '../../../../src/renderer/src/viewer/labelSurface'
import { SURFACE_SMOOTHING } from '../../../../src/renderer/src/viewer/surfaceJobs'

type Dims = [number, number, number]

/** A label map with `label` where `inside(x, y, z)` holds. */
function mask(dims: Dims, inside: (x: number, y: number, z: number) => boolean, label = 1): Uint8Array {
  const data = new Uint8Array(dims[0] * dims[1] * dims[2])
  for (let z = 0; z < dims[2]; z++) for (let y = 0; y < dims[1]; y++) for (let x = 0; x < dims[0]; x++) {
    if (inside(x, y, z)) data[x + dims[0] * (y + dims[1] * z)] = label
  }
  return data
}

function ball(dims: Dims, centre: readonly number[], radius: number): Uint8Array {
  return mask(dims, (x, y, z) => Math.hypot(x - centre[0]!, y - centre[1]!, z - centre[2]!) <= radius)
}

/**
 * Closed and consistently wound: every directed edge a→b of a triangle is matched by exactly one
 * b→a of another triangle. Returns the number of undirected edges.
 */
function checkClosed(mesh: SurfaceMesh): number {
  const directed = new Map<string, number>()
  const { indices } = mesh
  for (let t = 0; t < indices.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const key = `${indices[t + e]}>${indices[t + ((e + 1) % 3)]}`
      directed.set(key, (directed.get(key) ?? 0) + 1)
    }
  }
  for (const [key, count] of directed) {
    const [a, b] = key.split('>')
    expect(count, `edge ${key} used twice in one direction`).toBe(1)
    expect(directed.get(`${b}>${a}`), `edge ${key} has no twin: the surface is open`).toBe(1)
  }
  return directed.size / 2
}

const SPHERE = 4 / 3 * Math.PI

describe('labelSurface (surface nets + Taubin smoothing)', () => {
  it('meshes one voxel as a closed octahedron-like cell: 8 vertices, 6 quads', () => {
    const mesh = labelSurface(mask([3, 3, 3], (x, y, z) => x === 1 && y === 1 && z === 1), [3, 3, 3], 1)
    expect(mesh.positions.length / 3).toBe(8)
    expect(mesh.indices.length / 3).toBe(12)
    const edges = checkClosed(mesh)
    expect(8 - edges + 12).toBe(2) // Euler characteristic of a sphere
  })

  it('meshes a 3×3×3 block with one vertex per boundary cell and two triangles per voxel face', () => {
    const dims: Dims = [5, 5, 5]
    const mesh = labelSurface(mask(dims, (x, y, z) => x >= 1 && x <= 3 && y >= 1 && y <= 3 && z >= 1 && z <= 3), dims, 1)
    // Cells from 0 to 3 on each axis (4³ = 64), less the 2³ wholly inside.
    expect(mesh.positions.length / 3).toBe(56)
    expect(mesh.indices.length / 3).toBe(6 * 9 * 2)
    const edges = checkClosed(mesh)
    expect(56 - edges + 108).toBe(2)
  })

  it('closes a label that touches the border of the map', () => {
    const dims: Dims = [6, 6, 6]
    const mesh = labelSurface(mask(dims, (x, y) => x < 3 && y < 2), dims, 1, { smoothing: 4 })
    checkClosed(mesh)
    expect(enclosedVolume(mesh)).toBeGreaterThan(0)
  })

  it('gives a sphere of radius 10 voxels a closed, outward surface enclosing 4/3·π·r³ within 3 %', () => {
    const dims: Dims = [28, 28, 28]
    const centre = [13.5, 13.5, 13.5]
    const radius = 10
    const labels = ball(dims, centre, radius)
    const expected = SPHERE * radius ** 3
    for (const smoothing of [0, SURFACE_SMOOTHING]) {
      const mesh = labelSurface(labels, dims, 1, { smoothing })
      const edges = checkClosed(mesh)
      const vertices = mesh.positions.length / 3
      expect(vertices - edges + mesh.indices.length / 3).toBe(2)
      const volume = enclosedVolume(mesh)
      expect(Math.abs(volume - expected) / expected, `smoothing ${smoothing}: volume ${volume.toFixed(0)} vs ${expected.toFixed(0)}`).toBeLessThan(0.03)
      // Every normal points away from the centre.
      for (let v = 0; v < vertices; v++) {
        const d = [0, 1, 2].map((a) => mesh.positions[v * 3 + a]! - centre[a]!)
        const dot = d[0]! * mesh.normals[v * 3]! + d[1]! * mesh.normals[v * 3 + 1]! + d[2]! * mesh.normals[v * 3 + 2]!
        expect(dot).toBeGreaterThan(0)
      }
    }
  })

  it('smoothing rounds off the voxel stairs: vertices closer to the sphere, normals closer to radial', () => {
    const dims: Dims = [28, 28, 28]
    const centre = [13.5, 13.5, 13.5]
    const labels = ball(dims, centre, 10)
    const measure = (mesh: SurfaceMesh): { radiusSd: number; normalDegrees: number } => {
      const radii: number[] = []
      let degrees = 0
      const count = mesh.positions.length / 3
      for (let v = 0; v < count; v++) {
        const d = [0, 1, 2].map((a) => mesh.positions[v * 3 + a]! - centre[a]!)
        const r = Math.hypot(d[0]!, d[1]!, d[2]!)
        radii.push(r)
        const cos = (d[0]! * mesh.normals[v * 3]! + d[1]! * mesh.normals[v * 3 + 1]! + d[2]! * mesh.normals[v * 3 + 2]!) / r
        degrees += (Math.acos(Math.min(1, cos)) * 180) / Math.PI
      }
      const mean = radii.reduce((s, r) => s + r, 0) / count
      return { radiusSd: Math.sqrt(radii.reduce((s, r) => s + (r - mean) ** 2, 0) / count), normalDegrees: degrees / count }
    }
    const stairs = measure(labelSurface(labels, dims, 1, { smoothing: 0 }))
    const smooth = measure(labelSurface(labels, dims, 1, { smoothing: SURFACE_SMOOTHING }))
    expect(smooth.radiusSd).toBeLessThan(stairs.radiusSd * 0.65)
    expect(smooth.normalDegrees).toBeLessThan(stairs.normalDegrees * 0.6)
  })

  it('works in millimetres: 2 mm voxels along x double the volume', () => {
    const dims: Dims = [20, 20, 20]
    const labels = ball(dims, [9.5, 9.5, 9.5], 6)
    const isotropic = enclosedVolume(labelSurface(labels, dims, 1, { smoothing: 4 }))
    const stretched = enclosedVolume(labelSurface(labels, dims, 1, { smoothing: 4, spacing: [2, 1, 1] }))
    expect(stretched / isotropic).toBeGreaterThan(1.9)
    expect(stretched / isotropic).toBeLessThan(2.1)
  })

  it('is empty for a label that is absent', () => {
    const mesh = labelSurface(new Uint8Array(27), [3, 3, 3], 4)
    expect(mesh.positions.length).toBe(0)
    expect(mesh.indices.length).toBe(0)
  })
})

describe('allLabelSurfaces', () => {
  it('makes one closed surface per label present, in label order, 16-bit ids included', () => {
    const dims: Dims = [12, 8, 8]
    const labels = new Uint16Array(dims[0] * dims[1] * dims[2])
    for (let z = 2; z < 6; z++) for (let y = 2; y < 6; y++) {
      for (let x = 1; x < 5; x++) labels[x + dims[0] * (y + dims[1] * z)] = 300
      for (let x = 7; x < 11; x++) labels[x + dims[0] * (y + dims[1] * z)] = 2
    }
    const { surfaces } = allLabelSurfaces(labels, dims, { smoothing: 2 })
    expect(surfaces.map((s) => s.label)).toEqual([2, 300])
    for (const { mesh } of surfaces) {
      checkClosed(mesh)
      expect(enclosedVolume(mesh)).toBeGreaterThan(30)
    }
    expect(labelBounds(labels, dims).get(300)).toEqual({ min: [1, 2, 2], max: [4, 5, 5] })
  })

  it('keeps two labels that touch as two closed surfaces', () => {
    const dims: Dims = [10, 6, 6]
    const labels = mask(dims, (x, y, z) => y >= 1 && y <= 4 && z >= 1 && z <= 4 && x >= 1 && x <= 8)
    for (let i = 0; i < labels.length; i++) if (labels[i] && i % dims[0] >= 5) labels[i] = 2
    const { surfaces } = allLabelSurfaces(labels, dims, { smoothing: 3 })
    expect(surfaces).toHaveLength(2)
    for (const { mesh } of surfaces) checkClosed(mesh)
  })
})
