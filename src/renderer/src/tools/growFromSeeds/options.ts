import { reactive } from 'vue'
import type { EditSummary } from '../core/VoxelEditor'
import type { GrowFromSeedsSession, GrowSessionState } from './session'

/**
 * The grow-from-seeds tool's own settings and on-screen state, shared by its settings component
 * (which edits the settings, shows the state and drives Preview / Apply / Cancel) and its pointer
 * handler (which reads the settings and owns the session): no other tool needs them, so they stay in
 * this folder, as islands/options.ts does.
 */
export const growOptions = reactive({
  /** What a drag seeds: the active label, or background (label value 0). */
  seedKind: 'label' as 'label' | 'background',
  /** Margin around the seeds' bounding box, mm (0..100). */
  marginMm: 10,
  /** Seed locality 0..10 (percent of the intensity spread per mm); 0 lets edges alone decide. */
  locality: 0,
  /** Recompute the preview after every seed stroke (once there are two kinds of seeds). */
  autoUpdate: true
})

/** What the settings component shows; the handler's session writes it. */
export const growPanel = reactive({
  state: {
    phase: 'idle',
    seedVoxels: 0,
    seedValues: [],
    previewVoxels: null,
    stale: false,
    milliseconds: null,
    workers: null,
    error: null
  } as GrowSessionState
})

/**
 * The open case's session, for the settings component's buttons. Not reactive (a plain variable):
 * the session holds the editor, which must stay out of Vue's proxies.
 */
let current: GrowRegistration | null = null

export interface GrowRegistration {
  session: GrowFromSeedsSession
  /** The edit was committed: counts, undo state and saving follow; the status line says so. */
  afterApply(summary: EditSummary): void
}

/** The handler of the case being worked on registers its session (on creation and on each use). */
export function setCurrentGrowSession(next: GrowRegistration | null): void {
  current = next
}

/** Computes (or recomputes) the preview of the open case's seeds. */
export async function previewGrow(): Promise<void> {
  if (!current?.session.active) return
  await current.session.preview()
}

/** Commits the preview as one undo unit. */
export async function applyGrow(): Promise<void> {
  const open = current
  if (!open?.session.active) return
  const summary = await open.session.apply()
  if (summary) open.afterApply(summary)
}

/** Drops seeds and preview. */
export function cancelGrow(): void {
  current?.session.cancel()
}

/**
 * The panel mounts: a session of a case that has since closed (its editor disposed, its stroke gone)
 * is forgotten, so the panel never offers to apply a preview that no longer exists.
 */
export function refreshGrowPanel(): void {
  if (current && !current.session.alive) {
    current = null
  }
  if (!current) growPanel.state = { ...growPanel.state, phase: 'idle', seedVoxels: 0, seedValues: [], previewVoxels: null, stale: false, error: null }
}
