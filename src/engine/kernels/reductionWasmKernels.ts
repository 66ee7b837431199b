/**
 * Reductions, copies and broadcasting arithmetic for the wasm backend that stay fast at rank 5. The
 * math is the stock kernels' (often literally: they are called on merged-axis views); what changes is
 * how the data is walked. See docs/KERNELS.md, "Reductions, slices and broadcasts".
 *
 * | kernel | stock wasm (rank 5) | here |
 * | --- | --- | --- |
 * | Sum, Mean | transpose by a per-element generic loop, then sum | merged axes; each reduced group as ones·X on the wasm BatchMatMul |
 * | Transpose | generic per-element loop above rank 4 | the same transpose on merged axes (rank ≤ 4 paths) |
 * | Slice, SplitV | per-element JS above rank 4; copies the whole input first | strided runs on the heap (memmove or short loop) |
 * | Concat | one TypedArray.set per row | the same strided runs |
 * | Add, Sub, Multiply, RealDiv, SquaredDifference | XNNPACK in rows of C floats when one operand repeats over space | rows widened to ~1024 floats |
 *
 * Every kernel falls back to the stock one it replaced where its fast path does not apply (other
 * dtypes, empty tensors, broadcasts of another kind).
 */
import * as tf from '@tensorflow/tfjs'
import type { DataType, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import { copyRuns, wholeBuffer, type HeapArray } from './heapCopy'
import { collapseTranspose, reductionSteps, sizeOf, slicePlan, widenBroadcast, type CopyPlan, type ReductionStep } from './shapeCollapse'
import { asWasmBackend, heapF32, reshapedView, type WasmBackendInternals } from './wasmHeap'

/** The kernels registerReductionKernels replaces on wasm. */
export const REDUCTION_KERNELS = [
  tf.Sum,
  tf.Mean,
  tf.Transpose,
  tf.Slice,
  tf.SplitV,
  tf.Concat,
  tf.Add,
  tf.Sub,
  tf.Multiply,
  tf.RealDiv,
  tf.SquaredDifference
] as const

export type ReductionKernelName = (typeof REDUCTION_KERNELS)[number]

/** The stock configs, by kernel name: the fallbacks. */
export type StockKernels = ReadonlyMap<string, KernelConfig>

/** makeOutput for every dtype the copy kernels handle (WasmBackendInternals narrows it to float32). */
interface CopyBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo
  typedArrayFromHeap(info: TensorInfo): ArrayBufferView
  disposeData(dataId: TensorInfo['dataId'], force?: boolean): boolean
}

const COPY_DTYPES: ReadonlySet<DataType> = new Set<DataType>(['float32', 'int32', 'bool'])

function heapOf(backend: CopyBackend, info: TensorInfo): HeapArray {
  const view = backend.typedArrayFromHeap(info)
  if (!(view instanceof Float32Array || view instanceof Int32Array || view instanceof Uint8Array)) {
    throw new VoxloopError('INTERNAL', `wasm heap view of a ${info.dtype} tensor is not a typed array`)
  }
  return view
}

function stockFunc(stock: StockKernels, name: string): KernelFunc {
  const config = stock.get(name)
  if (!config) throw new VoxloopError('BACKEND_UNAVAILABLE', `No stock wasm ${name} kernel to fall back to`)
  return config.kernelFunc
}

/** A wasm kernel that serves the calls it handles and hands every other one to the stock kernel it replaces. */
function overriding(stock: StockKernels, name: string, kernelFunc: (args: Parameters<KernelFunc>[0], fallback: KernelFunc) => ReturnType<KernelFunc>): KernelConfig {
  const fallback = stockFunc(stock, name)
  return { kernelName: name, backendName: 'wasm', setupFunc: stock.get(name)?.setupFunc, kernelFunc: (args) => kernelFunc(args, fallback) }
}

function single(out: TensorInfo | TensorInfo[], name: string): TensorInfo {
  if (Array.isArray(out)) throw new VoxloopError('INTERNAL', `wasm ${name} returned several outputs`)
  return out
}

