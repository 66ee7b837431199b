import { z } from 'zod'
import { VoxloopError } from './errors'

/** Compute backends in order of preference (docs/ARCHITECTURE.md, "Compute backends"). */
export const BACKEND_IDS = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const
export const BackendIdSchema = z.enum(BACKEND_IDS)
export type BackendId = z.infer<typeof BackendIdSchema>

export const BackendPreferenceSchema = z.union([z.literal('auto'), BackendIdSchema])
export type BackendPreference = z.infer<typeof BackendPreferenceSchema>

export const BackendProbeSchema = z.object({
  id: BackendIdSchema,
  available: z.boolean(),
  /** Why it is or is not usable, e.g. "not installed" or "loaded; CUDA GPU: NVIDIA H200". */
  reason: z.string()
})
export type BackendProbe = z.infer<typeof BackendProbeSchema>

export const BackendReportSchema = z.object({
  chosen: BackendIdSchema,
  /** The TensorFlow.js backend name in use (tensorflow, wasm, cpu). */
  tfBackend: z.string(),
  /** Why this one: the first available in preference order, or forced by setting / --backend. */
  reason: z.string(),
  preference: BackendPreferenceSchema,
  probes: z.array(BackendProbeSchema),
  tfjsVersion: z.string(),
  threads: z.number().int().positive()
})
export type BackendReport = z.infer<typeof BackendReportSchema>

/** "auto", empty or absent → auto; otherwise one of BACKEND_IDS (a CLI flag or an environment variable). */
export function parseBackendPreference(value: string | undefined): BackendPreference {
  if (value === undefined || value === '' || value === 'auto') return 'auto'
  if ((BACKEND_IDS as readonly string[]).includes(value)) return value as BackendId
  throw new VoxloopError(
    'INVALID_ARGUMENT',
    `Unknown backend "${value}": expected auto, ${BACKEND_IDS.join(', ')}`
  )
}
