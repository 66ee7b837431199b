/**
 * The slice of tfjs-backend-webgpu 4.22's program contract that our WGSL kernels use, typed here
 * because the package is loaded by name at run time (src/engine/backends/webgpu/dawn.ts) and its
 * internals (`runWebGPUProgram`, `tensorMap`) are not in its public types.
 *
 * How the backend turns a program into a shader (webgpu_program.ts, makeShader): it prepends a
 * `Uniforms` struct (each input's shape and strides, the output's, `size` when asked, then the
 * program's own `uniforms` fields), binds the output as `result` and each input under its
 * `variableNames` entry as `array<f32>` (i32 for int32/bool buffers), and calls our `main()` from a
 * `_start` entry point that has stored the builtins in the private variables `localIndex`,
 * `workgroupId`, `numWorkgroups`. Pipelines are cached by `shaderKey` plus the inputs' ranks and
 * dtypes, NOT their sizes: everything size-dependent must be a uniform, and every compile-time
 * constant of the generated code must appear in the shaderKey.
 */
import type { DataType, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'

export interface WebGpuProgram {
  outputShape: number[]
  shaderKey: string
  /** Workgroups per dimension, each ≤ maxComputeWorkgroupsPerDimension (65535 by default). */
  dispatch: [number, number, number]
  /**
   * Only x → a flat program: `main(index)` gets the global index. With y or z present the backend
   * calls `main()` and the program reads `workgroupId`/`localIndex` itself (our tiled kernels).
   */
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] }
  workgroupSize: [number, number, number]
  variableNames: string[]
  /** WGSL struct fields appended to the backend's Uniforms, e.g. `inD : i32, inH : i32,`. */
  uniforms?: string
  /** Adds `uniforms.size` (the output's element count). */
  size?: boolean
  getUserCode: () => string
}

export interface ProgramUniform {
  type: 'int32' | 'float32' | 'uint32'
  data: number[]
}

/** tfjs-backend-webgpu's WebGPUBackend, as far as our kernels call it. */
export interface WebGpuBackendLike {
  runWebGPUProgram(program: WebGpuProgram, inputs: TensorInfo[], outputDtype: DataType, uniforms?: ProgramUniform[]): TensorInfo
  disposeData(dataId: object): boolean
  /** The dtype of the GPU buffer behind a tensor: after an int32 → float32 Cast it is still int32. */
  tensorMap: { get(dataId: object): { dtype: DataType } | undefined }
}

export function asWebGpuBackend(backend: unknown): WebGpuBackendLike {
  const candidate = (backend ?? {}) as Partial<WebGpuBackendLike>
  if (typeof candidate.runWebGPUProgram !== 'function' || typeof candidate.disposeData !== 'function') {
    throw new Error('the WGSL kernels need tfjs-backend-webgpu (runWebGPUProgram missing on this backend)')
  }
  return candidate as WebGpuBackendLike
}

/** One i32 uniform per named value, in the order of `names` (the WGSL struct order). */
export function intUniforms(names: readonly string[], values: Record<string, number>): { wgsl: string; data: ProgramUniform[] } {
  return {
    wgsl: names.map((name) => `${name} : i32,`).join(' '),
    data: names.map((name) => {
      const value = values[name]
      if (value === undefined || !Number.isInteger(value)) throw new Error(`uniform ${name} must be an integer, got ${value}`)
      return { type: 'int32', data: [value] }
    })
  }
}

/** WebGPU's default limit on workgroups per dispatch dimension (the adapters we request keep ≥ this). */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535

/**
 * `count` workgroups laid out as x · y (y only when x alone would exceed `limit`); the programs
 * number them x + y · (workgroups in x) and leave the ragged last row's extra ones idle.
 */
export function splitWorkgroups(count: number, limit = MAX_WORKGROUPS_PER_DIMENSION): [number, number] {
  const x = Math.min(count, limit)
  return [x, Math.ceil(count / x)]
}

/** The stock kernel function of `kernelName` among tfjs-backend-webgpu's own configs. */
export function stockKernelFunc(stock: KernelConfig[], kernelName: string): KernelFunc {
  const config = stock.find((candidate) => candidate.kernelName === kernelName)
  if (!config) throw new Error(`no stock ${kernelName} kernel for webgpu`)
  return config.kernelFunc
}

/** Our kernel where it applies; null declines, and the stock kernel runs instead. */
export type KernelOrDecline = (args: Parameters<KernelFunc>[0], backend: WebGpuBackendLike) => TensorInfo | null

/**
 * A 'webgpu' KernelConfig that runs `ours`, and `stock` (the kernel it replaces) where `ours`
 * declines: the one shape of every override here (the Conv3D kernels and the rank-5 fixes).
 */
export function withStockFallback(kernelName: string, stock: KernelFunc, ours: KernelOrDecline): KernelConfig {
  return { kernelName, backendName: 'webgpu', kernelFunc: (args) => ours(args, asWebGpuBackend(args.backend)) ?? stock(args) }
}
