/**
 * One grow-from-seeds session on the open case: seeds, the preview, Apply and Cancel.
 *
 * How seeds and the preview are represented (the design choice, and why):
 * - The whole session is ONE open stroke of the voxel editor ("Grow from seeds"). Seeds and the
 *   preview are written into the live label map inside that stroke, so the viewer shows them with no
 *   extra layer, and the editor's own rules give the rest: nothing uncommitted reaches the edit
 *   journal or the saved file; Cancel is `cancelStroke()` (every voxel back as it was); Apply is
 *   `endStroke()`, one undo unit, undone in one step.
 * - The seeds themselves are kept here, sparsely (voxel index → label value), so each preview is
 *   computed from the seeds alone, whatever the preview wrote around them.
 * - A background seed has label value 0 in the competition. On screen it needs a colour of its own
 *   (0 is transparent), so while the session is open it is drawn with the label map's largest value
 *   (255 for 8-bit maps, 65535 for 16-bit), which the label table almost never names; the palette
 *   gives it its generated colour. That value is never committed: Apply writes 0 there.
 * - Each preview is written afresh: the stroke is cancelled back to the committed labels, the grown
 *   labels are written where the paint-over rule allows, then the seeds on top.
 *
 * While a session is open the editor has a stroke open, so other edits (brush, fill, undo) wait: the
 * tool cancels the session when another tool is chosen or the case closes.
 */
import { firstLineOf, VoxloopError } from '../../../../shared/errors'
import { IndexBuffer } from '../../../../shared/geometry/indexBuffer'
import type { VoxelArray } from '../../../../shared/volume'
import { canOverwrite, maxLabelOf, OVERWRITE_ANY, type OverwriteRule } from '../core/paintRules'
import type { EditSummary, VoxelEditor } from '../core/VoxelEditor'
import { buildGrowRequest, DEFAULT_GROW_OPTIONS, type GrowOptions, type GrowRequest, type GrowResult } from './kernel'
import type { GrowOutcome, GrowRunner } from './GrowWorkerClient'

export const GROW_DESCRIPTION = 'Grow from seeds'

export interface GrowSettings extends GrowOptions {
  /** Which committed labels the grown result may replace (the brush's "paint over" rule). */
  overwrite: OverwriteRule
}

export const DEFAULT_GROW_SETTINGS: Readonly<GrowSettings> = Object.freeze({ ...DEFAULT_GROW_OPTIONS, overwrite: OVERWRITE_ANY })

export type GrowPhase = 'idle' | 'seeding' | 'computing' | 'preview'

export interface GrowSessionState {
  phase: GrowPhase
  /** Seeded voxels. */
  seedVoxels: number
  /** Distinct seed values, ascending (0 = background). */
  seedValues: number[]
  /** Voxels the preview changes from the committed labels (null before the first preview). */
  previewVoxels: number | null
  /** The preview on screen was computed before the latest seeds. */
  stale: boolean
  /** Time of the last competition in the worker. */
  milliseconds: number | null
  /** Workers the last competition ran on (2 when the box was split, protocol.ts; null before the first). */
  workers: number | null
  error: string | null
}

export interface GrowSessionHooks {
  /** Voxels of the label map changed (seeds, preview, apply, cancel): redraw the dirty slices. */
  labelsChanged(): void
  stateChanged(state: Readonly<GrowSessionState>): void
}

const IDLE: Readonly<GrowSessionState> = Object.freeze({
  phase: 'idle',
  seedVoxels: 0,
  seedValues: [],
  previewVoxels: null,
  stale: false,
  milliseconds: null,
  workers: null,
  error: null
})

export class GrowFromSeedsSession {
  /** Voxel index → seed label value (0 = background); a later stroke over a voxel wins. */
  private readonly seeds = new Map<number, number>()
  private readonly seedCounts = new Map<number, number>()
  /** Bumped by every seed change; a preview belongs to the version it was computed for. */
  private version = 0
  /** Bumped by every preview run and by cancel: only the newest run may touch the labels. */
  private runToken = 0
  private shown: { version: number; result: GrowResult } | null = null
  private running: Promise<void> | null = null
  private runningVersion = -1
  private current: GrowSessionState = { ...IDLE }
  private disposed = false

