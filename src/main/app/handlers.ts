import type { ChannelName, ChannelResult, ParsedChannelArgs } from '../../shared/contract'
import { parseChannelArgs } from '../../shared/contract'

/** One implementation per channel, typed from the contract; built in the composition root. */
export type Handlers = {
  [C in ChannelName]: (...args: ParsedChannelArgs<C>) => Promise<ChannelResult<C>>
}

/**
 * The single entry for both transports: validate against the contract, then call the service.
 * Transports pass untrusted input straight through; nothing else may call handlers directly.
 */
export async function invokeChannel(handlers: Handlers, channel: string, args: unknown): Promise<unknown> {
  const parsed = parseChannelArgs(channel, args) as unknown[]
  const handler = handlers[channel as ChannelName] as (...a: unknown[]) => Promise<unknown>
  return handler(...parsed)
}
