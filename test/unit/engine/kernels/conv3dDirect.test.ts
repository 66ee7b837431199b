import { describe, expect, it } from 'vitest'
import { conv3dGeometry, type Conv3dGeometry } from '../../../../src/engine/kernels'
import { planSlabs, slabGeometry, usesDirectConvolution } from '../../../../src/engine/kernels/conv3dDirectWasm'
import { im2colRows } from '../../../../src/engine/kernels/im2col'
import { Heap, MEMORIES } from './bareHeap'
import { relativeError, seededValues } from './testBackends'

interface Geometry {
  name: string
  x: [number, number, number, number, number]
  k: [number, number, number, number, number]
  pad: 'same' | 'valid'
}

// Output channel blocks of 8 and 4, widths that leave a tail after the 4-wide position blocks,
// one input channel, asymmetric 'same' padding, 'valid', non-cubic kernels.
const GEOMETRIES: Geometry[] = [
  { name: '4→8, 3³, same, width 9', x: [2, 5, 6, 9, 4], k: [3, 3, 3, 4, 8], pad: 'same' },
  { name: '8→12, 3³, same', x: [1, 4, 5, 7, 8], k: [3, 3, 3, 8, 12], pad: 'same' },
  { name: '1→4, 5×3×3, same', x: [1, 7, 4, 6, 1], k: [5, 3, 3, 1, 4], pad: 'same' },
  { name: '4→4, 2³, same (asymmetric)', x: [2, 4, 5, 3, 4], k: [2, 2, 2, 4, 4], pad: 'same' },
  { name: '24→8, 3×3×1, valid', x: [1, 6, 5, 4, 24], k: [3, 3, 1, 24, 8], pad: 'valid' }
]

