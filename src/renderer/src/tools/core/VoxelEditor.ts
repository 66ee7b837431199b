/**
 * The one path for every label edit (brush, eraser, fill, interpolation, clean-up, label deletion).
 *
 * - Strokes: `beginStroke` … `write`/`writeValue` … `endStroke` make one undo unit. The first time a
 *   voxel changes within a stroke its original value is logged (sparse: indices + values, never a copy of
 *   the volume); at the end the unit keeps indices, values before and values after, without voxels that
 *   ended where they started. Empty strokes leave no unit.
 * - History: undo/redo of whole units, redo cleared by a new edit, capped by step count and by bytes of
 *   diffs (oldest dropped first).
 * - Dirty tracking for the viewer: slices per view axis and the bounding box changed since the last
 *   `takeDirty()`, including writes in a stroke still in progress, so only those slices go to the GPU.
 * - Change events for the crash journal: every committed change (stroke end, undo, redo) as the changed
 *   indices and their absolute new values. Uncommitted stroke writes are not emitted.
 * - Saved/unsaved: `revision` counts committed changes; `isDirty` compares the current history state with
 *   the one `markSaved()` recorded, so undoing back to the saved state reads as clean.
 */
import { VoxloopError } from '../../../../shared/errors'
import type { LabelArray, Vec3 } from '../../../../shared/volume'
import { assertArrayFitsGrid, gridVoxelCount, type BoundsIjk, type VoxelGrid } from './grid'
import { IndexBuffer } from '../../../../shared/geometry/indexBuffer'
import { maxLabelOf } from './paintRules'
import { VoxelMarks } from '../../../../shared/geometry/voxelMarks'

/** Changed voxels and their values after the change (same array type as the label map). */
export interface LabelChange {
  indices: Uint32Array
  values: LabelArray
}

export type LabelChangeCause = 'edit' | 'undo' | 'redo'

/**
 * A committed change. The arrays are fresh copies made for this event (shared by all listeners of it),
 * so a listener may keep or transfer them.
 */
export interface LabelChangeEvent extends LabelChange {
  cause: LabelChangeCause
  /** The description of the undo unit that was committed, undone or redone. */
  description: string
  /** `revision` after this change. */
  revision: number
}

export type LabelChangeListener = (event: LabelChangeEvent) => void

/** What changed since the last `takeDirty()`: slice numbers are sorted and unique. */
export interface DirtyRegion {
  /** k values. */
  axial: number[]
  /** j values. */
  coronal: number[]
  /** i values. */
  sagittal: number[]
  bounds: BoundsIjk
}

/** The result of committing a stroke. */
export interface EditSummary {
  description: string
  /** Voxels whose value differs from before the stroke. */
  voxelCount: number
}

export interface VoxelEditorOptions {
  /** Undo steps kept. Default 200; at least 1. */
  maxUndoSteps?: number
  /**
   * Bytes of diffs kept in the undo and redo stacks together (4 bytes per index plus before/after values).
   * Default 256 MiB. The newest unit is always kept, even when it alone is larger.
   */
  maxHistoryBytes?: number
}

export const DEFAULT_MAX_UNDO_STEPS = 200
export const DEFAULT_MAX_HISTORY_BYTES = 256 * 1024 * 1024

interface UndoUnit {
  description: string
  indices: Uint32Array
  before: LabelArray
  after: LabelArray
  bytes: number
  /** History states on either side of the unit, for the saved/unsaved comparison. */
  stateBefore: number
  stateAfter: number
}

interface OpenStroke {
  description: string
  indices: IndexBuffer
  /** Original values, in the order of `indices`. Uint32 holds both label widths. */
  originals: IndexBuffer
}

/** Fixed per-unit cost (objects, array headers) counted against the byte cap. */
const UNIT_OVERHEAD_BYTES = 256

export class VoxelEditor {
  readonly labels: LabelArray
  readonly grid: VoxelGrid
  private readonly maxUndoSteps: number
  private readonly maxHistoryBytes: number
  private readonly voxelCount: number
  private readonly maxLabel: number

  private undoStack: UndoUnit[] = []
  private redoStack: UndoUnit[] = []
  private historyByteCount = 0
  private stroke: OpenStroke | null = null
  /** Voxels already logged in the open stroke; allocated on the first write, cleared sparsely. */
  private touched: VoxelMarks | null = null
  private listeners = new Set<LabelChangeListener>()

