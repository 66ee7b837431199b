import type { TensorInfo } from '@tensorflow/tfjs'
import type { Conv3dGeometry } from './conv3dGeometry'
import { NATIVE_WASM_PLAIN, NATIVE_WASM_SHARED } from './native/nativeKernelsWasm.generated'
import { isWasmMemory, webAssembly, type WasmMemory, type WasmModule } from '../../shared/webAssemblyApi'
import { heapF32, type WasmBackendInternals } from './wasmHeap'

/**
 * The C kernels of native/ (im2col.c, conv3d_direct.c) as one WebAssembly module, instantiated on
 * the wasm backend's own memory so they read and write tensors in place.
 *
 * im2col: one call per tile, so the per-run JS work (a copyWithin call per (position, kd, kh), or a
 * JS loop for short runs) and the filter gradient's separate transpose pass are gone. Direct
 * convolution (stride 1): no column matrix at all, see conv3dDirectWasm.ts. One thread: a helper
 * thread filling half of each im2col tile on the threaded build's shared heap was tried and gained
 * ~20 % of the im2col time only (the copies are bound by memory bandwidth). Built by
 * scripts/buildNativeKernels.mjs; docs/KERNELS.md has the numbers.
 */

const NATIVE_FUNCTIONS = ['im2col_rows', 'im2col_transposed', 'channel_major', 'pad_ndhwc', 'conv3d_direct_forward', 'conv3d_direct_filter'] as const
type NativeFunction = (typeof NATIVE_FUNCTIONS)[number]
type Exported = (...args: number[]) => void

/** What an Emscripten module of tfjs-backend-wasm exposes of its memory (threaded and plain builds differ). */
interface EmscriptenMemoryHolder {
  wasmMemory?: WasmMemory
  asm?: { memory?: WasmMemory }
}

export class NativeKernels {
  constructor(
    private readonly exported: Record<NativeFunction, Exported>,
    /** True on the threaded build's SharedArrayBuffer heap. */
    readonly shared: boolean
  ) {}

  /** cols[r·K + k] for the tile's positions (same matrix as im2colRows), from NDHWC x; pointers are heap byte offsets. */
  rows(xPtr: number, colsPtr: number, rowStart: number, rowCount: number, g: Conv3dGeometry): void {
    this.exported.im2col_rows(xPtr, colsPtr, rowStart, rowCount, ...geometryArgs(g))
  }

  /** colsT[k·stride + r] (stride defaults to rowCount): the same matrix transposed, from channel-major xT. */
  transposed(xTPtr: number, colsTPtr: number, rowStart: number, rowCount: number, g: Conv3dGeometry, stride = rowCount): void {
    this.exported.im2col_transposed(xTPtr, colsTPtr, rowStart, rowCount, ...geometryArgs(g), inputPositions(g), stride)
  }

  /** xT[c·positions + p] = x[p·C + c], for all C channels. */
  channelMajor(xPtr: number, xTPtr: number, positions: number, channels: number): void {
    this.exported.channel_major(xPtr, xTPtr, positions, channels, 0, channels)
  }

  /**
   * xp = x (one NDHWC volume of `inShape` [D, H, W, C]) zero-padded by `front` [d, h, w] voxels
   * before and cropped or zero-filled behind to `paddedShape` [D, H, W]. `front` may be negative
   * (a slab that starts inside the volume).
   */
  pad(xPtr: number, xpPtr: number, inShape: readonly number[], front: readonly number[], paddedShape: readonly number[]): void {
    const [D, H, W, C] = inShape
    this.exported.pad_ndhwc(xPtr, xpPtr, 1, D, H, W, C, front[0], front[1], front[2], paddedShape[0], paddedShape[1], paddedShape[2])
  }

  /** y = conv(xp, w) at stride 1 over `lines` (b, od, oh) lines from `lineStart`; outChannels % 4 = 0. */
  directForward(xpPtr: number, wPtr: number, yPtr: number, d: DirectGeometry, lineStart: number, lines: number): void {
    this.exported.conv3d_direct_forward(xpPtr, wPtr, yPtr, ...directArgs(d), lineStart, lines)
  }

  /** dw += the filter gradient of those lines (dy at yPtr's layout); outChannels % 4 = 0. */
  directFilter(xpPtr: number, dyPtr: number, dwPtr: number, d: DirectGeometry, lineStart: number, lines: number): void {
    this.exported.conv3d_direct_filter(xpPtr, dyPtr, dwPtr, ...directArgs(d), lineStart, lines)
  }
}

