import type { LabelChange } from '../tools'

export interface EditSyncState {
  /** Edits made but not yet acknowledged as journalled on disk. */
  pending: number
  /** The last journal write failed; edits are kept (and retried unless `refused`). */
  error: string | null
  /** The failure's code (`DISK_FULL`: the strokes wait in memory until space is free). */
  errorCode: string | null
  /**
   * The project refused the edits themselves (a label id not in its table, a read-only project):
   * sending them again cannot help, so they wait in memory until `retry()` (the label table
   * changed, an undo, Save) instead of being resent every second.
   */
  refused: boolean
}

/**
 * Failures that describe the request, not the moment: a retry would be refused the same way. Any
 * other failure (a full disk, a busy or unreachable server) passes, so the edits are resent.
 */
const REFUSAL_CODES: ReadonlySet<string> = new Set([
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'GRID_MISMATCH',
  'READ_ONLY',
  'FORBIDDEN',
  'UNAUTHORIZED',
  'PATH_OUTSIDE_PROJECT',
  'UNSUPPORTED_IN_THIS_MODE'
])

const RETRY_MS = 1000

/**
 * Sends label edits to the project's crash journal in order, one request at a time, merging what
 * queues up meanwhile, so that every edit reaches disk within moments however fast the user paints.
 * A failed write is retried with the same edits (values are absolute, so a retry is harmless); a
 * refused one is kept but not resent until `retry()`.
 */
export class EditSync {
  private queue: LabelChange[] = []
  private inFlight: Promise<void> | null = null
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private state: EditSyncState = { pending: 0, error: null, errorCode: null, refused: false }
  /** After a refusal the next send keeps only each voxel's last value (an undo may have removed the refused one). */
  private collapseNext = false
  private disposed = false

  constructor(
    private readonly send: (change: LabelChange) => Promise<unknown>,
    private readonly onState: (state: EditSyncState) => void
  ) {}

  get current(): EditSyncState {
    return this.state
  }

  push(change: LabelChange): void {
    if (change.indices.length === 0) return
    // Only the voxels travel: editor events carry extra fields the API (strictly) refuses.
    this.queue.push({ indices: change.indices, values: change.values })
    this.update({ pending: this.state.pending + 1 })
    if (!this.state.refused) this.pump()
  }

  /** Label values (other than background) in the edits not yet acknowledged. */
  pendingValues(): Set<number> {
    const values = new Set<number>()
    for (const change of this.queue) for (let n = 0; n < change.values.length; n++) values.add(change.values[n] ?? 0)
    values.delete(0)
    return values
  }

  /** Sends refused edits again (once): the cause may be gone (the label was added, the stroke undone). */
  retry(): void {
    if (!this.state.refused || this.disposed) return
    this.collapseNext = true
    this.update({ refused: false })
    this.pump()
  }

  /** Resolves once everything pushed so far is acknowledged (or throws the last error); refused edits are tried once more. */
  async flush(): Promise<void> {
    this.retry()
    while (this.queue.length > 0 || this.inFlight) {
      if (this.inFlight) await this.inFlight
      else this.pump()
      if (this.state.error && !this.inFlight) throw new Error(this.state.error)
    }
  }

  dispose(): void {
    this.disposed = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0 || this.disposed) return
    // Sending now: a retry still scheduled would only send the same edits again.
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    const batch = this.queue
    this.queue = []
    const merged = this.collapseNext ? collapseChanges(batch) : mergeChanges(batch)
    this.collapseNext = false
    this.inFlight = this.send(merged).then(
      () => {
        this.inFlight = null
        this.update({ pending: Math.max(0, this.state.pending - batch.length), error: null, errorCode: null, refused: false })
        this.pump()
      },
      (error: unknown) => {
        this.inFlight = null
        // Put the batch back in front; later edits stay after it so order is kept.
        this.queue = [...batch, ...this.queue]
        const code = (error as { code?: unknown }).code
        const refused = typeof code === 'string' && REFUSAL_CODES.has(code)
        this.update({ error: `Could not record edits on disk: ${(error as Error).message}`, errorCode: typeof code === 'string' ? code : null, refused })
        if (refused || this.disposed) return
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null
          this.pump()
        }, RETRY_MS)
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

/**
 * The same end state as replaying `changes` in order, one value per voxel (the last), in index
 * order: a stroke that was refused and then undone leaves only the voxels' restored values.
 */
export function collapseChanges(changes: readonly LabelChange[]): LabelChange {
  const last = new Map<number, number>()
  for (const change of changes) for (let n = 0; n < change.indices.length; n++) last.set(change.indices[n] as number, change.values[n] as number)
  const indices = Uint32Array.from([...last.keys()].sort((a, b) => a - b))
  const wide = changes.some((c) => c.values instanceof Uint16Array)
  const values = wide ? new Uint16Array(indices.length) : new Uint8Array(indices.length)
  for (let n = 0; n < indices.length; n++) values[n] = last.get(indices[n] as number) as number
  return { indices, values }
}
