import { z } from 'zod'
import { VoxloopError } from './errors'

/** Compute backends in order of preference (docs/ARCHITECTURE.md, "Compute backends"). */
export const BACKEND_IDS = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const
export const BackendIdSchema = z.enum(BACKEND_IDS)
export type BackendId = z.infer<typeof BackendIdSchema>

export const BackendPreferenceSchema = z.union([z.literal('auto'), BackendIdSchema])
export type BackendPreference = z.infer<typeof BackendPreferenceSchema>

/**
 * The WebGPU adapter the engine found (Dawn in Node): shown by `voxloop backends`, the status bar and
 * the training panel. Defined here rather than in the engine because it crosses IPC and HTTP inside
 * the backend report; the engine's dawn.ts uses this type.
 */
export const GpuAdapterSummarySchema = z.object({
  /** e.g. "NVIDIA GeForce RTX 4070" or "SwiftShader driver 5.0.0". */
  name: z.string(),
  vendor: z.string(),
  architecture: z.string(),
  /** A CPU-emulated adapter (SwiftShader, WARP): exact enough for tests, slower than wasm. */
  software: z.boolean(),
  /** The largest buffer the device allows, bytes (WebGPU reports no total memory). */
  maxBufferBytes: z.number().int().nonnegative()
})
export type GpuAdapterSummary = z.infer<typeof GpuAdapterSummarySchema>

export const BackendProbeSchema = z.object({
  id: BackendIdSchema,
  available: z.boolean(),
  /** Why it is or is not usable, e.g. "not installed" or "loaded; CUDA GPU: NVIDIA H200". */
  reason: z.string(),
  /**
   * Set when the backend works but 'auto' passes it over, and why: a software WebGPU adapter is CPU
   * emulation, far slower than wasm. Forcing the backend still uses it.
   */
  autoSkipReason: z.string().optional(),
  /** webgpu: the adapter found, also when it is not used. */
  adapter: GpuAdapterSummarySchema.optional()
})
export type BackendProbe = z.infer<typeof BackendProbeSchema>

export const BackendReportSchema = z.object({
  chosen: BackendIdSchema,
  /** The TensorFlow.js backend name in use (tensorflow, webgpu, wasm, cpu). */
  tfBackend: z.string(),
  /** Why this one: the first available in preference order, or forced by setting / --backend. */
  reason: z.string(),
  preference: BackendPreferenceSchema,
  probes: z.array(BackendProbeSchema),
  tfjsVersion: z.string(),
  threads: z.number().int().positive(),
  /** The GPU adapter the chosen backend computes on (webgpu only). */
  adapter: GpuAdapterSummarySchema.optional()
})
export type BackendReport = z.infer<typeof BackendReportSchema>

/** "1.0 GiB": an adapter's largest buffer, as the CLI, the status bar and the training panel say it. */
export function gibText(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`
}

/** One line for an adapter: "SwiftShader driver 5.0.0 (software), max buffer 1.0 GiB". */
export function describeAdapter(adapter: GpuAdapterSummary): string {
  return `${adapter.name}${adapter.software ? ' (software)' : ''}, max buffer ${gibText(adapter.maxBufferBytes)}`
}

/** "auto", empty or absent → auto; otherwise one of BACKEND_IDS (a CLI flag or an environment variable). */
export function parseBackendPreference(value: string | undefined): BackendPreference {
  if (value === undefined || value === '' || value === 'auto') return 'auto'
  if ((BACKEND_IDS as readonly string[]).includes(value)) return value as BackendId
  throw new VoxloopError(
    'INVALID_ARGUMENT',
    `Unknown backend "${value}": expected auto, ${BACKEND_IDS.join(', ')}`
  )
}
