import type { TensorInfo } from '@tensorflow/tfjs'
import { col2imRows } from './col2im'
import type { Conv3dGeometry } from './conv3dGeometry'
import { conv3dForwardWasm } from './conv3dForwardWasm'
import { flipFilterForInputGradient, inputGradientGeometry, isUnitStride } from './inputGradientAsConv'
import type { Conv3dKernelOptions } from './conv3dKernelOptions'
import { planTiles, rowsPerTile } from './tilePlan'
import { heapF32, matMulWasm, reshapedView, type WasmBackendInternals } from './wasmHeap'

/**
 * Conv3D input gradient on the wasm heap, correct for any stride and padding (the stock wasm
 * kernel is not, see docs/KERNELS.md). Stride 1: a forward convolution of dy with the flipped
 * filter (inputGradientAsConv.ts). Otherwise col2im of `dy · Wᵀ`.
 */
export function conv3dBackpropInputWasm(
  backend: WasmBackendInternals,
  dy: TensorInfo,
  filter: TensorInfo,
  g: Conv3dGeometry,
  options: Conv3dKernelOptions = {}
): TensorInfo {
  return isUnitStride(g)
    ? inputGradientByConv(backend, dy, filter, g, options)
    : inputGradientByCol2im(backend, dy, filter, g, options)
}

function inputGradientByConv(
  backend: WasmBackendInternals,
  dy: TensorInfo,
  filter: TensorInfo,
  g: Conv3dGeometry,
  options: Conv3dKernelOptions
): TensorInfo {
  const gT = inputGradientGeometry(g)
  // A fresh tensor, never written after the first matmul: safe as XNNPACK's cached right operand.
  const flipped = backend.makeOutput(gT.filterShape, 'float32')
  try {
    flipFilterForInputGradient(heapF32(backend, filter), g, heapF32(backend, flipped))
    return conv3dForwardWasm(backend, dy, flipped, gT, options)
  } finally {
    backend.disposeData(flipped.dataId)
  }
}

/** Wᵀ as a fresh [outChannels, patchSize] tensor (the matmul's right operand must not be transposed). */
function transposedWeights(backend: WasmBackendInternals, filter: TensorInfo, K: number, N: number): TensorInfo {
  const wT = backend.makeOutput([N, K], 'float32')
  const w = heapF32(backend, reshapedView(filter, [K, N]))
  const t = heapF32(backend, wT)
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) t[n * K + k] = w[k * N + n]
  }
  return wT
}

/**
 * Per tile of output positions, `dy · Wᵀ` gives each position's patch gradient, and col2im adds the
 * patches back onto the input voxels they came from.
 */
function inputGradientByCol2im(
  backend: WasmBackendInternals,
  dy: TensorInfo,
  filter: TensorInfo,
  g: Conv3dGeometry,
  options: Conv3dKernelOptions
): TensorInfo {
  const K = g.patchSize
  const N = g.outChannels
  const M = g.outPositions
  const perTile = Math.min(M, rowsPerTile(K, options))

  const dx = backend.makeOutput(g.inShape, 'float32')
  const temps: TensorInfo[] = []
  try {
    heapF32(backend, dx).fill(0)
    const wT = transposedWeights(backend, filter, K, N)
    temps.push(wT)
    // The left operand is read afresh by every matmul, so one dy buffer serves all tiles.
    const dyTile = perTile === M ? dy : backend.makeOutput([perTile, N], 'float32')
    if (dyTile !== dy) temps.push(dyTile)
    for (const { rowStart, rowCount } of planTiles(M, perTile)) {
      if (dyTile !== dy) {
        heapF32(backend, dyTile).set(heapF32(backend, dy).subarray(rowStart * N, (rowStart + rowCount) * N))
      }
      const patches = matMulWasm(backend, reshapedView(dyTile, [rowCount, N]), wT)
      try {
        col2imRows(heapF32(backend, patches), g, rowStart, rowCount, heapF32(backend, dx))
      } finally {
        backend.disposeData(patches.dataId)
      }
    }
    return dx
  } catch (error) {
    backend.disposeData(dx.dataId)
    throw error
  } finally {
    for (const temp of temps) backend.disposeData(temp.dataId)
  }
}