  private revisionCount = 0
  private nextStateId = 1
  private stateId = 0
  /** -1: saved while a stroke was open, so the saved file matches no history state. */
  private savedStateId = 0

  // Dirty flags per voxel axis (index 0: i → sagittal slices, 1: j → coronal, 2: k → axial).
  private readonly dirtySlices: [Uint8Array, Uint8Array, Uint8Array]
  private hasDirty = false
  private readonly dirtyMin: Vec3 = [0, 0, 0]
  private readonly dirtyMax: Vec3 = [0, 0, 0]

  constructor(labels: LabelArray, grid: VoxelGrid, options: VoxelEditorOptions = {}) {
    assertArrayFitsGrid(grid, labels, 'label map')
    const maxUndoSteps = options.maxUndoSteps ?? DEFAULT_MAX_UNDO_STEPS
    const maxHistoryBytes = options.maxHistoryBytes ?? DEFAULT_MAX_HISTORY_BYTES
    if (!Number.isInteger(maxUndoSteps) || maxUndoSteps < 1) {
      throw new VoxloopError('INVALID_ARGUMENT', `maxUndoSteps must be a positive integer, got ${maxUndoSteps}`)
    }
    if (!(maxHistoryBytes >= 0)) throw new VoxloopError('INVALID_ARGUMENT', `maxHistoryBytes must be ≥ 0, got ${maxHistoryBytes}`)
    this.labels = labels
    this.grid = grid
    this.maxUndoSteps = maxUndoSteps
    this.maxHistoryBytes = maxHistoryBytes
    this.voxelCount = gridVoxelCount(grid)
    this.maxLabel = maxLabelOf(labels)
    this.dirtySlices = [new Uint8Array(grid.dims[0]), new Uint8Array(grid.dims[1]), new Uint8Array(grid.dims[2])]
  }

  // ---- strokes ----------------------------------------------------------------------------------

  get inStroke(): boolean {
    return this.stroke !== null
  }

  /** Opens an undo unit. `description` is shown in the undo menu ("Brush", "Fill", "Delete label 3"). */
  beginStroke(description: string): void {
    if (this.stroke) {
      throw new VoxloopError('INVALID_ARGUMENT', `cannot begin "${description}": stroke "${this.stroke.description}" is still open`)
    }
    this.stroke = { description, indices: new IndexBuffer(1024), originals: new IndexBuffer(1024) }
  }

  /**
   * Sets `labels[indices[n]] = values[n]`. Validates everything before changing anything (an index
   * outside the grid or a value the array cannot hold throws INVALID_ARGUMENT). Returns how many voxels
   * changed value. Later entries win when an index repeats.
   */
  write(indices: ArrayLike<number>, values: ArrayLike<number>): number {
    const stroke = this.requireStroke('write')
    if (indices.length !== values.length) {
      throw new VoxloopError('INVALID_ARGUMENT', `write got ${indices.length} indices but ${values.length} values`)
    }
    this.checkIndices(indices)
    for (let n = 0; n < values.length; n++) this.checkValue(values[n])
    let changed = 0
    for (let n = 0; n < indices.length; n++) {
      if (this.setVoxel(stroke, indices[n], values[n])) changed++
    }
    return changed
  }

  /** Sets every voxel in `indices` to `value`; returns how many changed. */
  writeValue(indices: ArrayLike<number>, value: number): number {
    const stroke = this.requireStroke('writeValue')
    this.checkValue(value)
    this.checkIndices(indices)
    let changed = 0
    for (let n = 0; n < indices.length; n++) {
      if (this.setVoxel(stroke, indices[n], value)) changed++
    }
    return changed
  }

