import type { EventName, EventPayload } from '../../shared/contract'

type Listener = (name: EventName, payload: unknown) => void

/** Main → renderer events; each transport subscribes once and forwards to its windows or sockets. */
export class EventHub {
  private readonly listeners = new Set<Listener>()

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    for (const listener of this.listeners) listener(name, payload)
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  dispose(): void {
    this.listeners.clear()
  }
}
