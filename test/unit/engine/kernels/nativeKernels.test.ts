import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { conv3dGeometry, type Conv3dGeometry } from '../../../../src/engine/kernels'
import { im2colRows } from '../../../../src/engine/kernels/im2col'
import { NATIVE_SOURCES_SHA256, NATIVE_WASM_PLAIN, NATIVE_WASM_SHARED } from '../../../../src/engine/kernels/native/nativeKernelsWasm.generated'
import { nativeKernelsFor } from '../../../../src/engine/kernels/nativeKernels'
import type { WasmBackendInternals } from '../../../../src/engine/kernels/wasmHeap'
import { Heap, MEMORIES } from './bareHeap'
import { seededValues } from './testBackends'

const SOURCES = ['im2col.c', 'conv3d_direct.c'].map((name) => path.resolve(__dirname, '../../../../src/engine/kernels/native', name))

interface Geometry {
  name: string
  x: [number, number, number, number, number]
  k: [number, number, number, number, number]
  strides: number | [number, number, number]
  pad: 'same' | 'valid'
}

// Borders on every side, strides 1/2/mixed, channel counts 1 (short runs), 3, 8 and 24 (memory.copy runs).
const GEOMETRIES: Geometry[] = [
  { name: '1 ch, 3³, stride 1, same', x: [2, 5, 6, 7, 1], k: [3, 3, 3, 1, 4], strides: 1, pad: 'same' },
  { name: '3 ch, 3³, stride 2, same', x: [2, 6, 5, 7, 3], k: [3, 3, 3, 3, 2], strides: 2, pad: 'same' },
  { name: '8 ch, 3³, stride 1, valid', x: [1, 5, 7, 6, 8], k: [3, 3, 3, 8, 2], strides: 1, pad: 'valid' },
  { name: '24 ch, 3³, stride 1, same', x: [1, 4, 5, 6, 24], k: [3, 3, 3, 24, 8], strides: 1, pad: 'same' },
  { name: '3 ch, 2×3×1, strides [2,1,2], same', x: [2, 5, 6, 7, 3], k: [2, 3, 1, 3, 1], strides: [2, 1, 2], pad: 'same' },
  { name: '8 ch, 2³, stride 2, valid', x: [2, 6, 4, 8, 8], k: [2, 2, 2, 8, 8], strides: 2, pad: 'valid' },
  { name: '3 ch, 2³, stride 1, same (asymmetric padding)', x: [2, 4, 5, 3, 3], k: [2, 2, 2, 3, 3], strides: 1, pad: 'same' },
  { name: '8 ch, 5×3×3, stride 1, same', x: [1, 6, 4, 9, 8], k: [5, 3, 3, 8, 2], strides: 1, pad: 'same' }
]

function jsCols(x: Float32Array, g: Conv3dGeometry, rowStart: number, rowCount: number): Float32Array {
  const cols = new Float32Array(rowCount * g.patchSize)
  im2colRows(x, g, rowStart, rowCount, cols)
  return cols
}

/** Tiles that start and end mid-row and mid-batch, plus the whole matrix. */
function tilesOf(g: Conv3dGeometry): [number, number][] {
  const M = g.outPositions
  return [[0, M], [0, Math.ceil(M / 3)], [Math.ceil(M / 3), Math.floor(M / 2)], [M - 5, 5], [1, 1]]
}

describe.each(MEMORIES)('native im2col on a %s', (_label, makeMemory) => {
  it.each(GEOMETRIES.map((c) => [c.name, c] as const))('%s: rows layout equals the JS im2col', (_name, c) => {
    const heap = new Heap(makeMemory())
    const g = conv3dGeometry(c.x, c.k, c.strides, c.pad)
    const xValues = seededValues(c.x.reduce((a, b) => a * b, 1), 7)
    const x = heap.alloc(xValues.length)
    heap.f32.set(xValues, x)
    for (const [rowStart, rowCount] of tilesOf(g)) {
      const cols = heap.alloc(rowCount * g.patchSize)
      heap.native.rows(4 * x, 4 * cols, rowStart, rowCount, g)
      expect(heap.f32.subarray(cols, cols + rowCount * g.patchSize)).toEqual(jsCols(xValues, g, rowStart, rowCount))
      expect(heap.f32[cols + rowCount * g.patchSize]).toBeNaN()
      expect(heap.f32[cols - 1]).toBeNaN()
    }
  })

  it.each(GEOMETRIES.map((c) => [c.name, c] as const))('%s: transposed layout from channel-major x is the same matrix transposed', (_name, c) => {
    const heap = new Heap(makeMemory())
    const g = conv3dGeometry(c.x, c.k, c.strides, c.pad)
    const xValues = seededValues(c.x.reduce((a, b) => a * b, 1), 11)
    const positions = g.batch * g.inDepth * g.inHeight * g.inWidth
    const x = heap.alloc(xValues.length)
    heap.f32.set(xValues, x)
    const xT = heap.alloc(xValues.length)
    heap.native.channelMajor(4 * x, 4 * xT, positions, g.inChannels)
    for (let p = 0; p < positions; p++) for (let ch = 0; ch < g.inChannels; ch++) expect(heap.f32[xT + ch * positions + p]).toBe(xValues[p * g.inChannels + ch])

    const K = g.patchSize
    for (const [rowStart, rowCount] of tilesOf(g)) {
      const expected = jsCols(xValues, g, rowStart, rowCount)
      // A part of a wider tile: rows written at stride rowCount + 3, the gaps left alone.
      const stride = rowCount + 3
      const colsT = heap.alloc(K * stride)
      heap.native.transposed(4 * xT, 4 * colsT, rowStart, rowCount, g, stride)
      const f32 = heap.f32
      for (let k = 0; k < K; k++) {
        for (let r = 0; r < rowCount; r++) {
          if (f32[colsT + k * stride + r] !== expected[r * K + k]) {
            throw new Error(`tile ${rowStart}+${rowCount}: colsT[${k}, ${r}] = ${f32[colsT + k * stride + r]}, expected ${expected[r * K + k]}`)
          }
        }
        for (let r = rowCount; r < stride; r++) expect(f32[colsT + k * stride + r]).toBeNaN()
      }
    }
  })
})

describe('the native module', () => {
  it('was built from the current im2col.c and conv3d_direct.c (run scripts/buildNativeKernels.mjs after editing them)', () => {
    const hash = createHash('sha256')
    for (const source of SOURCES) hash.update(fs.readFileSync(source))
    const sha = hash.digest('hex')
    expect(sha).toBe(NATIVE_SOURCES_SHA256)
  })

  it.each([
    ['plain', NATIVE_WASM_PLAIN],
    ['shared', NATIVE_WASM_SHARED]
  ])('%s variant: imports only a memory and has no data, data-count or start section (it must not write into tfjs memory on load)', (_name, base64) => {
    const bytes = Buffer.from(base64, 'base64')
    const ids: number[] = []
    for (let at = 8; at < bytes.length; ) {
      const id = bytes[at++]
      let size = 0
      for (let shift = 0; ; shift += 7) {
        const byte = bytes[at++]
        size += (byte & 0x7f) * 2 ** shift
        if ((byte & 0x80) === 0) break
      }
      ids.push(id)
      at += size
    }
    expect(ids).not.toContain(8)
    expect(ids).not.toContain(11)
    expect(ids).not.toContain(12)
  })

  it('is not used where the backend exposes no WebAssembly memory (the JS loops run instead)', () => {
    expect(nativeKernelsFor({} as unknown as WasmBackendInternals)).toBeNull()
  })
})
