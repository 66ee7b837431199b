import { describe, expect, it } from 'vitest'
import { brushFootprint, DEFAULT_BRUSH_CONFIG, paintSegment, segmentFootprint, type BrushConfig } from '../../../../../src/renderer/src/tools/brush/brush'
import { eraseSegment } from '../../../../../src/renderer/src/tools/eraser/eraser'
import { ijkFromIndex, indexFromIjk, normalAxisOf, type ViewAxis, type VoxelGrid } from '../../../../../src/renderer/src/tools/core/grid'
import { OVERWRITE_ANY, OVERWRITE_BACKGROUND, overwriteOnly, selectWritable } from '../../../../../src/renderer/src/tools/core/paintRules'
import { VoxelEditor } from '../../../../../src/renderer/src/tools/core/VoxelEditor'
import type { Vec3 } from '../../../../../src/shared/volume'
import { grid, ijkKeys, offsetKeys } from '../helpers'

/** Lattice points (a, b) with a² + b² ≤ n, as "a,b" keys: the hand count of a disk. */
function latticeDisk(n: number): string[] {
  const out: string[] = []
  for (let a = -10; a <= 10; a++) for (let b = -10; b <= 10; b++) if (a * a + b * b <= n) out.push(`${a},${b}`)
  return out
}

/** Oracle: every voxel whose centre lies within r mm of the segment, by brute force over the grid. */
function bruteCapsule(g: VoxelGrid, from: Vec3, to: Vec3, radiusMm: number): string[] {
  const out: string[] = []
  const s = g.spacing
  const d = [0, 1, 2].map((c) => (to[c] - from[c]) * s[c])
  const length2 = d[0] ** 2 + d[1] ** 2 + d[2] ** 2
  for (let index = 0; index < g.dims[0] * g.dims[1] * g.dims[2]; index++) {
    const p = ijkFromIndex(g, index).map((v, c) => (v - from[c]) * s[c])
    const t = length2 > 0 ? Math.min(1, Math.max(0, (p[0] * d[0] + p[1] * d[1] + p[2] * d[2]) / length2)) : 0
    const dist2 = (p[0] - t * d[0]) ** 2 + (p[1] - t * d[1]) ** 2 + (p[2] - t * d[2]) ** 2
    if (dist2 <= radiusMm * radiusMm * (1 + 1e-9)) out.push(ijkFromIndex(g, index).join(','))
  }
  return out.sort()
}

