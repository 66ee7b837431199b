import type { TensorInfo } from '@tensorflow/tfjs'
import { conv3dDirectForward, usesDirectConvolution } from './conv3dDirectWasm'
import { isPointwise, type Conv3dGeometry } from './conv3dGeometry'
import { im2colRows } from './im2col'
import { im2colRowsNative, nativeKernelsFor } from './nativeKernels'
import type { Conv3dKernelOptions } from './conv3dKernelOptions'
import { planTiles, rowsPerTile } from './tilePlan'
import { heapF32, matMulWasm, reshapedView, type WasmBackendInternals } from './wasmHeap'

/**
 * Conv3D forward on the wasm heap: the direct kernel where it applies (conv3dDirectWasm.ts),
 * otherwise per tile of output positions `im2col(x) · W` with W the filter read in place as a
 * [patchSize, outChannels] matrix. The result is [batch, outD, outH, outW, outC].
 */
export function conv3dForwardWasm(
  backend: WasmBackendInternals,
  x: TensorInfo,
  filter: TensorInfo,
  g: Conv3dGeometry,
  options: Conv3dKernelOptions = {}
): TensorInfo {
  const K = g.patchSize
  const N = g.outChannels
  const perTile = rowsPerTile(K, options)
  // The filter is immutable for as long as its id lives, so it is safe as the (cached) right operand.
  const weights = reshapedView(filter, [K, N])

  if (isPointwise(g)) {
    // No im2col: the input already is the [positions, inChannels] matrix.
    const y = matMulWasm(backend, reshapedView(x, [g.outPositions, K]), weights)
    return { dataId: y.dataId, shape: g.outShape, dtype: 'float32' }
  }

  const native = options.im2col === 'js' ? null : nativeKernelsFor(backend)
  if (native && usesDirectConvolution(g, options)) return conv3dDirectForward(native, backend, x, filter, g, options)
  const fill = (cols: TensorInfo, rowStart: number, rowCount: number): void => {
    if (native) im2colRowsNative(native, backend, x, cols, g, rowStart, rowCount)
    else im2colRows(heapF32(backend, x), g, rowStart, rowCount, heapF32(backend, cols))
  }

  if (perTile >= g.outPositions) {
    const cols = backend.makeOutput([g.outPositions, K], 'float32')
    try {
      fill(cols, 0, g.outPositions)
      const y = matMulWasm(backend, cols, weights)
      return { dataId: y.dataId, shape: g.outShape, dtype: 'float32' }
    } finally {
      backend.disposeData(cols.dataId)
    }
  }

  const out = backend.makeOutput(g.outShape, 'float32')
  const cols = backend.makeOutput([perTile, K], 'float32')
  try {
    for (const { rowStart, rowCount } of planTiles(g.outPositions, perTile)) {
      fill(cols, rowStart, rowCount)
      const y = matMulWasm(backend, reshapedView(cols, [rowCount, K]), weights)
      heapF32(backend, out).set(heapF32(backend, y), rowStart * N)
      backend.disposeData(y.dataId)
    }
    return out
  } catch (error) {
    backend.disposeData(out.dataId)
    throw error
  } finally {
    backend.disposeData(cols.dataId)
  }
}