/** The same data id under another shape: what a kernel returns after working on a merged view. */
function withShape(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype }
}

// ---------------------------------------------------------------------------------------------
// Sum, Mean

/**
 * One reduction step on the heap: [outer, reduce, inner] → [outer, inner].
 *
 * - inner = 1: the stock Sum, which reduces innermost axes without transposing.
 * - otherwise: ones[outer, 1, reduce] · X[outer, reduce, inner] by the wasm BatchMatMul, asked for
 *   with transposeA (ones stored [outer, reduce, 1]). That flag keeps the matmul off XNNPACK on
 *   purpose: XNNPACK would pack X, the big operand, as cached weights on every call (2–8× slower
 *   here, and a packed copy of X kept until X is disposed), while the blocked loop streams X once
 *   (0.5–1 G elements/s, measured for inner 3–64). Nothing on this path is cached by data id.
 */
function reduceStep(backend: WasmBackendInternals, x: TensorInfo, step: ReductionStep, stockSum: KernelFunc): TensorInfo {
  const { outer, reduce, inner } = step
  if (inner === 1) {
    const out = single(stockSum({ inputs: { x: reshapedView(x, [outer, reduce]) }, backend, attrs: { axis: [1], keepDims: false } }), tf.Sum)
    return withShape(out, [outer])
  }
  const ones = backend.makeOutput([outer, reduce, 1], 'float32')
  try {
    heapF32(backend, ones).fill(1)
    const matMul = tf.getKernel(tf.BatchMatMul, 'wasm')
    if (!matMul) throw new VoxloopError('BACKEND_UNAVAILABLE', 'The wasm BatchMatMul kernel is not registered')
    const out = single(
      matMul.kernelFunc({
        inputs: { a: ones, b: reshapedView(x, [outer, reduce, inner]) },
        backend,
        attrs: { transposeA: true, transposeB: false }
      }),
      tf.BatchMatMul
    )
    return withShape(out, [outer, inner])
  } finally {
    backend.disposeData(ones.dataId)
  }
}

/**
 * Sum (or mean) of a float32 tensor over `axes` on the wasm heap, in as many steps as the merged
 * shape has reduced groups (one for every reduction the U-Net makes). `outShape` is the final shape
 * (keepDims already applied).
 */
export function reduceSumWasm(
  backend: WasmBackendInternals,
  x: TensorInfo,
  axes: number[],
  outShape: number[],
  stockSum: KernelFunc,
  mean: boolean
): TensorInfo {
  const steps = reductionSteps(x.shape, axes)
  if (steps.length === 0) {
    // Only size-1 axes reduced: a copy.
    const out = backend.makeOutput(outShape, 'float32')
    heapF32(backend, out).set(heapF32(backend, x))
    return out
  }
  let current = x
  let divisor = 1
  try {
    for (const step of steps) {
      const next = reduceStep(backend, current, step, stockSum)
      if (current !== x) backend.disposeData(current.dataId)
      current = next
      divisor *= step.reduce
    }
  } catch (error) {
    if (current !== x) backend.disposeData(current.dataId)
    throw error
  }
  if (mean) {
    // As the cpu backend: the float32 sum divided by the count, rounded once.
    const values = heapF32(backend, current)
    for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) / divisor
  }
  return withShape(current, outShape)
}

interface ReductionAttrs {
  axis: number | number[]
  keepDims: boolean
}

function reductionConfig(name: typeof tf.Sum | typeof tf.Mean, stock: StockKernels): KernelConfig {
  const stockSum = stockFunc(stock, tf.Sum)
  return overriding(stock, name, (args, fallback) => {
    const x = args.inputs.x
    if (!x || x.dtype !== 'float32' || sizeOf(x.shape) === 0) return fallback(args)
    const { axis, keepDims } = (args.attrs ?? {}) as unknown as ReductionAttrs
    const axes = tf.util.parseAxisParam(axis, x.shape)
    const [reducedShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes)
    const outShape = keepDims ? tf.backend_util.expandShapeToKeepDim(reducedShape, axes) : reducedShape
    return reduceSumWasm(asWasmBackend(args.backend), x, axes, outShape, stockSum, name === tf.Mean)
  })
}

