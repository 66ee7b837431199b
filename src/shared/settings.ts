import { z } from 'zod'
import { BackendPreferenceSchema } from './backends'

export const SettingsSchema = z.object({
  /** 'auto' picks the first available backend; a forced one applies at the next engine start. */
  computeBackend: BackendPreferenceSchema.default('auto')
})
export type Settings = z.infer<typeof SettingsSchema>

export const SettingsPatchSchema = SettingsSchema.partial().strict()
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>

export const RecentProjectSchema = z.object({
  path: z.string(),
  name: z.string(),
  openedAt: z.string()
})
export type RecentProject = z.infer<typeof RecentProjectSchema>
