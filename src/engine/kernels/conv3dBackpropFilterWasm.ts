import type { TensorInfo } from '@tensorflow/tfjs'
import { conv3dDirectFilterGradient, usesDirectConvolution } from './conv3dDirectWasm'
import type { Conv3dGeometry } from './conv3dGeometry'
import { im2colRows } from './im2col'
import { channelMajorNative, im2colTransposedNative, nativeKernelsFor, type NativeKernels } from './nativeKernels'
import type { Conv3dKernelOptions } from './conv3dKernelOptions'
import { oddRowsPerTile, planTiles, rowsPerTile } from './tilePlan'
import { heapF32, matMulWasm, reshapedView, transposeWasm, type WasmBackendInternals } from './wasmHeap'

/**
 * Conv3D filter gradient on the wasm heap: the direct kernel where it applies (conv3dDirectWasm.ts),
 * otherwise Σ over tiles of `colsᵀ · dy`, colsᵀ as the left operand
 * (XNNPACK, no transpose flags). colsᵀ is written directly by the native transposed im2col from a
 * channel-major copy of x; without it, the JS row-layout im2col is transposed by the wasm Transpose
 * kernel. Both beat the measured
 * alternatives: the BatchMatMul transposeA path (~2 GFLOP/s), `dyᵀ · cols` (XNNPACK repacks the big
 * right operand on every call, 3–12 GFLOP/s), and a transposed im2col in JS (~0.3 GFloat/s).
 * Returns the filter's shape [kd, kh, kw, inChannels, outChannels]. Peak extra memory: two tiles.
 */
export function conv3dBackpropFilterWasm(
  backend: WasmBackendInternals,
  x: TensorInfo,
  dy: TensorInfo,
  g: Conv3dGeometry,
  options: Conv3dKernelOptions = {}
): TensorInfo {
  const native = options.im2col === 'js' ? null : nativeKernelsFor(backend)
  if (native && usesDirectConvolution(g, options)) return conv3dDirectFilterGradient(native, backend, x, dy, g, options)
  return native ? filterGradientNative(native, backend, x, dy, g, options) : filterGradientByTranspose(backend, x, dy, g, options)
}

/** Σ over tiles of a matmul's [K, N] result, kept in JS memory (K·N floats, small next to a tile). */
function accumulate(sum: Float32Array, backend: WasmBackendInternals, part: TensorInfo): void {
  const partial = heapF32(backend, part)
  for (let i = 0; i < sum.length; i++) sum[i] += partial[i]
}

/** dy rows of one tile as a fresh tensor: XNNPACK caches the right operand by id, so a reused buffer would go stale. */
function dyTileOf(backend: WasmBackendInternals, dy: TensorInfo, rowStart: number, rowCount: number, N: number): TensorInfo {
  const tile = backend.makeOutput([rowCount, N], 'float32')
  heapF32(backend, tile).set(heapF32(backend, dy).subarray(rowStart * N, (rowStart + rowCount) * N))
  return tile
}

function filterGradientNative(
  native: NativeKernels,
  backend: WasmBackendInternals,
  x: TensorInfo,
  dy: TensorInfo,
  g: Conv3dGeometry,
  options: Conv3dKernelOptions
): TensorInfo {
  const K = g.patchSize
  const N = g.outChannels
  const M = g.outPositions
  const perTile = Math.min(M, rowsPerTile(K, options))
  const xT = channelMajorNative(native, backend, x, g)
  // A left operand only (never cached by XNNPACK), so one buffer serves every tile.
  const colsT = backend.makeOutput([K, perTile], 'float32')
  try {
    if (perTile === M) {
      im2colTransposedNative(native, backend, xT, colsT, g, 0, M)
      // dy is immutable while its id lives, so it may be the (cached) right operand as it is.
      const dw = matMulWasm(backend, colsT, reshapedView(dy, [M, N]))
      return { dataId: dw.dataId, shape: g.filterShape, dtype: 'float32' }
    }
    const sum = new Float32Array(K * N)
    for (const { rowStart, rowCount } of planTiles(M, perTile)) {
      im2colTransposedNative(native, backend, xT, colsT, g, rowStart, rowCount)
      const dyTile = dyTileOf(backend, dy, rowStart, rowCount, N)
      let part: TensorInfo | undefined
      try {
        part = matMulWasm(backend, reshapedView(colsT, [K, rowCount]), dyTile)
        accumulate(sum, backend, part)
      } finally {
        if (part) backend.disposeData(part.dataId)
        backend.disposeData(dyTile.dataId)
      }
    }
    return backend.makeOutput(g.filterShape, 'float32', undefined, sum)
  } finally {
    backend.disposeData(colsT.dataId)
    if (xT !== x) backend.disposeData(xT.dataId)
  }
}

function filterGradientByTranspose(backend: WasmBackendInternals, x: TensorInfo, dy: TensorInfo, g: Conv3dGeometry, options: Conv3dKernelOptions): TensorInfo {
  const K = g.patchSize
  const N = g.outChannels
  const M = g.outPositions
  const perTile = oddRowsPerTile(M, rowsPerTile(K, options))
  const cols = backend.makeOutput([perTile, K], 'float32')
  const transposedTile = (rowStart: number, rowCount: number): TensorInfo => {
    im2colRows(heapF32(backend, x), g, rowStart, rowCount, heapF32(backend, cols))
    return transposeWasm(backend, reshapedView(cols, [rowCount, K]))
  }

  try {
    if (perTile === M) {
      const colsT = transposedTile(0, M)
      try {
        const dw = matMulWasm(backend, colsT, reshapedView(dy, [M, N]))
        return { dataId: dw.dataId, shape: g.filterShape, dtype: 'float32' }
      } finally {
        backend.disposeData(colsT.dataId)
      }
    }

    const sum = new Float32Array(K * N)
    for (const { rowStart, rowCount } of planTiles(M, perTile)) {
      const colsT = transposedTile(rowStart, rowCount)
      const dyTile = dyTileOf(backend, dy, rowStart, rowCount, N)
      let part: TensorInfo | undefined
      try {
        part = matMulWasm(backend, colsT, dyTile)
        accumulate(sum, backend, part)
      } finally {
        if (part) backend.disposeData(part.dataId)
        backend.disposeData(dyTile.dataId)
        backend.disposeData(colsT.dataId)
      }
    }
    return backend.makeOutput(g.filterShape, 'float32', undefined, sum)
  } finally {
    backend.disposeData(cols.dataId)
  }
}
