import type { FrameStats } from './frameStats'
import type { SliceView, VoxelPoint } from './SliceView'
import type { ViewName } from './viewOrientation'
import type { VolumeView3d } from './VolumeView3d'
import { dragWindow, type WindowLevel } from './windowLevel'

/** Pointer events the viewer hands to the active tool; returning true means "handled". */
export interface PointerInteraction {
  pointerDown(view: ViewName, point: VoxelPoint, event: PointerEvent): boolean
  pointerMove(view: ViewName, point: VoxelPoint | null, event: PointerEvent): void
  pointerUp(view: ViewName, point: VoxelPoint | null, event: PointerEvent): void
  /** Ctrl+wheel: tools such as the brush resize; returns false to let the view zoom. */
  wheel?(delta: number): boolean
  /** Radius of the footprint ring to draw at the cursor, in mm, or null for none. */
  cursorRadiusMm?(): number | null
}

/** What the pointer handlers need of the viewer. */
export interface PointerHost {
  readonly stats: FrameStats
  cursor(): [number, number, number]
  setCursor(point: VoxelPoint): void
  scrollSlice(view: ViewName, delta: number): void
  /** False for a one-slice case (a 2D image): the plain wheel zooms there, as in an image viewer. */
  hasSlices(): boolean
  getWindow(): WindowLevel
  setWindow(window: WindowLevel): void
  /** Width of the image's intensity range, which scales window drags. */
  intensitySpan(): number
  interaction(): PointerInteraction | null
  /** The pointer is over this view: keyboard scrolling and screenshots follow it. */
  pointedAt(view: ViewName | '3d'): void
  /** The view was clicked: "screenshot of the active view" saves it. */
  selected(view: ViewName | '3d'): void
  hover(view: ViewName, point: VoxelPoint | null): void
  markDirty(view: ViewName): void
  requestRender(what?: 'all' | 'slices' | '3d'): void
}

type Drag = { mode: 'cursor' | 'window' | 'pan' | 'tool'; x: number; y: number; window: WindowLevel }

/**
 * Mouse handling of one slice view: left drag moves the crosshair or runs the active tool, right
 * drag sets the window, middle or Shift+left drag pans, the wheel scrolls slices (Ctrl resizes the
 * brush or zooms, Alt zooms; in a one-slice case the wheel zooms). Returns the function that unbinds it.
 */