describe('brush footprint', () => {
  const iso = grid([11, 11, 11])

  it.each([
    // Distances from the centre: 1 (6 voxels), √2 (12), √3 (8), 2 (6).
    [1, 7],
    [1.5, 19],
    [1.8, 27],
    [2, 33]
  ])('a %f mm sphere on 1 mm voxels holds %i voxels', (radiusMm, count) => {
    const footprint = brushFootprint(iso, { centerIjk: [5, 5, 5], radiusMm, shape: 'sphere', axis: 'axial' })
    expect(footprint.length).toBe(count)
  })

  it('returns sorted unique indices', () => {
    const footprint = brushFootprint(iso, { centerIjk: [5, 5, 5], radiusMm: 2, shape: 'sphere', axis: 'axial' })
    for (let n = 1; n < footprint.length; n++) expect(footprint[n]).toBeGreaterThan(footprint[n - 1])
  })

  it.each(['axial', 'coronal', 'sagittal'] as const)('a 1.5 mm %s disk is the 3×3 square of its slice', (axis) => {
    const footprint = brushFootprint(iso, { centerIjk: [5, 5, 5], radiusMm: 1.5, shape: 'disk', axis })
    const expected = latticeDisk(2).map((key) => {
      const [a, b] = key.split(',').map(Number)
      return axis === 'axial' ? `${a},${b},0` : axis === 'coronal' ? `${a},0,${b}` : `0,${a},${b}`
    })
    expect(offsetKeys(iso, footprint, [5, 5, 5])).toEqual(expected.sort())
  })

  // 0.8 × 0.8 × 5 mm voxels, 5 mm radius: in-plane (0.8a)² + (0.8b)² ≤ 25 ⇔ a² + b² ≤ 39 (121 voxels,
  // ±6 along each in-plane axis); one slice away (5 mm) only the centre column is within 5 mm.
  const ct = grid([21, 21, 7], [0.8, 0.8, 5])

  it('makes a 5 mm sphere on 0.8×0.8×5 mm voxels span ±6 voxels in-plane and ±1 slice', () => {
    const footprint = brushFootprint(ct, { centerIjk: [10, 10, 3], radiusMm: 5, shape: 'sphere', axis: 'axial' })
    const expected = [...latticeDisk(39).map((key) => `${key},0`), '0,0,-1', '0,0,1'].sort()
    expect(footprint.length).toBe(123)
    expect(offsetKeys(ct, footprint, [10, 10, 3])).toEqual(expected)
  })

  it('keeps the disk in the slice plane on anisotropic voxels, for each view', () => {
    const axial = brushFootprint(ct, { centerIjk: [10, 10, 3], radiusMm: 5, shape: 'disk', axis: 'axial' })
    expect(offsetKeys(ct, axial, [10, 10, 3])).toEqual(latticeDisk(39).map((key) => `${key},0`).sort())
    // Coronal (i, k) and sagittal (j, k): ±6 in-plane along i or j, and the centre only on k ± 1.
    const coronal = brushFootprint(ct, { centerIjk: [10, 10, 3], radiusMm: 5, shape: 'disk', axis: 'coronal' })
    const expectedCoronal = [...Array.from({ length: 13 }, (_, a) => `${a - 6},0,0`), '0,0,-1', '0,0,1'].sort()
    expect(offsetKeys(ct, coronal, [10, 10, 3])).toEqual(expectedCoronal)
    const sagittal = brushFootprint(ct, { centerIjk: [10, 10, 3], radiusMm: 5, shape: 'disk', axis: 'sagittal' })
    const expectedSagittal = [...Array.from({ length: 13 }, (_, a) => `0,${a - 6},0`), '0,0,-1', '0,0,1'].sort()
    expect(offsetKeys(ct, sagittal, [10, 10, 3])).toEqual(expectedSagittal)
    // 4.9 mm: one slice away is now beyond reach.
    const smaller = brushFootprint(ct, { centerIjk: [10, 10, 3], radiusMm: 4.9, shape: 'disk', axis: 'coronal' })
    expect(offsetKeys(ct, smaller, [10, 10, 3])).toEqual(Array.from({ length: 13 }, (_, a) => `${a - 6},0,0`).sort())
  })

  it('centres on continuous coordinates and draws a disk on the slice that contains the pointer', () => {
    // Halfway between voxels 5 and 6 along i: both centres are 0.5 mm away.
    const between = brushFootprint(iso, { centerIjk: [5.5, 5, 5.3], radiusMm: 0.5, shape: 'disk', axis: 'axial' })
    expect(ijkKeys(iso, between)).toEqual(['5,5,5', '6,5,5'])
    const nextSlice = brushFootprint(iso, { centerIjk: [5, 5, 5.7], radiusMm: 0.5, shape: 'disk', axis: 'axial' })
    expect(ijkKeys(iso, nextSlice)).toEqual(['5,5,6'])
  })

  it('never paints less than the voxel under the pointer', () => {
    const tiny = brushFootprint(ct, { centerIjk: [10.3, 9.8, 3], radiusMm: 0.05, shape: 'sphere', axis: 'axial' })
    expect(ijkKeys(ct, tiny)).toEqual(['10,10,3'])
  })

  it('clips to the grid and is empty off the volume', () => {
    const corner = brushFootprint(iso, { centerIjk: [0, 0, 0], radiusMm: 1, shape: 'sphere', axis: 'axial' })
    expect(ijkKeys(iso, corner)).toEqual(['0,0,0', '0,0,1', '0,1,0', '1,0,0'])
    expect(brushFootprint(iso, { centerIjk: [5, 5, 11.6], radiusMm: 3, shape: 'disk', axis: 'axial' }).length).toBe(0)
    expect(brushFootprint(iso, { centerIjk: [-9, 5, 5], radiusMm: 3, shape: 'sphere', axis: 'axial' }).length).toBe(0)
  })

  it('refuses a non-positive radius or non-finite points', () => {
    expect(() => brushFootprint(iso, { centerIjk: [5, 5, 5], radiusMm: 0, shape: 'disk', axis: 'axial' })).toThrow(/radius/)
    expect(() => brushFootprint(iso, { centerIjk: [5, Number.NaN, 5], radiusMm: 1, shape: 'disk', axis: 'axial' })).toThrow(/finite/)
  })

  it('covers the whole segment between two pointer samples (a capsule)', () => {
    const segment = segmentFootprint(iso, { fromIjk: [2, 5, 5], toIjk: [8, 5, 5], radiusMm: 1, shape: 'disk', axis: 'axial' })
    const expected: string[] = []
    for (let i = 1; i <= 9; i++) expected.push(`${i},5,5`)
    for (let i = 2; i <= 8; i++) expected.push(`${i},4,5`, `${i},6,5`)
    expect(ijkKeys(iso, segment)).toEqual(expected.sort())
  })

  it.each([
    ['disk', 'axial', [0.8, 0.8, 5], [1.2, 2, 3], [17.6, 14.1, 3.2], 1.3],
    ['disk', 'sagittal', [1, 0.5, 2], [9, 1, 2], [9.2, 19, 5.6], 0.9],
    ['sphere', 'axial', [0.8, 0.8, 5], [1, 1, 1], [18, 15, 5], 5],
    ['sphere', 'coronal', [1, 1, 1], [19, 0, 0], [0, 19, 6], 1.5]
  ] as const)('a fast %s stroke in the %s view matches the brute-force capsule', (shape, axis: ViewAxis, spacing, from, to, radiusMm) => {
    const g = grid([20, 20, 7], [...spacing] as Vec3)
    const segment = segmentFootprint(g, { fromIjk: [...from] as Vec3, toIjk: [...to] as Vec3, radiusMm, shape, axis })
    const normal = normalAxisOf(axis)
    let expected: string[]
    if (shape === 'disk') {
      // The disk stroke lies in the slice of `from`: project both ends onto it, then brute-force.
      const slice = Math.round(from[normal])
      const a = [...from] as Vec3
      const b = [...to] as Vec3
      a[normal] = slice
      b[normal] = slice
      expected = bruteCapsule(g, a, b, radiusMm).filter((key) => Number(key.split(',')[normal]) === slice)
    } else {
      expected = bruteCapsule(g, [...from] as Vec3, [...to] as Vec3, radiusMm)
    }
    expect(ijkKeys(g, segment)).toEqual(expected)
    // No gaps: the voxel under every point along the way is painted.
    const painted = new Set(ijkKeys(g, segment))
    for (let t = 0; t <= 1; t += 0.01) {
      const point = [0, 1, 2].map((c) => Math.round(from[c] + t * (to[c] - from[c])))
      if (shape === 'disk') point[normal] = Math.round(from[normal])
      expect(painted.has(point.join(','))).toBe(true)
    }
  })

  it('computes a footprint on a 512×512×300 grid from the grid alone (no volume scan)', () => {
    const big = grid([512, 512, 300], [0.8, 0.8, 5])
    const footprint = brushFootprint(big, { centerIjk: [256, 256, 150], radiusMm: 5, shape: 'sphere', axis: 'axial' })
    expect(footprint.length).toBe(123)
    expect(footprint[0]).toBe(indexFromIjk(big, 256, 256, 149))
  })
})

