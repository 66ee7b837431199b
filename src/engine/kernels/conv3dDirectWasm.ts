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

function slabGeometry(g: Conv3dGeometry, slab: Slab): DirectGeometry {
  return {
    padded: [slab.outCount + g.filterDepth - 1, paddedHeight(g), paddedWidth(g)],
    inChannels: g.inChannels,
    filter: [g.filterDepth, g.filterHeight, g.filterWidth],
    out: [slab.outCount, g.outHeight, g.outWidth],
    outChannels: g.outChannels
  }
}

type SlabStep = (slabPtr: number, d: DirectGeometry, outOffsetFloats: number, lines: number) => void

/**
 * Pads each slab of x into one reused scratch buffer (read only by our own code, never a cached
 * XNNPACK operand) and hands it to `step` with the float offset of the slab's first output.
 */
function forEachPaddedSlab(native: NativeKernels, backend: WasmBackendInternals, x: TensorInfo, g: Conv3dGeometry, options: Conv3dKernelOptions, step: SlabStep): void {
  const slabs = planSlabs(g, options)
  const maxPlanes = Math.max(...slabs.map((s) => s.outCount)) + g.filterDepth - 1
  const scratch = backend.makeOutput([maxPlanes, paddedHeight(g), paddedWidth(g), g.inChannels], 'float32')
  try {
    const inVolume = g.inDepth * g.inHeight * g.inWidth * g.inChannels
    const outPlane = g.outHeight * g.outWidth * g.outChannels
    const inShape = [g.inDepth, g.inHeight, g.inWidth, g.inChannels]
    for (const slab of slabs) {
      const d = slabGeometry(g, slab)
      const xPtr = heapF32(backend, x).byteOffset + 4 * slab.batch * inVolume
      const scratchPtr = heapF32(backend, scratch).byteOffset
      native.pad(xPtr, scratchPtr, inShape, [g.padFront - slab.outStart, g.padTop, g.padLeft], d.padded)
      step(scratchPtr, d, (slab.batch * g.outDepth + slab.outStart) * outPlane, slab.outCount * g.outHeight)
    }
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
  const y = backend.makeOutput(g.outShape, 'float32')
  try {
    forEachPaddedSlab(native, backend, x, g, options, (slabPtr, d, outOffset, lines) => {
      const yPtr = heapF32(backend, y).byteOffset + 4 * outOffset
      native.directForward(slabPtr, heapF32(backend, filter).byteOffset, yPtr, d, 0, lines)
    })
    return y
  } catch (error) {
    backend.disposeData(y.dataId)
    throw error
  }
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
  const dw = backend.makeOutput(g.filterShape, 'float32')
  try {
    heapF32(backend, dw).fill(0) // the slabs accumulate into it
    forEachPaddedSlab(native, backend, x, g, options, (slabPtr, d, outOffset, lines) => {
      const dyPtr = heapF32(backend, dy).byteOffset + 4 * outOffset
      native.directFilter(slabPtr, dyPtr, heapF32(backend, dw).byteOffset, d, 0, lines)
    })
    return dw
  } catch (error) {
    backend.disposeData(dw.dataId)
    throw error
  }
}