export function bindSliceView(host: PointerHost, name: ViewName, view: SliceView, cell: HTMLElement): () => void {
  let drag: Drag | null = null
  const pointFrom = (event: PointerEvent): VoxelPoint | null => view.voxelFromClient(event.clientX, event.clientY, host.cursor()[view.mapping.sliceAxis])
  const start = (mode: Drag['mode'], event: PointerEvent): Drag => ({ mode, x: event.clientX, y: event.clientY, window: host.getWindow() })

  const onDown = (event: PointerEvent): void => {
    cell.focus({ preventScroll: true })
    host.pointedAt(name)
    host.selected(name)
    const point = pointFrom(event)
    cell.setPointerCapture(event.pointerId)
    const interaction = host.interaction()
    if (event.button === 2) drag = start('window', event)
    else if (event.button === 1 || (event.button === 0 && event.shiftKey)) drag = start('pan', event)
    else if (event.button === 0 && point && interaction) {
      // Set before the tool runs: a stroke draws from inside its handler.
      host.stats.inputAt(event.timeStamp)
      if (interaction.pointerDown(name, point, event)) drag = start('tool', event)
      else host.stats.cancelInput()
    }
    if (!drag && event.button === 0 && point) {
      drag = start('cursor', event)
      host.setCursor(point)
    }
    event.preventDefault()
  }
  // Chromium delivers pointermove once per animation frame, up to a frame after the input
  // arrived; pointerrawupdate comes at once. Strokes use it where it exists.
  const rawUpdates = 'onpointerrawupdate' in window
  const onMove = (event: PointerEvent): void => {
    host.pointedAt(name)
    const point = pointFrom(event)
    host.hover(name, point)
    const radius = host.interaction()?.cursorRadiusMm?.() ?? null
    view.setCursorRing(point && radius !== null ? point : null, radius ?? 0)
    if (radius !== null) host.markDirty(name)
    if (drag?.mode === 'window') {
      host.setWindow(dragWindow(drag.window, event.clientX - drag.x, event.clientY - drag.y, host.intensitySpan()))
    } else if (drag?.mode === 'pan') {
      view.panByPixels(event.clientX - drag.x, event.clientY - drag.y)
      drag.x = event.clientX
      drag.y = event.clientY
    } else if (drag?.mode === 'cursor' && point) {
      host.setCursor(point)
    } else if (drag?.mode === 'tool' && !rawUpdates) {
      host.stats.inputAt(event.timeStamp)
      host.interaction()?.pointerMove(name, point, event)
    }
    host.requestRender()
  }
  const onRawUpdate = (event: Event): void => {
    if (drag?.mode !== 'tool') return
    const pointer = event as PointerEvent
    host.stats.inputAt(pointer.timeStamp)
    host.interaction()?.pointerMove(name, pointFrom(pointer), pointer)
  }
  const onUp = (event: PointerEvent): void => {
    if (drag?.mode === 'tool') host.interaction()?.pointerUp(name, pointFrom(event), event)
    drag = null
    if (cell.hasPointerCapture(event.pointerId)) cell.releasePointerCapture(event.pointerId)
  }
  const onLeave = (): void => {
    view.setCursorRing(null, 0)
    host.hover(name, null)
    host.requestRender('slices')
  }
  const onWheel = (event: WheelEvent): void => {
    event.preventDefault()
    host.pointedAt(name)
    const steps = Math.sign(event.deltaY)
    const interaction = host.interaction()
    if (event.ctrlKey || event.metaKey) {
      if (interaction?.wheel?.(-steps)) {
        view.setCursorRing(pointFrom(event as unknown as PointerEvent), interaction.cursorRadiusMm?.() ?? 0)
        host.requestRender('slices')
        return
      }
      view.zoomBy(steps < 0 ? 1.15 : 1 / 1.15, event)
      host.requestRender('slices')
    } else if (event.altKey || !host.hasSlices()) {
      view.zoomBy(steps < 0 ? 1.15 : 1 / 1.15, event)
      host.requestRender('slices')
    } else {
      host.scrollSlice(name, steps < 0 ? 1 : -1)
    }
  }
  const onContext = (event: Event): void => event.preventDefault()
  return listen(cell, [
    ['pointerdown', onDown],
    ['pointermove', onMove],
    ...(rawUpdates ? [['pointerrawupdate', onRawUpdate] as const] : []),
    ['pointerup', onUp],
    ['pointercancel', onUp],
    ['pointerleave', onLeave],
    ['wheel', onWheel, { passive: false }],
    ['contextmenu', onContext]
  ])
}

/** The 3D view: drag rotates, wheel zooms. Returns the function that unbinds it. */
export function bindVolumeView(host: PointerHost, view: () => VolumeView3d | null, cell: HTMLElement): () => void {
  let last: { x: number; y: number } | null = null
  const onDown = (event: PointerEvent): void => {
    host.pointedAt('3d')
    host.selected('3d')
    last = { x: event.clientX, y: event.clientY }
    cell.setPointerCapture(event.pointerId)
  }
  const onMove = (event: PointerEvent): void => {
    host.pointedAt('3d')
    if (!last) return
    view()?.rotateBy(event.clientX - last.x, event.clientY - last.y)
    last = { x: event.clientX, y: event.clientY }
    host.requestRender('3d')
  }
  const onUp = (): void => {
    last = null
  }
  const onWheel = (event: WheelEvent): void => {
    event.preventDefault()
    view()?.zoomBy(event.deltaY < 0 ? 1.1 : 1 / 1.1)
    host.requestRender('3d')
  }
  return listen(cell, [
    ['pointerdown', onDown],
    ['pointermove', onMove],
    ['pointerup', onUp],
    ['wheel', onWheel, { passive: false }]
  ])
}

// Each handler is typed for its own event; the table only pairs names with handlers.
type Binding = readonly [string, (event: never) => void, AddEventListenerOptions?]

function listen(target: HTMLElement, bindings: readonly Binding[]): () => void {
  for (const [type, handler, options] of bindings) target.addEventListener(type, handler as EventListener, options)
  return () => {
    for (const [type, handler] of bindings) target.removeEventListener(type, handler as EventListener)
  }
}
