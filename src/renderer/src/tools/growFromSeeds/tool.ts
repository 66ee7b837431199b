import type { Vec3 } from '../../../../shared/volume'
import { segmentFootprint } from '../brush/brush'
import { brushChoices, clampRadius } from '../brush/tool'
import { choiceFor, OPEN_3D } from '../core/caseChoices'
import type { ViewAxis } from '../core/grid'
import type { ToolContext, ToolHandler, VoxelTool } from '../voxelTool'
import { GrowWorkerClient, type GrowRunner } from './GrowWorkerClient'
import { growOptions, growPanel, setCurrentGrowSession, type GrowRegistration } from './options'
import { GrowFromSeedsSession } from './session'

/** Margin and locality as the kernel accepts them, whatever the number fields hold. */
export function growSettingsFromOptions(options: { marginMm: number; locality: number }): { marginMm: number; locality: number } {
  const finite = (value: number, fallback: number): number => (Number.isFinite(value) ? value : fallback)
  return {
    marginMm: Math.min(100, Math.max(0, finite(options.marginMm, 10))),
    locality: Math.min(10, Math.max(0, finite(options.locality, 0)))
  }
}

/** One worker for the app: one case is open at a time, and a new job supersedes the old one. */
let sharedClient: GrowWorkerClient | null = null
const workerRunner: GrowRunner = (request) => {
  sharedClient ??= new GrowWorkerClient()
  return sharedClient.run(request)
}

/**
 * Seeds are painted with the brush's radius and shape: a drag seeds the active label, or background
 * when the panel says so. Each stroke's end recomputes the preview in the worker (auto-update); the
 * panel's Apply commits it as one undo unit. Esc or another tool drops seeds and preview.
 */
export function createGrowHandler(context: ToolContext, runner: GrowRunner = workerRunner): ToolHandler {
  let last: Vec3 | null = null
  let axis: ViewAxis = 'axial'
  let value = 0
  const session = new GrowFromSeedsSession(
    context.editor,
    () => context.image(),
    runner,
    () => ({ ...growSettingsFromOptions(growOptions), overwrite: context.settings().overwrite }),
    {
      // A seed stroke draws in the frame its pointer event arrived in, as the brush does.
      labelsChanged: () => context.showEdits({ immediate: last !== null }),
      stateChanged: (state) => {
        growPanel.state = state
      }
    }
  )
  const registration: GrowRegistration = {
    session,
    afterApply(summary) {
      context.edited()
      context.message(`Grew the seeds over ${summary.voxelCount.toLocaleString('en-US')} voxels (one undo step)`)
    }
  }
  setCurrentGrowSession(registration)

  const paint = (from: Vec3, to: Vec3): void => {
    const settings = context.settings()
    // The brush's shape, as the brush would use it (a disk on a one-slice case).
    const shape = choiceFor(settings, 'shape', brushChoices(context.openCase?.() ?? OPEN_3D))
    const footprint = segmentFootprint(context.editor.grid, { fromIjk: from, toIjk: to, radiusMm: settings.radiusMm, shape, axis })
    session.paintSeeds(footprint, value)
  }

  return {
    pointerDown(view, point) {
      setCurrentGrowSession(registration)
      axis = context.viewAxis(view)
      value = growOptions.seedKind === 'background' ? 0 : context.settings().activeLabel
      last = [...point]
      paint(point, point)
      return true
    },
    pointerMove(_view, point) {
      if (!last || !point) return
      paint(last, point)
      last = [...point]
    },
    pointerUp() {
      if (!last) return
      last = null
      if (growOptions.autoUpdate && session.ready) void session.preview()
    },
    wheel(delta) {
      const settings = context.settings()
      settings.radiusMm = clampRadius(settings.radiusMm * (delta > 0 ? 1.15 : 1 / 1.15))
      return true
    },
    cursorRadiusMm: () => context.settings().radiusMm,
    cancel() {
      last = null
      if (!session.active) return
      // Seeds and preview are only shown, never committed: Esc or another tool drops them.
      session.cancel()
      if (runner === workerRunner) sharedClient?.cancel()
      context.message('Grow from seeds cancelled: seeds and preview dropped')
    }
  }
}

export const growFromSeedsTool: VoxelTool = {
  id: 'grow-from-seeds',
  label: 'Grow',
  description: 'Grow from seeds: paint a few strokes inside each structure and around it (background), preview the grown region, then apply',
  keys: ['w'],
  section: 'pointer',
  paints: true,
  // Its seeds carry the active label, so an empty label table must block it like the brush.
  writesActiveLabel: true,
  settingsComponent: () => import('./GrowFromSeedsSettings.vue'),
  // Seeds take the brush's shape: a one-slice case seeds with disks, as the brush paints.
  unavailableChoices: brushChoices,
  create: (context) => createGrowHandler(context)
}