// ---------------------------------------------------------------------------------------------
// Transpose

function transposeConfig(stock: StockKernels): KernelConfig {
  return overriding(stock, tf.Transpose, (args, fallback) => {
    const x = args.inputs.x
    const perm = (args.attrs as { perm?: number[] } | undefined)?.perm
    if (!x || !perm || !COPY_DTYPES.has(x.dtype) || sizeOf(x.shape) === 0) return fallback(args)
    const collapsed = collapseTranspose(x.shape, perm)
    if (collapsed.shape.length === x.shape.length) return fallback(args)
    const out = single(fallback({ inputs: { x: reshapedView(x, collapsed.shape) }, backend: args.backend, attrs: { perm: collapsed.perm } }), tf.Transpose)
    return withShape(out, perm.map((axis) => x.shape[axis] as number))
  })
}

// ---------------------------------------------------------------------------------------------
// Slice, SplitV, Concat

/** `x[begin : begin + size]` by strided runs on the heap. float32, int32 or bool. */
export function sliceWasm(backend: CopyBackend, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.makeOutput(size, x.dtype)
  if (sizeOf(size) === 0) return out
  // Views after makeOutput: an allocation may have grown (and detached) the heap.
  const source = wholeBuffer(heapOf(backend, x))
  const target = wholeBuffer(heapOf(backend, out))
  copyRuns(source.heap, source.base, target.base, slicePlan(x.shape, begin, size))
  return out
}

interface SliceAttrs {
  begin: number | number[]
  size?: number | number[]
}

function sliceConfig(stock: StockKernels): KernelConfig {
  return overriding(stock, tf.Slice, (args, fallback) => {
    const x = args.inputs.x
    if (!x || !COPY_DTYPES.has(x.dtype)) return fallback(args)
    const { begin, size } = (args.attrs ?? {}) as unknown as SliceAttrs
    const [begin_, size_] = tf.slice_util.parseSliceParams(x, begin, size)
    return sliceWasm(args.backend as CopyBackend, x, begin_, size_)
  })
}

interface SplitAttrs {
  numOrSizeSplits: number | number[]
  axis: number | number[]
}

function splitConfig(stock: StockKernels): KernelConfig {
  return overriding(stock, tf.SplitV, (args, fallback) => {
    const x = args.inputs.x
    if (!x || !COPY_DTYPES.has(x.dtype)) return fallback(args)
    const { numOrSizeSplits, axis } = (args.attrs ?? {}) as unknown as SplitAttrs
    const splitAxis = tf.util.parseAxisParam(axis, x.shape)[0] as number
    const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, splitAxis)
    const backend = args.backend as CopyBackend
    const begin = new Array<number>(x.shape.length).fill(0)
    const outputs: TensorInfo[] = []
    try {
      for (const s of sizes) {
        const size = [...x.shape]
        size[splitAxis] = s
        outputs.push(sliceWasm(backend, x, [...begin], size))
        begin[splitAxis] = (begin[splitAxis] as number) + s
      }
    } catch (error) {
      for (const out of outputs) backend.disposeData(out.dataId)
      throw error
    }
    return outputs
  })
}

/** Concatenation along `axis` by strided runs on the heap; all inputs one dtype (float32, int32, bool). */
export function concatWasm(backend: CopyBackend, inputs: TensorInfo[], axis: number, outShape: number[]): TensorInfo {
  const first = inputs[0] as TensorInfo
  const out = backend.makeOutput(outShape, first.dtype)
  const rows = sizeOf(outShape.slice(0, axis))
  const rowLength = sizeOf(outShape.slice(axis))
  if (rows * rowLength === 0) return out
  const target = wholeBuffer(heapOf(backend, out))
  let offset = 0
  for (const input of inputs) {
    const inner = sizeOf(input.shape.slice(axis))
    if (inner === 0) continue
    // Every wasm tensor lives on the one heap: the target's whole-heap view reads the source too.
    const source = wholeBuffer(heapOf(backend, input))
    const plan: CopyPlan = { runLength: inner, srcStart: 0, loops: rows > 1 ? [{ count: rows, srcStride: inner, dstStride: rowLength }] : [] }
    copyRuns(target.heap, source.base, target.base + offset, plan)
    offset += inner
  }
  return out
}

