/**
 * Fixes, as kernel wrappers, for the rank-5 gaps of tfjs-backend-webgpu 4.22 that the project's
 * models reach (found by running buildPlainUNet3d, buildUNet3d and buildPlainUNet2d forward and
 * backward on it; the tests in test/unit/engine/kernels/webgpu/ keep them fixed):
 *
 * 1. Binary ops with a rank ≤ 1 operand against a rank ≥ 5 one (`x[1,D,H,W,C] * gamma[C]`, our
 *    InstanceNorm): the backend's shared-memory broadcast path emits `coords[4]` on its `vec5`
 *    struct, invalid WGSL. Dawn reports it only as an uncaptured error and the op returns zeros or
 *    NaN. Fixed by giving the small operand the big one's rank ([C] → [1,1,1,1,C]; a Reshape shares
 *    the buffer), which takes the general broadcast path.
 * 2. Select (tf.where) throws "Where for rank 5 is not yet supported"; tfjs-core's gradients of
 *    clipByValue and leakyRelu use it. Elementwise, so run it on the flattened tensors.
 * 3. Transpose of a rank-5 int32 (or bool) tensor on the GPU emits `setOutputAtIndex(i, A[...])`
 *    with an i32 element where f32 is expected: invalid WGSL. Reached by the Dice sums over batch
 *    and space of the one-hot labels: oneHotLabels (losses.ts) casts tf.oneHot's int32 to float32,
 *    and on webgpu that Cast only relabels the int32 buffer, so the reduction's transpose of the
 *    reduced axes inward still reads i32 (training losses wrong without this fix). Fixed by an
 *    exact i32 copy program, used by Transpose and by the reductions (Sum, Max, …), which call the
 *    stock transpose directly rather than through the kernel registry.
 */
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'
import { stockKernelFunc, withStockFallback, type WebGpuBackendLike, type WebGpuProgram } from './webgpuProgram'

/** Binary kernels whose broadcast goes through the shared-memory path (tfjs-backend-webgpu binary_op_webgpu.ts). */
export const RANK5_BINARY_KERNELS = [
  tf.Add, tf.Sub, tf.Multiply, tf.RealDiv, tf.Maximum, tf.Minimum, tf.Pow, tf.SquaredDifference, tf.FloorDiv,
  tf.Mod, tf.Atan2, tf.Equal, tf.NotEqual, tf.Greater, tf.GreaterEqual, tf.Less, tf.LessEqual, tf.LogicalAnd,
  tf.LogicalOr, tf.Prelu
] as const

/** Reductions whose stock kernel transposes the reduced axes inward by calling Transpose directly. */
export const RANK5_REDUCTION_KERNELS = [tf.Sum, tf.Max, tf.Min, tf.Prod, tf.Mean, tf.All, tf.Any] as const

export const RANK5_FIXED_KERNELS = [...RANK5_BINARY_KERNELS, tf.Select, tf.Transpose, ...RANK5_REDUCTION_KERNELS] as const

type Reshape = (x: TensorInfo, shape: number[], backend: WebGpuBackendLike) => TensorInfo

function reshaper(): Reshape {
  const reshapeKernel = tf.getKernel(tf.Reshape, 'webgpu')
  if (!reshapeKernel) throw new Error('no Reshape kernel for webgpu')
  return (x, shape, backend) => reshapeKernel.kernelFunc({ inputs: { x }, backend: backend as unknown as tf.KernelBackend, attrs: { shape } }) as TensorInfo
}

/** The rank at which the stock broadcast path breaks. */
const BROKEN_RANK = 5

function binaryFix(kernelName: string, stock: KernelFunc, reshape: Reshape): KernelConfig {
  return withStockFallback(kernelName, stock, (args, backend) => {
    const names = Object.keys(args.inputs) // a, b (x, alpha for Prelu)
    const [first, second] = names.map((name) => args.inputs[name] as TensorInfo)
    if (!first || !second) return null
    const needsFix = (small: TensorInfo, big: TensorInfo): boolean => small.shape.length <= 1 && big.shape.length >= BROKEN_RANK
    const target = needsFix(first, second) ? 0 : needsFix(second, first) ? 1 : -1
    if (target < 0) return null
    const small = target === 0 ? first : second
    const big = target === 0 ? second : first
    const padded = reshape(small, [...new Array<number>(big.shape.length - 1).fill(1), small.shape.length === 0 ? 1 : (small.shape[0] as number)], backend)
    try {
      return stock({ ...args, inputs: { ...args.inputs, [names[target] as string]: padded } }) as TensorInfo
    } finally {
      backend.disposeData(padded.dataId)
    }
  })
}

function selectFix(stock: KernelFunc, reshape: Reshape): KernelConfig {
  return withStockFallback(tf.Select, stock, (args, backend) => {
    const { condition, t, e } = args.inputs as { condition: TensorInfo; t: TensorInfo; e: TensorInfo }
    // A rank-1 condition over the batch axis (tf.where's other form) is left to the stock kernel.
    if (t.shape.length < BROKEN_RANK || condition.shape.length !== t.shape.length) return null
    const size = t.shape.reduce((a, b) => a * b, 1)
    const flat = [condition, t, e].map((tensor) => reshape(tensor, [size], backend))
    try {
      const out = stock({ ...args, inputs: { condition: flat[0] as TensorInfo, t: flat[1] as TensorInfo, e: flat[2] as TensorInfo } }) as TensorInfo
      const shaped = reshape(out, [...t.shape], backend)
      backend.disposeData(out.dataId)
      return shaped
    } finally {
      for (const tensor of flat) backend.disposeData(tensor.dataId)
    }
  })
}

