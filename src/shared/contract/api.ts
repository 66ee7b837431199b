import { deserializeError, VoxloopError, type SerializedError } from '../errors'
import { CHANNEL_NAMES, type ChannelArgs, type ChannelName, type ChannelResult } from './channels'
import { EVENT_NAMES, type EventName, type EventPayload } from './events'

type DomainOf<C extends string> = C extends `${infer D}:${string}` ? D : never
type Domain = DomainOf<ChannelName>

/** `api.projects.open(path)` for channel 'projects:open': the shape both transports expose. */
export type Api = {
  [D in Domain]: {
    [C in ChannelName as C extends `${D}:${infer V}` ? V : never]: (...args: ChannelArgs<C>) => Promise<ChannelResult<C>>
  }
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
}

/** `f(undefined)` must mean `f()`: JSON would turn the undefined into a null the schema refuses. */
function withoutTrailingUndefined(args: unknown[]): unknown[] {
  let end = args.length
  while (end > 0 && args[end - 1] === undefined) end--
  return end === args.length ? args : args.slice(0, end)
}

/** What a transport provides; `createApi` turns it into the typed `Api` object. */
export interface Transport {
  invoke(channel: ChannelName, args: unknown[]): Promise<unknown>
  subscribe(listener: (name: EventName, payload: unknown) => void): () => void
}

export function createApi(transport: Transport): Api {
  const domains: Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>> = {}
  for (const channel of CHANNEL_NAMES) {
    const [domain, verb] = channel.split(':') as [string, string]
    const target = (domains[domain] ??= {})
    target[verb] = (...args: unknown[]) => transport.invoke(channel, withoutTrailingUndefined(args))
  }
  const on = (event: EventName, listener: (payload: unknown) => void): (() => void) =>
    transport.subscribe((name, payload) => {
      if (name === event) listener(payload)
    })
  return Object.assign(domains, { on }) as unknown as Api
}

/**
 * Errors lose their `code` when they cross Electron's contextBridge, so the preload's `window.api`
 * resolves to envelopes and the renderer's bridge turns them back into results or VoxloopErrors.
 */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: SerializedError }

export type PreloadApi = {
  [D in Domain]: {
    [C in ChannelName as C extends `${D}:${infer V}` ? V : never]: (...args: ChannelArgs<C>) => Promise<Envelope<ChannelResult<C>>>
  }
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
}

export interface EnvelopeTransport {
  invoke(channel: ChannelName, args: unknown[]): Promise<Envelope<unknown>>
  subscribe(listener: (name: EventName, payload: unknown) => void): () => void
}

export function createPreloadApi(transport: EnvelopeTransport): PreloadApi {
  return createApi({
    invoke: (channel, args) => transport.invoke(channel, args),
    subscribe: (listener) => transport.subscribe(listener)
  }) as unknown as PreloadApi
}

/** The renderer side: a Transport over the preload's envelopes. */
export function transportFromPreload(preload: PreloadApi): Transport {
  const domains = preload as unknown as Record<string, Record<string, (...args: unknown[]) => Promise<Envelope<unknown>>>>
  return {
    async invoke(channel, args) {
      const [domain, verb] = channel.split(':') as [string, string]
      const method = domains[domain]?.[verb]
      if (!method) throw new VoxloopError('UNKNOWN_CHANNEL', `The desktop bridge has no ${channel}`)
      const envelope = await method(...args)
      if (envelope.ok) return envelope.value
      throw deserializeError(envelope.error)
    },
    subscribe(listener) {
      const unsubscribers = EVENT_NAMES.map((name) => preload.on(name, (payload) => listener(name, payload)))
      return () => unsubscribers.forEach((off) => off())
    }
  }
}
