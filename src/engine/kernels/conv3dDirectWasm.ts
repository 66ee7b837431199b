import type { TensorInfo } from '@tensorflow/tfjs'
import { isPointwise, type Conv3dGeometry } from './conv3dGeometry'
import { DIRECT_MAX_THREADS, scratchBudget, type Conv3dKernelOptions } from './conv3dKernelOptions'
import type { DirectGeometry, NativeKernels } from './nativeKernels'
import { heapF32, type WasmBackendInternals } from './wasmHeap'

/**
 * Conv3D forward and filter gradient at stride 1 without a column matrix: native/conv3d_direct.c
 * reads a zero-padded copy of the input in place, with the output channels in SIMD lanes. On one
 * thread 1.3–3.7× the im2col + XNNPACK forward and 1.3–2.1× its filter gradient on the reference
 * U-Net's layers (docs/KERNELS.md). The input gradient at stride 1 is a forward convolution
 * (inputGradientAsConv.ts), so it runs here too.
 */

/** Whether the direct kernels serve this convolution under these options (Conv3dKernelOptions.conv). */
export function usesDirectConvolution(g: Conv3dGeometry, options: Conv3dKernelOptions): boolean {
  const choice = options.conv ?? 'auto'
  if (choice === 'im2col') return false
  if (choice === 'auto' && (options.wasmThreads ?? 1) > DIRECT_MAX_THREADS) return false
  // A pointwise convolution needs no im2col either: its input already is the matmul's left operand.
  const unitStride = g.strideDepth === 1 && g.strideHeight === 1 && g.strideWidth === 1
  return unitStride && !isPointwise(g) && g.outChannels % 4 === 0
}

/** Output planes [outStart, outStart + outCount) of one batch item, computed from one padded slab. */
export interface Slab {
  batch: number
  outStart: number
  outCount: number
}

/**
 * Slabs of output planes whose padded input (outCount + filterDepth − 1 planes) fits the scratch
 * budget, at least one plane each. A 32³ layer of 24 channels needs 3.8 MB: one slab per batch item.
 */
export function planSlabs(g: Conv3dGeometry, options: Conv3dKernelOptions = {}): Slab[] {
  const planeBytes = 4 * paddedHeight(g) * paddedWidth(g) * g.inChannels
  const perSlab = Math.max(1, Math.floor(scratchBudget(options) / planeBytes) - (g.filterDepth - 1))
  const slabs: Slab[] = []
  for (let batch = 0; batch < g.batch; batch++) {
    for (let outStart = 0; outStart < g.outDepth; outStart += perSlab) {
      slabs.push({ batch, outStart, outCount: Math.min(perSlab, g.outDepth - outStart) })
    }
  }
  return slabs
}

function paddedHeight(g: Conv3dGeometry): number {
  return g.outHeight + g.filterHeight - 1
}

function paddedWidth(g: Conv3dGeometry): number {
  return g.outWidth + g.filterWidth - 1
}

/** The direct kernels' geometry of one slab: its padded input and its output planes. */
export function slabGeometry(g: Conv3dGeometry, slab: Slab): DirectGeometry {
  return {
    padded: [slab.outCount + g.filterDepth - 1, paddedHeight(g), paddedWidth(g)],
    inChannels: g.inChannels,
    filter: [g.filterDepth, g.filterHeight, g.filterWidth],
    out: [slab.outCount, g.outHeight, g.outWidth],
    outChannels: g.outChannels
  }
}

/**
 * One slab's work: its padded input and geometry, its number of output lines, the float offset of
 * its first output (in y and dy's layout) and the byte offset of the tensor being written.
 */
type SlabStep = (slabPtr: number, d: DirectGeometry, lines: number, outOffsetFloats: number, resultPtr: number) => void

/**
 * A fresh tensor of `shape` (zeroed first when the slabs accumulate into it) written slab by slab:
 * each slab of x is padded into one reused scratch buffer (read only by our own code, never a cached
 * XNNPACK operand) and handed to `step`. On an error the tensor is disposed, the scratch always.
 */
function writeBySlabs(
  native: NativeKernels,
  backend: WasmBackendInternals,
  x: TensorInfo,
  g: Conv3dGeometry,
  options: Conv3dKernelOptions,
  out: { shape: number[]; accumulate: boolean },
  step: SlabStep
): TensorInfo {
  const slabs = planSlabs(g, options)
  const maxPlanes = Math.max(...slabs.map((s) => s.outCount)) + g.filterDepth - 1
  const result = backend.makeOutput(out.shape, 'float32')
  const scratch = backend.makeOutput([maxPlanes, paddedHeight(g), paddedWidth(g), g.inChannels], 'float32')
  try {
    if (out.accumulate) heapF32(backend, result).fill(0)
    const inVolume = g.inDepth * g.inHeight * g.inWidth * g.inChannels
    const outPlane = g.outHeight * g.outWidth * g.outChannels
    const inShape = [g.inDepth, g.inHeight, g.inWidth, g.inChannels]
    for (const slab of slabs) {
      const d = slabGeometry(g, slab)
      const xPtr = heapF32(backend, x).byteOffset + 4 * slab.batch * inVolume
      const scratchPtr = heapF32(backend, scratch).byteOffset
      native.pad(xPtr, scratchPtr, inShape, [g.padFront - slab.outStart, g.padTop, g.padLeft], d.padded)
      step(scratchPtr, d, slab.outCount * g.outHeight, (slab.batch * g.outDepth + slab.outStart) * outPlane, heapF32(backend, result).byteOffset)
    }
    return result
  } catch (error) {
    backend.disposeData(result.dataId)
    throw error
  } finally {
    backend.disposeData(scratch.dataId)
  }
}

/** y = conv3d(x, filter) for a geometry usesDirectConvolution accepts: [batch, outD, outH, outW, outC]. */
export function conv3dDirectForward(
  native: NativeKernels,
  backend: WasmBackendInternals,
  x: TensorInfo,
  filter: TensorInfo,
  g: Conv3dGeometry,
  options: Conv3dKernelOptions = {}
): TensorInfo {
  return writeBySlabs(native, backend, x, g, options, { shape: g.outShape, accumulate: false }, (slabPtr, d, lines, outOffset, yPtr) => {
    native.directForward(slabPtr, heapF32(backend, filter).byteOffset, yPtr + 4 * outOffset, d, 0, lines)
  })
}

/** dFilter of conv3d(x, filter) given dy, for a geometry usesDirectConvolution accepts: the filter's shape. */
export function conv3dDirectFilterGradient(
  native: NativeKernels,
  backend: WasmBackendInternals,
  x: TensorInfo,
  dy: TensorInfo,
  g: Conv3dGeometry,
  options: Conv3dKernelOptions = {}
): TensorInfo {
  return writeBySlabs(native, backend, x, g, options, { shape: g.filterShape, accumulate: true }, (slabPtr, d, lines, outOffset, dwPtr) => {
    native.directFilter(slabPtr, heapF32(backend, dy).byteOffset + 4 * outOffset, dwPtr, d, 0, lines)
  })
}
