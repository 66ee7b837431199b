import type { LabelArray, VolumeHeader } from '../../../shared/volume'
import { JournalAppender, type LabelEdit } from './labelJournal'
import { applyEdit, countLabels, widenFor, type LabelCounts } from './labelOps'

/**
 * The in-memory state of one case being edited: the label as saved on disk (`base`), the current
 * label (`working` = base + acknowledged edits) with its per-label counts, and the journal
 * generation new edits go to. A save seals the current generation (`rotate`) so edits keep flowing
 * into the next one while the sealed ones are folded into labels/.
 */
export class CaseSession {
  base: LabelArray
  working: LabelArray
  counts: LabelCounts
  /** Journal generation that new edits are appended to. */
  generation: number
  appender: JournalAppender | null = null
  /** Edits accepted since the last successful fold (queued or durable). */
  unsavedEdits = 0
  lastEditAtMs: number | null = null
  /** Settles once every edit appended to a sealed generation is durable (or failed). */
  private sealedDurable: Promise<void> = Promise.resolve()

  constructor(
    readonly caseId: string,
    /** The image's header: labels are written on exactly this grid. */
    readonly imageHeader: VolumeHeader,
    base: LabelArray,
    generation: number,
    private readonly segmentPath: (generation: number) => string
  ) {
    this.base = base
    this.working = base.slice()
    this.counts = countLabels(this.working)
    this.generation = generation
  }

  /** The appender of the current generation, created on first use (the file appears on first write). */
  currentAppender(): JournalAppender {
    this.appender ??= new JournalAppender(this.segmentPath(this.generation))
    return this.appender
  }

  /** Applies a durable edit to the working label; returns voxels changed. */
  applyDurableEdit(edit: LabelEdit, atMs: number): number {
    this.working = widenFor(this.working, edit.values)
    this.lastEditAtMs = Math.max(this.lastEditAtMs ?? 0, atMs)
    return applyEdit(this.working, edit, this.counts)
  }

  /**
   * Seals the current generation: later edits go to generation + 1. Returns what a fold needs:
   * the sealed appender (to drain and close), its generation, and the unsaved edits it covers.
   */
  rotate(): { sealed: JournalAppender | null; sealedGeneration: number; edits: number } {
    const sealed = { sealed: this.appender, sealedGeneration: this.generation, edits: this.unsavedEdits }
    const appender = this.appender
    if (appender) this.sealedDurable = this.sealedDurable.then(() => appender.drain())
    this.appender = null
    this.generation += 1
    return sealed
  }

  /**
   * New edits wait for this before they are appended: generations are separate files with their own
   * writes, so without it an edit in the new generation could become durable (and be applied in
   * memory) before an earlier edit still in flight in the sealed one, and the two would land in the
   * wrong order.
   */
  sealedGenerationsDurable(): Promise<void> {
    return this.sealedDurable
  }

  recount(): void {
    this.counts = countLabels(this.working)
  }

  async close(): Promise<void> {
    await this.appender?.close()
  }
}
