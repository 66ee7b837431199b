import type { LabelChange } from '../tools'

export interface EditSyncState {
  /** Edits made but not yet acknowledged as journalled on disk. */
  pending: number
  /** The last journal write failed; edits are kept and retried. */
  error: string | null
  /** The failure's code (`DISK_FULL`: the strokes wait in memory until space is free). */
  errorCode: string | null
}

/**
 * Sends label edits to the project's crash journal in order, one request at a time, merging what
 * queues up meanwhile, so that every edit reaches disk within moments however fast the user paints.
 * A failed write is retried with the same edits (values are absolute, so a retry is harmless).
 */
export class EditSync {
  private queue: LabelChange[] = []
  private inFlight: Promise<void> | null = null
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private state: EditSyncState = { pending: 0, error: null, errorCode: null }

  constructor(
    private readonly send: (change: LabelChange) => Promise<unknown>,
    private readonly onState: (state: EditSyncState) => void
  ) {}

  push(change: LabelChange): void {
    if (change.indices.length === 0) return
    // Only the voxels travel: editor events carry extra fields the API (strictly) refuses.
    this.queue.push({ indices: change.indices, values: change.values })
    this.update({ pending: this.state.pending + 1 })
    this.pump()
  }

  /** Resolves once everything pushed so far is acknowledged (or throws the last error). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight) {
      if (this.inFlight) await this.inFlight
      else this.pump()
      if (this.state.error && !this.inFlight) throw new Error(this.state.error)
    }
  }

  dispose(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer)
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0) return
    const batch = this.queue
    this.queue = []
    const merged = mergeChanges(batch)
    this.inFlight = this.send(merged).then(
      () => {
        this.inFlight = null
        this.update({ pending: Math.max(0, this.state.pending - batch.length), error: null, errorCode: null })
        this.pump()
      },
      (error: unknown) => {
        this.inFlight = null
        // Put the batch back in front; later edits stay after it so order is kept.
        this.queue = [...batch, ...this.queue]
        const code = (error as { code?: unknown }).code
        this.update({ error: `Could not record edits on disk: ${(error as Error).message}`, errorCode: typeof code === 'string' ? code : null })
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null
          this.pump()
        }, 1000)
      }
    )
  }

  private update(patch: Partial<EditSyncState>): void {
    this.state = { ...this.state, ...patch }
    this.onState(this.state)
  }
}

/** Concatenates changes in order; a later value for the same voxel wins when replayed. */
export function mergeChanges(changes: readonly LabelChange[]): LabelChange {
  if (changes.length === 1) return changes[0] as LabelChange
  const total = changes.reduce((n, c) => n + c.indices.length, 0)
  const wide = changes.some((c) => c.values instanceof Uint16Array)
  const indices = new Uint32Array(total)
  const values = wide ? new Uint16Array(total) : new Uint8Array(total)
  let offset = 0
  for (const change of changes) {
    indices.set(change.indices, offset)
    values.set(change.values, offset)
    offset += change.indices.length
  }
  return { indices, values }
}
