import { describe, expect, it } from 'vitest'
import { col2imRows } from '../../../../src/engine/kernels/col2im'
import { conv3dGeometry, type Conv3dGeometry } from '../../../../src/engine/kernels/conv3dGeometry'
import { im2colRows } from '../../../../src/engine/kernels/im2col'
import { flipFilterForInputGradient, inputGradientGeometry, isUnitStride } from '../../../../src/engine/kernels/inputGradientAsConv'
import { planTiles, rowsPerTile } from '../../../../src/engine/kernels/tilePlan'
import { dot, relativeError, seededValues } from './testBackends'

/** The definition, one tap at a time: cols[r][k] = x at the voxel tap k of position r reads, or 0. */
function naiveIm2col(x: Float32Array, g: Conv3dGeometry): Float32Array {
  const cols = new Float32Array(g.outPositions * g.patchSize)
  let r = 0
  for (let b = 0; b < g.batch; b++)
    for (let od = 0; od < g.outDepth; od++)
      for (let oh = 0; oh < g.outHeight; oh++)
        for (let ow = 0; ow < g.outWidth; ow++, r++) {
          let k = 0
          for (let kd = 0; kd < g.filterDepth; kd++)
            for (let kh = 0; kh < g.filterHeight; kh++)
              for (let kw = 0; kw < g.filterWidth; kw++)
                for (let c = 0; c < g.inChannels; c++, k++) {
                  const id = od * g.strideDepth - g.padFront + kd
                  const ih = oh * g.strideHeight - g.padTop + kh
                  const iw = ow * g.strideWidth - g.padLeft + kw
                  const inside = id >= 0 && id < g.inDepth && ih >= 0 && ih < g.inHeight && iw >= 0 && iw < g.inWidth
                  const index = (((b * g.inDepth + id) * g.inHeight + ih) * g.inWidth + iw) * g.inChannels + c
                  cols[r * g.patchSize + k] = inside ? x[index] : 0
                }
        }
  return cols
}

const GEOMETRIES: Array<[string, Conv3dGeometry]> = [
  ['3³ kernel, stride 1, same, 1 ch', conv3dGeometry([2, 4, 5, 6, 1], [3, 3, 3, 1, 2], 1, 'same')],
  ['3³ kernel, stride 2, same, 3 ch', conv3dGeometry([1, 7, 6, 5, 3], [3, 3, 3, 3, 2], 2, 'same')],
  ['3³ kernel, stride 2, valid, 8 ch', conv3dGeometry([2, 5, 7, 6, 8], [3, 3, 3, 8, 2], 2, 'valid')],
  ['2×3×1 kernel, strides [2,1,2], same, 3 ch', conv3dGeometry([1, 5, 4, 7, 3], [2, 3, 1, 3, 2], [2, 1, 2], 'same')],
  ['kernel wider than the input, same', conv3dGeometry([1, 2, 2, 2, 2], [3, 3, 3, 2, 1], 1, 'same')],
  ['3³ kernel, stride 1, valid, 8 ch (native runs)', conv3dGeometry([2, 5, 4, 6, 8], [3, 3, 3, 8, 3], 1, 'valid')],
  ['2×3×3 kernel, stride 1, same, 16 ch (native runs, asymmetric pad)', conv3dGeometry([1, 4, 5, 3, 16], [2, 3, 3, 16, 2], 1, 'same')],
  ['1×1×1 kernel, stride 1 (pointwise: one block copy)', conv3dGeometry([2, 3, 4, 5, 8], [1, 1, 1, 8, 2], 1, 'same')],
  ['1×1×1 kernel, stride 2', conv3dGeometry([1, 5, 4, 3, 3], [1, 1, 1, 3, 2], 2, 'valid')]
]

/** x and a cols buffer as views of one ArrayBuffer, as on the wasm heap (the native-copy path). */
function sharedBuffer(x: Float32Array, colsLength: number): { x: Float32Array; cols: Float32Array } {
  const buffer = new ArrayBuffer(4 * (x.length + 3 + colsLength))
  const shared = new Float32Array(buffer, 0, x.length)
  shared.set(x)
  // An odd gap so that offsets into the shared view are exercised.
  return { x: shared, cols: new Float32Array(buffer, 4 * (x.length + 3), colsLength) }
}