function concatConfig(stock: StockKernels): KernelConfig {
  return overriding(stock, tf.Concat, (args, fallback) => {
    // tfjs hands Concat its inputs as an array (tf.concat passes the tensor list).
    const inputs = (Array.isArray(args.inputs) ? args.inputs : Object.values(args.inputs)) as TensorInfo[]
    const first = inputs[0]
    if (!first || !COPY_DTYPES.has(first.dtype) || inputs.some((input) => input.dtype !== first.dtype)) return fallback(args)
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, first.shape)[0] as number
    const shapes = inputs.map((input) => input.shape)
    tf.backend_util.assertParamsConsistent(shapes, axis)
    const outShape = tf.backend_util.computeOutShape(shapes, axis)
    if (inputs.filter((input) => sizeOf(input.shape) > 0).length < 2) return fallback(args)
    return concatWasm(args.backend as CopyBackend, inputs, axis, outShape)
  })
}

// ---------------------------------------------------------------------------------------------
// Broadcasting binary ops

const BINARY_KERNELS = [tf.Add, tf.Sub, tf.Multiply, tf.RealDiv, tf.SquaredDifference] as const

/**
 * `x` repeated `tile` times along its last axis (x collapsed to [..., row]): a new float32 tensor of
 * shape `shape`. The repeated operand of a broadcast is small (an instance-norm statistic, a bias).
 */
function tileRows(backend: WasmBackendInternals, x: TensorInfo, row: number, tile: number, shape: number[]): TensorInfo {
  const out = backend.makeOutput(shape, 'float32')
  const source = heapF32(backend, x)
  const target = heapF32(backend, out)
  const rows = source.length / row
  for (let r = 0, o = 0; r < rows; r++) {
    const from = r * row
    for (let t = 0; t < tile; t++) for (let j = 0; j < row; j++, o++) target[o] = source[from + j] as number
  }
  return out
}

function binaryConfig(name: (typeof BINARY_KERNELS)[number], stock: StockKernels): KernelConfig {
  return overriding(stock, name, (args, fallback) => {
    const { a, b } = args.inputs as { a?: TensorInfo; b?: TensorInfo }
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args)
    const widened = widenBroadcast(a.shape, b.shape)
    if (!widened) return fallback(args)
    const backend = asWasmBackend(args.backend)
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape)
    const repeated = widened.tiled === 'a' ? a : b
    const row = widened.tiledFrom[widened.tiledFrom.length - 1] as number
    const tiled = tileRows(backend, repeated, row, widened.tile, widened.tiled === 'a' ? widened.aShape : widened.bShape)
    try {
      const inputs: NamedTensorInfoMap =
        widened.tiled === 'a' ? { a: tiled, b: reshapedView(b, widened.bShape) } : { a: reshapedView(a, widened.aShape), b: tiled }
      const out = single(fallback({ inputs, backend: args.backend, attrs: args.attrs as NamedAttrMap }), name)
      return withShape(out, outShape)
    } finally {
      backend.disposeData(tiled.dataId)
    }
  })
}

/** KernelConfigs for every kernel in REDUCTION_KERNELS, falling back to `stock`. */
export function reductionWasmKernelConfigs(stock: StockKernels): KernelConfig[] {
  return [
    reductionConfig(tf.Sum, stock),
    reductionConfig(tf.Mean, stock),
    transposeConfig(stock),
    sliceConfig(stock),
    splitConfig(stock),
    concatConfig(stock),
    ...BINARY_KERNELS.map((name) => binaryConfig(name, stock))
  ]
}