  /**
   * Closes the stroke as one undo unit and notifies listeners. Returns null (and records nothing) when
   * no voxel ended with a different value. Listener errors are rethrown after the unit is committed.
   */
  endStroke(): EditSummary | null {
    const stroke = this.requireStroke('endStroke')
    this.stroke = null
    const logged = stroke.indices.view()
    const originals = stroke.originals.view()
    this.touched?.unmarkAll(logged)
    let count = 0
    for (let n = 0; n < logged.length; n++) if (this.labels[logged[n]] !== originals[n]) count++
    if (count === 0) return null

    const ArrayType = this.labels instanceof Uint16Array ? Uint16Array : Uint8Array
    const indices = new Uint32Array(count)
    const before = new ArrayType(count)
    const after = new ArrayType(count)
    let m = 0
    for (let n = 0; n < logged.length; n++) {
      const index = logged[n]
      const now = this.labels[index]
      if (now === originals[n]) continue
      indices[m] = index
      before[m] = originals[n]
      after[m] = now
      m++
    }
    const stateBefore = this.stateId
    this.stateId = this.nextStateId++
    const unit: UndoUnit = {
      description: stroke.description,
      indices,
      before,
      after,
      bytes: indices.byteLength + before.byteLength + after.byteLength + UNIT_OVERHEAD_BYTES,
      stateBefore,
      stateAfter: this.stateId
    }
    for (const dropped of this.redoStack) this.historyByteCount -= dropped.bytes
    this.redoStack = []
    this.undoStack.push(unit)
    this.historyByteCount += unit.bytes
    this.enforceHistoryLimits()
    this.revisionCount++
    this.emit(unit.description, 'edit', indices, after)
    return { description: unit.description, voxelCount: count }
  }

  /** Restores every voxel the open stroke changed (e.g. Escape during a drag, or a failed operation). */
  cancelStroke(): void {
    const stroke = this.requireStroke('cancelStroke')
    this.stroke = null
    const logged = stroke.indices.view()
    const originals = stroke.originals.view()
    this.touched?.unmarkAll(logged)
    for (let n = 0; n < logged.length; n++) {
      if (this.labels[logged[n]] !== originals[n]) {
        this.labels[logged[n]] = originals[n]
        this.markDirty(logged[n])
      }
    }
  }

  /**
   * Runs `operation` as one undo unit (fill, interpolation, clean-up...). If it throws, its writes are
   * rolled back and the error propagates.
   */
  applyEdit(description: string, operation: (editor: this) => void): EditSummary | null {
    this.beginStroke(description)
    try {
      operation(this)
    } catch (error) {
      this.cancelStroke()
      throw error
    }
    return this.endStroke()
  }

  // ---- history -----------------------------------------------------------------------------------

  /** False while a stroke is open: undo mid-drag is ignored rather than tearing the stroke. */
  get canUndo(): boolean {
    return this.stroke === null && this.undoStack.length > 0
  }

  get canRedo(): boolean {
    return this.stroke === null && this.redoStack.length > 0
  }

  get undoDescription(): string | null {
    return this.undoStack.at(-1)?.description ?? null
  }

  get redoDescription(): string | null {
    return this.redoStack.at(-1)?.description ?? null
  }

  get undoDepth(): number {
    return this.undoStack.length
  }

  get redoDepth(): number {
    return this.redoStack.length
  }

  /** Bytes of diffs held by undo and redo together. */
  get historyBytes(): number {
    return this.historyByteCount
  }

  /** Reverts the newest unit; false when there is nothing to undo or a stroke is open. */
  undo(): boolean {
    if (!this.canUndo) return false
    const unit = this.undoStack.pop() as UndoUnit
    this.apply(unit.indices, unit.before)
    this.redoStack.push(unit)
    this.stateId = unit.stateBefore
    this.revisionCount++
    this.emit(unit.description, 'undo', unit.indices, unit.before)
    return true
  }

  /** Re-applies the newest undone unit; false when there is nothing to redo or a stroke is open. */
  redo(): boolean {
    if (!this.canRedo) return false
    const unit = this.redoStack.pop() as UndoUnit
    this.apply(unit.indices, unit.after)
    this.undoStack.push(unit)
    this.stateId = unit.stateAfter
    this.revisionCount++
    this.emit(unit.description, 'redo', unit.indices, unit.after)
    return true
  }

  /** Forgets undo and redo (e.g. after loading a different label map into the same array). */
  clearHistory(): void {
    this.undoStack = []
    this.redoStack = []
    this.historyByteCount = 0
  }

  // ---- saved state -------------------------------------------------------------------------------

  /** Increases with every committed change (stroke end, undo, redo). */
  get revision(): number {
    return this.revisionCount
  }

  /** True when the committed labels differ from the last `markSaved()` state. */
  get isDirty(): boolean {
    return this.stateId !== this.savedStateId
  }

  /** Records that the current labels are saved. Saved mid-stroke, the file matches no state: stays dirty. */
  markSaved(): void {
    this.savedStateId = this.stroke ? -1 : this.stateId
  }

  // ---- dirty region for the viewer ---------------------------------------------------------------