/** C = A·B for row-major A [m×k], B [k×n]. */
function matMul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = new Float32Array(m * n)
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const v = a[i * k + p]
      for (let j = 0; j < n; j++) c[i * n + j] += v * b[p * n + j]
    }
  return c
}

describe.each(GEOMETRIES)('im2col / col2im, %s', (_name, g) => {
  const x = seededValues(g.inShape.reduce((a, b) => a * b, 1), 11)
  const expected = naiveIm2col(x, g)

  it.each([
    ['separate buffers', false],
    ['one shared buffer', true]
  ] as const)('row layout matches the definition, in one tile and in tiles that cut rows (%s)', (_how, shared) => {
    const whole = shared ? sharedBuffer(x, expected.length) : { x, cols: new Float32Array(expected.length) }
    whole.cols.fill(Number.NaN)
    im2colRows(whole.x, g, 0, g.outPositions, whole.cols)
    expect(whole.cols).toEqual(expected)
    const perTile = 5
    const tiled = shared ? sharedBuffer(x, perTile * g.patchSize) : { x, cols: new Float32Array(perTile * g.patchSize) }
    for (const { rowStart, rowCount } of planTiles(g.outPositions, perTile)) {
      tiled.cols.fill(Number.NaN)
      im2colRows(tiled.x, g, rowStart, rowCount, tiled.cols)
      expect(tiled.cols.subarray(0, rowCount * g.patchSize)).toEqual(expected.subarray(rowStart * g.patchSize, (rowStart + rowCount) * g.patchSize))
    }
  })

  it('col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>, tiles accumulating', () => {
    const c = seededValues(expected.length, 12)
    const dx = new Float32Array(x.length)
    for (const { rowStart, rowCount } of planTiles(g.outPositions, 3)) {
      col2imRows(c.subarray(rowStart * g.patchSize), g, rowStart, rowCount, dx)
    }
    const lhs = dot(expected, c)
    expect(Math.abs(dot(x, dx) - lhs)).toBeLessThan(1e-5 * Math.max(1, Math.abs(lhs)))
  })

  // The identity only holds at stride 1, so strided geometries do not get this case at all.
  if (isUnitStride(g)) it('for stride 1, im2col(dy)·flip(W) equals col2im(dy·Wᵀ)', () => {
    const K = g.patchSize
    const N = g.outChannels
    const w = seededValues(K * N, 13)
    const dy = seededValues(g.outPositions * N, 14)
    const wT = new Float32Array(N * K)
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) wT[n * K + k] = w[k * N + n]
    const byCol2im = new Float32Array(x.length)
    col2imRows(matMul(dy, wT, g.outPositions, N, K), g, 0, g.outPositions, byCol2im)

    const gT = inputGradientGeometry(g)
    const flipped = new Float32Array(w.length)
    flipFilterForInputGradient(w, g, flipped)
    const cols = new Float32Array(gT.outPositions * gT.patchSize)
    im2colRows(dy, gT, 0, gT.outPositions, cols)
    const byConv = matMul(cols, flipped, gT.outPositions, gT.patchSize, gT.outChannels)
    expect(relativeError(byConv, byCol2im)).toBeLessThan(1e-5)
  })
})

describe('tile budget', () => {
  it('bounds a tile by bytes, with at least one position', () => {
    expect(rowsPerTile(27, { maxScratchBytes: 27 * 4 * 10 })).toBe(10)
    expect(rowsPerTile(1_000_000, { maxScratchBytes: 1000 })).toBe(1)
    expect(rowsPerTile(864) * 864 * 4).toBeLessThanOrEqual(64 * 2 ** 20)
  })

  it('refuses budgets over 64 MiB or not positive', () => {
    expect(() => rowsPerTile(27, { maxScratchBytes: 65 * 2 ** 20 })).toThrow(/maxScratchBytes/)
    expect(() => rowsPerTile(27, { maxScratchBytes: 0 })).toThrow(/maxScratchBytes/)
  })

  it('covers every position exactly once', () => {
    const tiles = planTiles(103, 10)
    expect(tiles.length).toBe(11)
    expect(tiles.reduce((n, t) => n + t.rowCount, 0)).toBe(103)
    expect(tiles.at(-1)).toEqual({ rowStart: 100, rowCount: 3 })
  })
})