/** y = cols·W and dW = colsᵀ·dy in float64 from the JS im2col: the definition, not our kernel. */
function reference(x: Float32Array, w: Float32Array, dy: Float32Array, g: Conv3dGeometry): { y: Float64Array; dw: Float64Array } {
  const K = g.patchSize
  const N = g.outChannels
  const M = g.outPositions
  const cols = new Float32Array(M * K)
  im2colRows(x, g, 0, M, cols)
  const y = new Float64Array(M * N)
  const dw = new Float64Array(K * N)
  for (let r = 0; r < M; r++) {
    for (let k = 0; k < K; k++) {
      const c = cols[r * K + k]
      for (let n = 0; n < N; n++) {
        y[r * N + n] += c * w[k * N + n]
        dw[k * N + n] += c * dy[r * N + n]
      }
    }
  }
  return { y, dw }
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

describe.each(MEMORIES)('native direct Conv3D on a %s', (_label, makeMemory) => {
  it.each(GEOMETRIES.map((c) => [c.name, c] as const))('%s: forward and filter gradient equal the definition, slab by slab', (_name, c) => {
    const heap = new Heap(makeMemory())
    const g = conv3dGeometry(c.x, c.k, 1, c.pad)
    const xValues = seededValues(product(c.x), 3)
    const wValues = seededValues(product(c.k), 4)
    const dyValues = seededValues(product(g.outShape), 5)
    const expected = reference(xValues, wValues, dyValues, g)
    const x = heap.alloc(xValues.length)
    const w = heap.alloc(wValues.length)
    const dy = heap.alloc(dyValues.length)
    heap.f32.set(xValues, x)
    heap.f32.set(wValues, w)
    heap.f32.set(dyValues, dy)
    const y = heap.alloc(dyValues.length)
    const dw = heap.alloc(wValues.length)
    heap.f32.fill(0, dw, dw + wValues.length) // the filter gradient accumulates; its guards stay NaN

    // Slabs of two output planes (the last may be one), each padded from the middle of the volume.
    const inVolume = g.inDepth * g.inHeight * g.inWidth * g.inChannels
    const outPlane = g.outHeight * g.outWidth * g.outChannels
    for (let b = 0; b < g.batch; b++) {
      for (let start = 0; start < g.outDepth; start += 2) {
        const planes = Math.min(2, g.outDepth - start)
        const d = slabGeometry(g, { batch: b, outStart: start, outCount: planes })
        const slab = heap.alloc(product(d.padded) * g.inChannels)
        heap.native.pad(4 * (x + b * inVolume), 4 * slab, [g.inDepth, g.inHeight, g.inWidth, g.inChannels], [g.padFront - start, g.padTop, g.padLeft], d.padded)
        const out = (b * g.outDepth + start) * outPlane
        heap.native.directForward(4 * slab, 4 * w, 4 * (y + out), d, 0, planes * g.outHeight)
        heap.native.directFilter(4 * slab, 4 * (dy + out), 4 * dw, d, 0, planes * g.outHeight)
        expect(heap.f32[slab + product(d.padded) * g.inChannels]).toBeNaN() // the pad stayed in its slab
      }
    }
    const f32 = heap.f32
    expect(relativeError(f32.subarray(y, y + dyValues.length), expected.y)).toBeLessThan(1e-6)
    expect(relativeError(f32.subarray(dw, dw + wValues.length), expected.dw)).toBeLessThan(1e-5)
    for (const [start, length] of [[y, dyValues.length], [dw, wValues.length]]) {
      expect(f32[start - 1]).toBeNaN()
      expect(f32[start + length]).toBeNaN()
    }
    // The inputs are read only.
    expect(f32.subarray(x, x + xValues.length)).toEqual(xValues)
    expect(f32.subarray(dy, dy + dyValues.length)).toEqual(dyValues)
  })

  it('pad crops what lies beyond the padded shape and zero-fills what lies beyond the input', () => {
    const heap = new Heap(makeMemory())
    // One channel, D×H×W = 2×2×3 holding 1..12; padded 3×3×2 with front pads (1, 0, −1).
    const x = heap.alloc(12)
    heap.f32.set(Float32Array.from({ length: 12 }, (_, i) => i + 1), x)
    const xp = heap.alloc(18)
    heap.native.pad(4 * x, 4 * xp, [2, 2, 3, 1], [1, 0, -1], [3, 3, 2])
    expect(Array.from(heap.f32.subarray(xp, xp + 18))).toEqual([0, 0, 0, 0, 0, 0, 2, 3, 5, 6, 0, 0, 8, 9, 11, 12, 0, 0])
    expect(heap.f32[xp + 18]).toBeNaN()
  })
})

describe('direct Conv3D selection', () => {
  const g = (x: number[], k: number[], strides: number, pad: 'same' | 'valid' = 'same'): Conv3dGeometry => conv3dGeometry(x, k, strides, pad)
  const unet = g([1, 32, 32, 32, 8], [3, 3, 3, 8, 8], 1)

  it.each([
    ['a stride-1 3³ layer with 8 outputs, defaults', true, unet, {}],
    ['the same on 2 wasm threads', true, unet, { wasmThreads: 2 }],
    ['the same on 4 wasm threads (the parallel matmul is left to win)', false, unet, { wasmThreads: 4 }],
    ['4 threads, direct forced', true, unet, { wasmThreads: 4, conv: 'direct' }],
    ['im2col forced', false, unet, { conv: 'im2col' }],
    ['stride 2', false, g([1, 8, 8, 8, 8], [3, 3, 3, 8, 8], 2), {}],
    ['outputs not a multiple of 4', false, g([1, 8, 8, 8, 8], [3, 3, 3, 8, 6], 1), {}],
    ['a pointwise head (no im2col to save)', false, g([1, 8, 8, 8, 8], [1, 1, 1, 8, 8], 1), {}]
  ] as const)('%s → %s', (_name, expected, geometry, options) => {
    expect(usesDirectConvolution(geometry, options)).toBe(expected)
  })

  it('slabs cover every output plane of every batch item once, within the scratch budget', () => {
    const geometry = g([2, 9, 6, 5, 4], [3, 3, 3, 4, 8], 1)
    const planeBytes = 4 * 8 * 7 * 4 // padded 8×7 plane of 4 channels
    for (const planes of [1, 2, 4, 9, 20]) {
      const slabs = planSlabs(geometry, { maxScratchBytes: (planes + 2) * planeBytes })
      const covered = slabs.flatMap((s) => Array.from({ length: s.outCount }, (_, i) => `${s.batch}:${s.outStart + i}`))
      expect(covered).toEqual(Array.from({ length: 18 }, (_, i) => `${Math.floor(i / 9)}:${i % 9}`))
      expect(Math.max(...slabs.map((s) => s.outCount))).toBe(Math.min(planes, 9))
    }
    // A budget below one padded slab still gives one plane at a time.
    expect(planSlabs(geometry, { maxScratchBytes: 100 }).every((s) => s.outCount === 1)).toBe(true)
  })
})