/**
 * A stride-1 convolution over an already padded input [padded D, H, W, inChannels] (per batch item),
 * giving outputs [outDepth, outHeight, outWidth, outChannels]: padded = out + filter − 1 on each axis.
 */
export interface DirectGeometry {
  padded: readonly [number, number, number]
  inChannels: number
  filter: readonly [number, number, number]
  out: readonly [number, number, number]
  outChannels: number
}

function directArgs(d: DirectGeometry): number[] {
  return [...d.padded, d.inChannels, ...d.filter, ...d.out, d.outChannels]
}

const instances = new WeakMap<WasmMemory, NativeKernels>()
const compiled: { plain?: WasmModule; shared?: WasmModule } = {}

function moduleFor(shared: boolean): WasmModule {
  const key = shared ? 'shared' : 'plain'
  const module = compiled[key] ?? new webAssembly.Module(Buffer.from(shared ? NATIVE_WASM_SHARED : NATIVE_WASM_PLAIN, 'base64'))
  compiled[key] = module
  return module
}

function memoryOf(backend: WasmBackendInternals): WasmMemory | null {
  const module = (backend as { wasm?: EmscriptenMemoryHolder }).wasm
  const memory = module?.wasmMemory ?? module?.asm?.memory
  return isWasmMemory(memory) ? memory : null
}

/** The native kernels on this backend's heap, or null where they cannot be had (then the JS loops run). */
export function nativeKernelsFor(backend: WasmBackendInternals): NativeKernels | null {
  const memory = memoryOf(backend)
  if (!memory) return null
  const known = instances.get(memory)
  if (known) return known
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer
  const instance = new webAssembly.Instance(moduleFor(shared), { env: { memory } })
  const exported = Object.fromEntries(NATIVE_FUNCTIONS.map((name) => [name, instance.exports[name] as Exported])) as Record<NativeFunction, Exported>
  const native = new NativeKernels(exported, shared)
  instances.set(memory, native)
  return native
}

function inputPositions(g: Conv3dGeometry): number {
  return g.batch * g.inDepth * g.inHeight * g.inWidth
}

function geometryArgs(g: Conv3dGeometry): number[] {
  return [
    g.inDepth, g.inHeight, g.inWidth, g.inChannels,
    g.filterDepth, g.filterHeight, g.filterWidth,
    g.strideDepth, g.strideHeight, g.strideWidth,
    g.padFront, g.padTop, g.padLeft,
    g.outDepth, g.outHeight, g.outWidth
  ]
}

/** Native row-layout im2col of one tile from NDHWC tensor x into `cols` (≥ rowCount·patchSize floats). */
export function im2colRowsNative(
  native: NativeKernels,
  backend: WasmBackendInternals,
  x: TensorInfo,
  cols: TensorInfo,
  g: Conv3dGeometry,
  rowStart: number,
  rowCount: number
): void {
  native.rows(heapF32(backend, x).byteOffset, heapF32(backend, cols).byteOffset, rowStart, rowCount, g)
}

/**
 * x in channel-major order, for im2colTransposedNative: a fresh [inChannels, positions] tensor the
 * caller disposes, or x itself when it has one channel (the same layout already).
 */
export function channelMajorNative(native: NativeKernels, backend: WasmBackendInternals, x: TensorInfo, g: Conv3dGeometry): TensorInfo {
  if (g.inChannels === 1) return x
  const positions = inputPositions(g)
  const xT = backend.makeOutput([g.inChannels, positions], 'float32')
  native.channelMajor(heapF32(backend, x).byteOffset, heapF32(backend, xT).byteOffset, positions, g.inChannels)
  return xT
}

/** Native transposed im2col of one tile from channel-major xT into `colsT` (≥ patchSize·rowCount floats). */
export function im2colTransposedNative(
  native: NativeKernels,
  backend: WasmBackendInternals,
  xT: TensorInfo,
  colsT: TensorInfo,
  g: Conv3dGeometry,
  rowStart: number,
  rowCount: number
): void {
  native.transposed(heapF32(backend, xT).byteOffset, heapF32(backend, colsT).byteOffset, rowStart, rowCount, g)
}
