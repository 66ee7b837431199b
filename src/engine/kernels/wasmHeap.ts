import * as tf from '@tensorflow/tfjs'
import type { DataId, KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'

/**
 * The members of tfjs-backend-wasm's `BackendWasm` that these kernels use. Declared locally rather
 * than importing the class type: the package's typings reach into generated emscripten files, and
 * a narrow interface names exactly the internals we depend on (checked at run time below), so a
 * tfjs upgrade that changes them fails loudly here instead of corrupting the heap.
 */
export interface WasmBackendInternals {
  /** Allocates on the wasm heap (uninitialised memory); `values` are copied in when given. */
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number, values?: Float32Array): TensorInfo
  /** A view of the tensor's heap memory, sized by `info.shape`. Detached by any later heap growth. */
  typedArrayFromHeap(info: TensorInfo): ArrayBufferView
  disposeData(dataId: DataId, force?: boolean): boolean
  numDataIds(): number
}

export function asWasmBackend(backend: unknown): WasmBackendInternals {
  const candidate = backend as Partial<WasmBackendInternals> | null
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.makeOutput !== 'function' ||
    typeof candidate.typedArrayFromHeap !== 'function' ||
    typeof candidate.disposeData !== 'function'
  ) {
    throw new VoxloopError('INTERNAL', 'Conv3D wasm kernel ran on a backend without the wasm heap API (makeOutput, typedArrayFromHeap)')
  }
  return candidate as WasmBackendInternals
}

/**
 * Float32 view of a tensor's heap memory. Take it right before use and again after anything that
 * may allocate (makeOutput, another kernel): growing the wasm memory detaches earlier views.
 */
export function heapF32(backend: WasmBackendInternals, info: TensorInfo): Float32Array {
  const view = backend.typedArrayFromHeap(info)
  if (!(view instanceof Float32Array)) {
    throw new VoxloopError('INVALID_ARGUMENT', `Conv3D kernels support float32 only, got ${info.dtype}`)
  }
  return view
}

/**
 * The same heap memory under another shape of at most as many elements, without a reference of its
 * own: valid only while `info` lives, and only as a matmul left operand or for `heapF32`. This is
 * how one tile-sized buffer serves a shorter last tile, and how a rank-5 filter becomes a matrix.
 */
export function reshapedView(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype }
}

/**
 * `a · b` by the wasm backend's own BatchMatMul (XNNPACK), both operands untransposed: with
 * transposeA or transposeB the kernel leaves XNNPACK for a naive loop (~2 GFLOP/s instead of ~25,
 * measured), so callers lay their operands out to avoid transposes.
 *
 * XNNPACK packs `b` once and caches the packed copy under b's data id until that id is disposed:
 * `b` must never be written after this call while its id lives (a scratch buffer reused as `b`
 * would silently multiply by stale values). `a` is read afresh each call and may be reused.
 */
export function matMulWasm(backend: WasmBackendInternals, a: TensorInfo, b: TensorInfo): TensorInfo {
  return runWasmKernel(backend, tf.BatchMatMul, { a, b }, { transposeA: false, transposeB: false })
}

/** `aᵀ` for a matrix, by the wasm Transpose kernel (native; ~2 GFloat/s against ~0.3 for a JS loop). */
export function transposeWasm(backend: WasmBackendInternals, a: TensorInfo): TensorInfo {
  return runWasmKernel(backend, tf.Transpose, { x: a }, { perm: [1, 0] })
}

function runWasmKernel(backend: WasmBackendInternals, name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm') as KernelConfig | undefined
  if (!kernel) throw new VoxloopError('BACKEND_UNAVAILABLE', `The wasm ${name} kernel is not registered`)
  const out = kernel.kernelFunc({ inputs, backend, attrs })
  if (Array.isArray(out)) throw new VoxloopError('INTERNAL', `wasm ${name} returned several outputs`)
  return out
}
