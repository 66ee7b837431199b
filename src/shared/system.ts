import { z } from 'zod'
import { BackendPreferenceSchema, BackendReportSchema } from './backends'

export const GpuInfoSchema = z.object({
  name: z.string(),
  memoryMiB: z.number().nullable(),
  driverVersion: z.string().nullable()
})
export type GpuInfo = z.infer<typeof GpuInfoSchema>

export const HostInfoSchema = z.object({
  /** 'desktop': the Electron app; 'serve': `voxloop serve` in a browser. */
  mode: z.enum(['desktop', 'serve']),
  canPickFolders: z.boolean(),
  /** The backend `--backend` set for this run, which the status bar's menu cannot change; absent when none. */
  pinnedBackend: BackendPreferenceSchema.optional()
})
export type HostInfo = z.infer<typeof HostInfoSchema>

export const EngineStatusSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('starting') }),
  z.object({ state: z.literal('ready'), backend: BackendReportSchema }),
  z.object({ state: z.literal('failed'), message: z.string() })
])
export type EngineStatus = z.infer<typeof EngineStatusSchema>

export const SystemInfoSchema = z.object({
  appVersion: z.string(),
  platform: z.string(),
  arch: z.string(),
  versions: z.object({ node: z.string(), electron: z.string().nullable(), chrome: z.string().nullable() }),
  cpu: z.object({ model: z.string(), cores: z.number().int() }),
  memory: z.object({ totalBytes: z.number(), freeBytes: z.number() }),
  gpus: z.array(GpuInfoSchema),
  engine: EngineStatusSchema,
  host: HostInfoSchema
})
export type SystemInfo = z.infer<typeof SystemInfoSchema>

/** Live load for the training panel: whole-machine CPU and memory, and NVIDIA GPUs when present. */
export const SystemLoadSchema = z.object({
  cpuPercent: z.number(),
  memoryUsedBytes: z.number(),
  memoryTotalBytes: z.number(),
  gpus: z.array(z.object({ name: z.string(), utilizationPercent: z.number().nullable(), memoryUsedMiB: z.number().nullable(), memoryTotalMiB: z.number().nullable() }))
})
export type SystemLoad = z.infer<typeof SystemLoadSchema>
