import type { TensorInfo } from '@tensorflow/tfjs'
import type { Conv3dGeometry } from './conv3dGeometry'
import { IM2COL_WASM_PLAIN, IM2COL_WASM_SHARED } from './native/im2colWasm.generated'
import { isWasmMemory, webAssembly, type WasmMemory, type WasmModule } from '../webAssemblyApi'
import { heapF32, type WasmBackendInternals } from './wasmHeap'

/**
 * The im2col loops of native/im2col.c, instantiated on the wasm backend's own memory so they read
 * x and write the column matrix in place. One call per tile: the per-run JS work (a copyWithin
 * call per (position, kd, kh), or a JS loop for short runs) and the filter gradient's separate
 * transpose pass are gone. One thread: a helper thread filling half of each tile on the threaded
 * build's shared heap was tried and gained ~20 % of the im2col time only (the copies are bound by
 * memory bandwidth). Built by scripts/buildNativeKernels.mjs; docs/KERNELS.md has the numbers.
 */

const NATIVE_FUNCTIONS = ['im2col_rows', 'im2col_transposed', 'channel_major'] as const
type NativeFunction = (typeof NATIVE_FUNCTIONS)[number]
type Exported = (...args: number[]) => void

/** What an Emscripten module of tfjs-backend-wasm exposes of its memory (threaded and plain builds differ). */
interface EmscriptenMemoryHolder {
  wasmMemory?: WasmMemory
  asm?: { memory?: WasmMemory }
}

export class NativeIm2col {
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
}

const instances = new WeakMap<WasmMemory, NativeIm2col>()
const compiled: { plain?: WasmModule; shared?: WasmModule } = {}

function moduleFor(shared: boolean): WasmModule {
  const key = shared ? 'shared' : 'plain'
  const module = compiled[key] ?? new webAssembly.Module(Buffer.from(shared ? IM2COL_WASM_SHARED : IM2COL_WASM_PLAIN, 'base64'))
  compiled[key] = module
  return module
}

function memoryOf(backend: WasmBackendInternals): WasmMemory | null {
  const module = (backend as { wasm?: EmscriptenMemoryHolder }).wasm
  const memory = module?.wasmMemory ?? module?.asm?.memory
  return isWasmMemory(memory) ? memory : null
}

/** The native im2col on this backend's heap, or null where it cannot be had (then the JS loops run). */
export function nativeIm2colFor(backend: WasmBackendInternals): NativeIm2col | null {
  const memory = memoryOf(backend)
  if (!memory) return null
  const known = instances.get(memory)
  if (known) return known
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer
  const instance = new webAssembly.Instance(moduleFor(shared), { env: { memory } })
  const exported = Object.fromEntries(NATIVE_FUNCTIONS.map((name) => [name, instance.exports[name] as Exported])) as Record<NativeFunction, Exported>
  const native = new NativeIm2col(exported, shared)
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
  native: NativeIm2col,
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
export function channelMajorNative(native: NativeIm2col, backend: WasmBackendInternals, x: TensorInfo, g: Conv3dGeometry): TensorInfo {
  if (g.inChannels === 1) return x
  const positions = inputPositions(g)
  const xT = backend.makeOutput([g.inChannels, positions], 'float32')
  native.channelMajor(heapF32(backend, x).byteOffset, heapF32(backend, xT).byteOffset, positions, g.inChannels)
  return xT
}

/** Native transposed im2col of one tile from channel-major xT into `colsT` (≥ patchSize·rowCount floats). */
export function im2colTransposedNative(
  native: NativeIm2col,
  backend: WasmBackendInternals,
  xT: TensorInfo,
  colsT: TensorInfo,
  g: Conv3dGeometry,
  rowStart: number,
  rowCount: number
): void {
  native.transposed(heapF32(backend, xT).byteOffset, heapF32(backend, colsT).byteOffset, rowStart, rowCount, g)
}