  constructor(
    private readonly editor: VoxelEditor,
    /** The image channel the competition runs on (same grid as the labels). */
    private readonly image: () => VoxelArray,
    private readonly runner: GrowRunner,
    private readonly settings: () => Readonly<GrowSettings>,
    private readonly hooks: GrowSessionHooks
  ) {}

  get state(): Readonly<GrowSessionState> {
    return this.current
  }

  /** True while seeds or a preview are in the label map (the editor has this session's stroke open). */
  get active(): boolean {
    return this.current.phase !== 'idle'
  }

  /**
   * False once disposed, or when the editor lost this session's stroke under it (the case closed and
   * its editor was disposed): such a session has nothing left to show or apply.
   */
  get alive(): boolean {
    return !this.disposed && (this.current.phase === 'idle' || this.editor.inStroke)
  }

  /** The value that draws background seeds while the session is open. */
  get backgroundMarker(): number {
    return maxLabelOf(this.editor.labels)
  }

  /** Adds seeds of `value` (0: background) at these voxels and shows them at once. */
  paintSeeds(indices: ArrayLike<number>, value: number): void {
    this.assertUsable()
    if (!Number.isInteger(value) || value < 0 || value > maxLabelOf(this.editor.labels)) {
      throw new VoxloopError('INVALID_ARGUMENT', `seed label ${value} does not fit the label map (0..${maxLabelOf(this.editor.labels)})`)
    }
    if (indices.length === 0) return
    const opened = !this.editor.inStroke
    if (opened) this.editor.beginStroke(GROW_DESCRIPTION)
    // The editor validates the indices before writing anything; the seed map follows only then.
    try {
      this.editor.writeValue(indices, value === 0 ? this.backgroundMarker : value)
    } catch (error) {
      if (opened) this.editor.cancelStroke()
      throw error
    }
    for (let n = 0; n < indices.length; n++) {
      const index = indices[n]
      const before = this.seeds.get(index)
      if (before === value) continue
      if (before !== undefined) this.seedCounts.set(before, (this.seedCounts.get(before) ?? 1) - 1)
      this.seeds.set(index, value)
      this.seedCounts.set(value, (this.seedCounts.get(value) ?? 0) + 1)
    }
    this.version++
    this.hooks.labelsChanged()
    this.update({
      phase: this.running ? 'computing' : this.shown ? 'preview' : 'seeding',
      stale: this.shown !== null,
      error: null
    })
  }

  /** Distinct seed values present (0 = background), ascending. */
  seedValues(): number[] {
    return [...this.seedCounts].filter(([, count]) => count > 0).map(([value]) => value).sort((a, b) => a - b)
  }

  /** True when the seeds allow a competition: at least two kinds (a label and background, or two labels). */
  get ready(): boolean {
    return this.seedValues().length >= 2
  }

  /**
   * Computes the competition for the current seeds in the worker and shows it. Resolves when it is on
   * screen, failed (state.error) or was superseded by a newer run or a cancel.
   */
  async preview(): Promise<void> {
    this.assertUsable()
    if (!this.ready) {
      this.update({ error: 'Paint seeds of at least two kinds first: inside the structure (a label) and around it (background)' })
      return
    }
    const token = ++this.runToken
    const version = this.version
    const run = this.compute(token, version)
    this.running = run
    this.runningVersion = version
    try {
      await run
    } finally {
      if (this.running === run) this.running = null
    }
  }

  private async compute(token: number, version: number): Promise<void> {
    let request: GrowRequest
    try {
      const values = new Uint16Array(this.seeds.size)
      const indices = new Uint32Array(this.seeds.size)
      let n = 0
      for (const [index, value] of this.seeds) {
        indices[n] = index
        values[n] = value
        n++
      }
      request = buildGrowRequest(this.image(), this.editor.grid, { indices, values }, this.settings())
    } catch (error) {
      this.update({ error: firstLineOf(error) })
      return
    }
    this.update({ phase: 'computing', error: null })
    let outcome: GrowOutcome
    try {
      outcome = await this.runner(request)
    } catch (error) {
      if (token !== this.runToken || this.disposed) return
      const cancelled = error instanceof VoxloopError && error.code === 'CANCELLED'
      this.update({ phase: this.shown ? 'preview' : 'seeding', error: cancelled ? null : `Grow from seeds failed: ${firstLineOf(error)}` })
      return
    }
    if (token !== this.runToken || this.disposed || !this.active) return
    this.show(outcome.result, version)
    this.update({ milliseconds: outcome.milliseconds, workers: outcome.split ? 2 : 1 })
  }