describe('paint rules, eraser and threshold-limited painting', () => {
  // One row of 5 voxels: labels 0 1 2 1 0, intensities 10 20 30 40 50.
  const row = grid([5, 1, 1])
  const all = Uint32Array.from([0, 1, 2, 3, 4])
  const start = (): Uint8Array => Uint8Array.from([0, 1, 2, 1, 0])
  const image = Float32Array.from([10, 20, 30, 40, 50])

  it.each([
    ['any', OVERWRITE_ANY, 3, [0, 1, 2, 3, 4]],
    ['background', OVERWRITE_BACKGROUND, 3, [0, 4]],
    ['label 1', overwriteOnly(1), 3, [1, 3]],
    ['any, skipping voxels that already hold the value', OVERWRITE_ANY, 1, [0, 2, 4]],
    ['erase any', OVERWRITE_ANY, 0, [1, 2, 3]],
    ['erase only label 2', overwriteOnly(2), 0, [2]],
    ['erase background (nothing)', OVERWRITE_BACKGROUND, 0, []]
  ] as const)('overwrite %s', (_name, overwrite, value, expected) => {
    expect(Array.from(selectWritable(start(), all, { value, overwrite }))).toEqual(expected)
  })

  it('limits painting to an inclusive intensity range, NaN excluded', () => {
    const range = { min: 20, max: 40 }
    expect(Array.from(selectWritable(start(), all, { value: 3, overwrite: OVERWRITE_ANY, intensity: { image, range } }))).toEqual([1, 2, 3])
    const withNaN = Float32Array.from([Number.NaN, 20, 30, 40, 50])
    const open = { min: -Infinity, max: Infinity }
    expect(Array.from(selectWritable(start(), all, { value: 3, overwrite: OVERWRITE_ANY, intensity: { image: withNaN, range: open } }))).toEqual([1, 2, 3, 4])
    expect(() => selectWritable(start(), all, { value: 256, overwrite: OVERWRITE_ANY })).toThrow(/does not fit/)
  })

  const config = (overrides: Partial<BrushConfig>): BrushConfig => ({ ...DEFAULT_BRUSH_CONFIG, radiusMm: 10, ...overrides })

  it('paints a stroke through the editor with rules and threshold combined', () => {
    const labels = start()
    const editor = new VoxelEditor(labels, row)
    editor.beginStroke('Brush')
    const changed = paintSegment(editor, {
      fromIjk: [2, 0, 0],
      toIjk: [2, 0, 0],
      axis: 'axial',
      value: 3,
      config: config({ overwrite: OVERWRITE_BACKGROUND, threshold: { min: 0, max: 45 } }),
      image
    })
    editor.endStroke()
    // Background voxels are 0 and 4; voxel 4 (50) is above the threshold.
    expect(changed).toBe(1)
    expect(Array.from(labels)).toEqual([3, 1, 2, 1, 0])
    expect(() => paintSegment(editor, { fromIjk: [2, 0, 0], toIjk: [2, 0, 0], axis: 'axial', value: 3, config: config({ threshold: { min: 0, max: 1 } }) })).toThrow(
      /needs the image/
    )
  })

  it('erases only the active label when told to', () => {
    const labels = start()
    const editor = new VoxelEditor(labels, row)
    editor.beginStroke('Erase')
    expect(eraseSegment(editor, { fromIjk: [0, 0, 0], toIjk: [4, 0, 0], axis: 'axial', config: config({ radiusMm: 1, overwrite: overwriteOnly(1) }) })).toBe(2)
    editor.endStroke()
    expect(Array.from(labels)).toEqual([0, 0, 2, 0, 0])
    editor.beginStroke('Erase all')
    eraseSegment(editor, { fromIjk: [0, 0, 0], toIjk: [4, 0, 0], axis: 'axial', config: config({ radiusMm: 1 }) })
    editor.endStroke()
    expect(Array.from(labels)).toEqual([0, 0, 0, 0, 0])
    editor.undo()
    editor.undo()
    expect(Array.from(labels)).toEqual([0, 1, 2, 1, 0])
  })

  it('paints a stroke on a 512×512×300 volume touching only the footprint slices', () => {
    const big = grid([512, 512, 300], [0.8, 0.8, 5])
    const labels = new Uint8Array(512 * 512 * 300)
    const editor = new VoxelEditor(labels, big)
    editor.beginStroke('Brush')
    const changed = paintSegment(editor, { fromIjk: [100, 100, 150], toIjk: [400, 300, 150], axis: 'axial', value: 1, config: config({ radiusMm: 5, shape: 'sphere' }) })
    const summary = editor.endStroke()
    expect(summary?.voxelCount).toBe(changed)
    const dirty = editor.takeDirty()
    expect(dirty?.axial).toEqual([149, 150, 151])
    expect(dirty?.bounds).toEqual({ minIjk: [94, 94, 149], maxIjk: [406, 306, 151] })
  })
})