/**
 * Transpose of a rank-5 int32/bool tensor, copied as raw i32: the stock TransposeProgram passes the
 * i32 element to `setOutputAtIndex`, which takes f32 (invalid WGSL).
 */
class IntTranspose5Program implements WebGpuProgram {
  readonly variableNames = ['x']
  readonly workgroupSize: [number, number, number] = [64, 1, 1]
  readonly size = true
  readonly shaderKey = 'voxloopIntTranspose5'
  readonly uniforms = 'o1 : i32, o2 : i32, o3 : i32, o4 : i32, s0 : i32, s1 : i32, s2 : i32, s3 : i32, s4 : i32,'
  readonly dispatchLayout: { x: number[] }
  readonly dispatch: [number, number, number]

  constructor(readonly outputShape: number[]) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) }
    this.dispatch = [Math.max(1, Math.ceil(outputShape.reduce((a, b) => a * b, 1) / 64)), 1, 1]
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let c4 = index % uniforms.o4;
      var t = index / uniforms.o4;
      let c3 = t % uniforms.o3;
      t = t / uniforms.o3;
      let c2 = t % uniforms.o2;
      t = t / uniforms.o2;
      let c1 = t % uniforms.o1;
      let c0 = t / uniforms.o1;
      result[index] = x[c0 * uniforms.s0 + c1 * uniforms.s1 + c2 * uniforms.s2 + c3 * uniforms.s3 + c4 * uniforms.s4];
    }
  }`
  }
}

/** The exact i32 transpose of a rank-5 int32/bool tensor, or null where the stock kernel is fine. */
function intTranspose5(backend: WebGpuBackendLike, x: TensorInfo, perm: number[]): TensorInfo | null {
  const bufferType = backend.tensorMap.get(x.dataId)?.dtype
  if (x.shape.length !== BROKEN_RANK || (bufferType !== 'int32' && bufferType !== 'bool')) return null
  if (x.shape.reduce((a, b) => a * b, 1) === 0) return null
  const inStrides = tf.util.computeStrides(x.shape) // axes 0..3; the last axis has stride 1
  const strideOf = (axis: number): number => (axis === x.shape.length - 1 ? 1 : (inStrides[axis] as number))
  const outShape = perm.map((axis) => x.shape[axis] as number)
  const uniforms = [...outShape.slice(1), ...perm.map(strideOf)].map((value) => ({ type: 'int32' as const, data: [value] }))
  // Output on a buffer of the input's buffer type, labelled as the input: after an int → float
  // Cast (which only relabels) the tensor says float32 while its buffer holds int32.
  const out = backend.runWebGPUProgram(new IntTranspose5Program(outShape), [x], bufferType, uniforms)
  return { ...out, dtype: x.dtype }
}

function transposeFix(stock: KernelFunc): KernelConfig {
  return withStockFallback(tf.Transpose, stock, (args, backend) => {
    const { x } = args.inputs as { x: TensorInfo }
    const { perm } = args.attrs as { perm: number[] }
    return intTranspose5(backend, x, perm)
  })
}

/** Moves the reduced axes of a rank-5 int tensor inward with the exact transpose, then reduces innermost axes. */
function reductionFix(kernelName: string, stock: KernelFunc, reshape: Reshape): KernelConfig {
  return withStockFallback(kernelName, stock, (args, backend) => {
    const { x } = args.inputs as { x: TensorInfo }
    // Sum, Prod, Mean, All, Any name the axes `axis`; Max and Min `reductionIndices`.
    const attrs = args.attrs as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims: boolean }
    const axisAttr = 'reductionIndices' in attrs ? 'reductionIndices' : 'axis'
    const keepDims = attrs.keepDims
    const axes = tf.util.parseAxisParam(attrs[axisAttr] ?? x.shape.map((_, i) => i), x.shape)
    const perm = tf.backend_util.getAxesPermutation(axes, x.shape.length)
    const moved = perm === null ? null : intTranspose5(backend, x, perm)
    if (moved === null) return null
    const inner = tf.backend_util.getInnerMostAxes(axes.length, x.shape.length)
    try {
      const reduced = stock({ ...args, inputs: { x: moved }, attrs: { ...args.attrs, [axisAttr]: inner, keepDims: false } }) as TensorInfo
      const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes)
      const shape = keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape
      const shaped = reshape(reduced, shape, backend)
      backend.disposeData(reduced.dataId)
      return shaped
    } finally {
      backend.disposeData(moved.dataId)
    }
  })
}

/** The wrappers, built over the stock configs (in RANK5_FIXED_KERNELS order). */
export function rank5KernelConfigs(stock: KernelConfig[]): KernelConfig[] {
  const reshape = reshaper()
  return [
    ...RANK5_BINARY_KERNELS.map((name) => binaryFix(name, stockKernelFunc(stock, name), reshape)),
    selectFix(stockKernelFunc(stock, tf.Select), reshape),
    transposeFix(stockKernelFunc(stock, tf.Transpose)),
    ...RANK5_REDUCTION_KERNELS.map((name) => reductionFix(name, stockKernelFunc(stock, name), reshape))
  ]
}