  /**
   * Commits the preview as one undo unit (computing it first when the seeds changed since). Returns
   * the edit, or null when there was nothing to apply or the competition failed.
   */
  async apply(): Promise<EditSummary | null> {
    this.assertUsable()
    if (!this.shown || this.shown.version !== this.version) {
      // A run already computing these very seeds is awaited, not restarted.
      if (this.running && this.runningVersion === this.version) await this.running
      else await this.preview()
      if (!this.shown || this.shown.version !== this.version) return null
    }
    const result = this.shown.result
    if (this.editor.inStroke) this.editor.cancelStroke()
    this.editor.beginStroke(GROW_DESCRIPTION)
    try {
      this.writeResult(result)
    } catch (error) {
      this.editor.cancelStroke()
      this.reset()
      this.hooks.labelsChanged()
      throw error
    }
    const summary = this.editor.endStroke()
    this.reset()
    this.hooks.labelsChanged()
    return summary
  }

  /** Drops seeds and preview: every voxel back to its committed label, nothing recorded. */
  cancel(): void {
    if (this.disposed) return
    this.runToken++
    const hadStroke = this.active && this.editor.inStroke
    if (hadStroke) this.editor.cancelStroke()
    this.reset()
    if (hadStroke) this.hooks.labelsChanged()
  }

  /** Cancels and refuses further use (the case is closing or the tool went away). */
  dispose(): void {
    this.cancel()
    this.disposed = true
  }

  private show(result: GrowResult, version: number): void {
    if (this.editor.inStroke) this.editor.cancelStroke()
    this.editor.beginStroke(GROW_DESCRIPTION)
    const changed = this.writeResult(result)
    // Seeds on top, background seeds in their marker colour, so the user sees what they painted.
    const marker = this.backgroundMarker
    const indices = new IndexBuffer(this.seeds.size)
    const values = new IndexBuffer(this.seeds.size)
    for (const [index, value] of this.seeds) {
      indices.push(index)
      values.push(value === 0 ? marker : value)
    }
    this.editor.write(indices.view(), values.view())
    this.shown = { version, result }
    this.hooks.labelsChanged()
    this.update({ phase: 'preview', previewVoxels: changed, stale: version !== this.version, error: null })
  }

  /** Writes the grown labels of the box where the paint-over rule allows; returns how many changed. */
  private writeResult(result: GrowResult): number {
    const { labels } = this.editor
    const [nx, ny] = this.editor.grid.dims
    const [bx, by, bz] = result.dims
    const [i0, j0, k0] = result.box.minIjk
    const rule = this.settings().overwrite
    const indices = new IndexBuffer(1 << 16)
    const values = new IndexBuffer(1 << 16)
    let p = 0
    for (let k = 0; k < bz; k++) {
      for (let j = 0; j < by; j++) {
        let index = i0 + nx * (j0 + j + ny * (k0 + k))
        for (let i = 0; i < bx; i++, index++, p++) {
          const value = result.labels[p]
          const current = labels[index]
          if (current === value || !canOverwrite(current, rule)) continue
          indices.push(index)
          values.push(value)
        }
      }
    }
    return this.editor.write(indices.view(), values.view())
  }

  private reset(): void {
    this.seeds.clear()
    this.seedCounts.clear()
    this.shown = null
    this.version++
    this.current = { ...IDLE, milliseconds: this.current.milliseconds, workers: this.current.workers }
    this.hooks.stateChanged(this.current)
  }

  private update(patch: Partial<GrowSessionState>): void {
    this.current = {
      ...this.current,
      seedVoxels: this.seeds.size,
      seedValues: this.seedValues(),
      ...patch
    }
    this.hooks.stateChanged(this.current)
  }

  private assertUsable(): void {
    if (this.disposed) throw new VoxloopError('INVALID_ARGUMENT', 'this grow-from-seeds session was closed')
  }
}
