import type { z } from 'zod'
import { VoxloopError } from '../errors'
import { channels, isChannelName, type ChannelName, type ParsedChannelArgs } from './channels'

/**
 * Every transport calls this before a service runs: unknown channels and malformed arguments are
 * refused with a message that names the channel and the argument at fault.
 */
export function parseChannelArgs<C extends ChannelName>(channel: C, args: unknown): ParsedChannelArgs<C>
export function parseChannelArgs(channel: string, args: unknown): unknown
export function parseChannelArgs(channel: string, args: unknown): unknown {
  if (!isChannelName(channel)) {
    throw new VoxloopError('UNKNOWN_CHANNEL', `Unknown API channel "${channel}"`)
  }
  if (!Array.isArray(args)) {
    throw new VoxloopError('INVALID_ARGUMENT', `${channel}: arguments must be an array, got ${describeType(args)}`)
  }
  const schema: z.ZodType = channels[channel].args
  const parsed = schema.safeParse(args)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`)
    throw new VoxloopError('INVALID_ARGUMENT', `${channel}: invalid arguments: ${problems.join('; ')}`, {
      details: parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message }))
    })
  }
  return parsed.data
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'arguments'
  const [first, ...rest] = path
  const head = typeof first === 'number' ? `argument ${first + 1}` : String(first)
  return rest.length ? `${head} (${rest.map(String).join('.')})` : head
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  return typeof value
}