  /** Slices and box changed since the last call (null when nothing changed), then resets. */
  takeDirty(): DirtyRegion | null {
    if (!this.hasDirty) return null
    const slicesOf = (flags: Uint8Array): number[] => {
      const out: number[] = []
      for (let n = 0; n < flags.length; n++) if (flags[n]) out.push(n)
      flags.fill(0)
      return out
    }
    const region: DirtyRegion = {
      sagittal: slicesOf(this.dirtySlices[0]),
      coronal: slicesOf(this.dirtySlices[1]),
      axial: slicesOf(this.dirtySlices[2]),
      bounds: { minIjk: [...this.dirtyMin], maxIjk: [...this.dirtyMax] }
    }
    this.hasDirty = false
    return region
  }

  // ---- listeners ---------------------------------------------------------------------------------

  /** Subscribes to committed changes; returns the unsubscribe function. */
  onChange(listener: LabelChangeListener): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  /** Drops listeners and history; an open stroke is left as written (the caller owns the array). */
  dispose(): void {
    this.listeners.clear()
    this.clearHistory()
    this.stroke = null
    this.touched = null
  }

  // ---- internals ---------------------------------------------------------------------------------

  private requireStroke(operation: string): OpenStroke {
    if (!this.stroke) throw new VoxloopError('INVALID_ARGUMENT', `${operation} needs an open stroke (beginStroke first)`)
    return this.stroke
  }

  private checkIndices(indices: ArrayLike<number>): void {
    const n = this.voxelCount
    for (let p = 0; p < indices.length; p++) {
      const index = indices[p]
      // `>>> 0` rejects negatives, fractions and NaN in one comparison.
      if (index >>> 0 !== index || index >= n) {
        throw new VoxloopError('INVALID_ARGUMENT', `voxel index ${index} is outside the ${this.grid.dims.join('×')} grid`)
      }
    }
  }

  private checkValue(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > this.maxLabel) {
      throw new VoxloopError('INVALID_ARGUMENT', `label value ${value} does not fit the label map (0..${this.maxLabel})`)
    }
  }

  /** Returns true when the voxel changed. */
  private setVoxel(stroke: OpenStroke, index: number, value: number): boolean {
    const current = this.labels[index]
    if (current === value) return false
    if (!this.touched) this.touched = new VoxelMarks(this.voxelCount)
    if (this.touched.markIfNew(index)) {
      stroke.indices.push(index)
      stroke.originals.push(current)
    }
    this.labels[index] = value
    this.markDirty(index)
    return true
  }

  private apply(indices: Uint32Array, values: LabelArray): void {
    for (let n = 0; n < indices.length; n++) {
      this.labels[indices[n]] = values[n]
      this.markDirty(indices[n])
    }
  }

  private markDirty(index: number): void {
    const nx = this.grid.dims[0]
    const nxy = nx * this.grid.dims[1]
    const k = Math.floor(index / nxy)
    const rest = index - k * nxy
    const j = Math.floor(rest / nx)
    const i = rest - j * nx
    this.dirtySlices[0][i] = 1
    this.dirtySlices[1][j] = 1
    this.dirtySlices[2][k] = 1
    const min = this.dirtyMin
    const max = this.dirtyMax
    if (!this.hasDirty) {
      this.hasDirty = true
      min[0] = max[0] = i
      min[1] = max[1] = j
      min[2] = max[2] = k
      return
    }
    if (i < min[0]) min[0] = i
    else if (i > max[0]) max[0] = i
    if (j < min[1]) min[1] = j
    else if (j > max[1]) max[1] = j
    if (k < min[2]) min[2] = k
    else if (k > max[2]) max[2] = k
  }

  private enforceHistoryLimits(): void {
    while (this.undoStack.length > this.maxUndoSteps || (this.historyByteCount > this.maxHistoryBytes && this.undoStack.length > 1)) {
      const oldest = this.undoStack.shift() as UndoUnit
      this.historyByteCount -= oldest.bytes
    }
  }

  private emit(description: string, cause: LabelChangeCause, indices: Uint32Array, values: LabelArray): void {
    if (this.listeners.size === 0) return
    const event: LabelChangeEvent = { cause, description, revision: this.revisionCount, indices: indices.slice(), values: values.slice() }
    const errors: unknown[] = []
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (error) {
        errors.push(error)
      }
    }
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} label change listeners failed`)
  }
}
