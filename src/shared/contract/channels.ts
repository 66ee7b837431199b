import { z } from 'zod'
import { BackendReportSchema } from '../backends'
import { SettingsPatchSchema, SettingsSchema, RecentProjectSchema } from '../settings'
import { SystemInfoSchema } from '../system'
import { defineChannel } from './defineChannel'

/** An absolute or relative folder path typed by the user or returned by a picker. */
const FolderPathSchema = z.string().trim().min(1, 'path must not be empty').max(4096, 'path is too long')

export const OpenedProjectSchema = z.object({
  path: z.string(),
  name: z.string()
})
export type OpenedProject = z.infer<typeof OpenedProjectSchema>

/**
 * The one contract: channel name → argument tuple schema and result schema. Names are
 * 'domain:verb'; the renderer reaches a channel as `api.<domain>.<verb>(...args)`.
 */
export const channels = {
  'app:ping': defineChannel(
    'Round trip used to measure responsiveness; echoes the number it is given.',
    z.tuple([z.number()]),
    z.object({ echo: z.number(), receivedAt: z.number() })
  ),
  'system:info': defineChannel(
    'App version, compute backend, CPU, memory and GPUs of this machine.',
    z.tuple([]),
    SystemInfoSchema
  ),
  'system:backends': defineChannel(
    'The compute backend the engine chose, why, and why the others were not chosen.',
    z.tuple([]),
    BackendReportSchema
  ),
  'settings:get': defineChannel('Current settings.', z.tuple([]), SettingsSchema),
  'settings:update': defineChannel(
    'Change some settings; returns all of them.',
    z.tuple([SettingsPatchSchema]),
    SettingsSchema
  ),
  'projects:recent': defineChannel('Recently opened projects, newest first.', z.tuple([]), z.array(RecentProjectSchema)),
  'projects:forget': defineChannel(
    'Remove a folder from the recent list (the folder itself is untouched).',
    z.tuple([FolderPathSchema]),
    z.array(RecentProjectSchema)
  ),
  'projects:pickFolder': defineChannel(
    'Ask the user for a folder with the system dialog (desktop only); null when cancelled.',
    z.tuple([z.object({ title: z.string().max(200).optional() }).strict().optional()]),
    z.string().nullable()
  ),
  'projects:open': defineChannel('Open the project in a folder.', z.tuple([FolderPathSchema]), OpenedProjectSchema)
} as const

export type Channels = typeof channels
export type ChannelName = keyof Channels
export type ChannelArgs<C extends ChannelName> = z.input<Channels[C]['args']>
export type ParsedChannelArgs<C extends ChannelName> = z.output<Channels[C]['args']>
export type ChannelResult<C extends ChannelName> = z.output<Channels[C]['result']>

export const CHANNEL_NAMES = Object.keys(channels) as ChannelName[]

export function isChannelName(value: unknown): value is ChannelName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(channels, value)
}
