import type { DataTexture } from 'three'
import type { LabelArray, Volume } from '../../../shared/volume'
import { colormapTable, type ColormapName } from './colormaps'
import { downsampleLabels, downsampleToBytes } from './downsampleVolume'
import { buildLabelPalette, PALETTE_SIZE, type PaletteEntry } from './labelPalette'
import { extractSlice, labelBitsOf, labelSliceBuffer } from './sliceExtraction'
import { makeLookupTexture, makePaletteTexture, SliceView, type VoxelPoint } from './SliceView'
import { SLICE_VIEWS, type ViewName } from './viewOrientation'
import { VolumeView3d } from './VolumeView3d'
import { autoWindow, dragWindow, samplePercentiles, type WindowLevel } from './windowLevel'

export type Layout = 'grid' | ViewName | '3d'
export type OverlayKind = 'none' | 'prediction' | 'uncertainty'

export interface ViewerCase {
  image: Volume
  /** The live label array (the voxel editor writes into it; the viewer only reads). */
  labels: LabelArray
  prediction?: LabelArray | null
  uncertainty?: Float32Array | null
}

export interface HoverInfo {
  view: ViewName
  /** Continuous voxel position under the pointer (what a tool would use). */
  point: [number, number, number]
  ijk: [number, number, number]
  ras: [number, number, number]
  intensity: number
  label: number
}

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

export interface ViewerEvents {
  hover: HoverInfo | null
  cursor: [number, number, number]
  window: WindowLevel
  frame: { firstFrameMs: number | null }
}

type Listener<K extends keyof ViewerEvents> = (payload: ViewerEvents[K]) => void

/**
 * Multiplanar viewer: three slice views and a 3D view around one volume, with a linked crosshair.
 * Plain TypeScript + three.js (no Vue); the page drives it through methods and listens to events.
 * Volumes stay in typed arrays; only changed slices are re-extracted and uploaded.
 */
export class VolumeViewer {
  private views = new Map<ViewName, SliceView>()
  private view3d: VolumeView3d | null = null
  private readonly cells = new Map<ViewName | '3d', HTMLDivElement>()
  private data: ViewerCase | null = null
  private cursor: [number, number, number] = [0, 0, 0]
  private windowLevel: WindowLevel = { center: 0.5, width: 1 }
  private intensityRange: [number, number] = [0, 1]
  private channel = 0
  private overlay: OverlayKind = 'none'
  private clip3d = false
  private labelOpacity = 0.5
  private outline = false
  private layout: Layout = 'grid'
  private readonly paletteTable = new Uint8Array(PALETTE_SIZE * 4)
  private readonly palette: DataTexture = makePaletteTexture(this.paletteTable)
  private colormap: DataTexture = makeLookupTexture(colormapTable('grey'))
  private readonly imageBuffers = new Map<ViewName, Float32Array>()
  private readonly labelBuffers = new Map<ViewName, LabelArray>()
  private readonly listeners = new Map<keyof ViewerEvents, Set<(payload: never) => void>>()
  private interaction: PointerInteraction | null = null
  private frameRequested = false
  private dirtyViews = new Set<ViewName | '3d'>()
  private labels3dTimer: ReturnType<typeof setTimeout> | null = null
  private loadStartedAt = 0
  private firstFrameMs: number | null = null
  private hoverView: ViewName = 'axial'
  /** Time of the oldest tool input not yet on screen, for the input-to-pixel latency figure. */
  private pendingInputAt: number | null = null
  private readonly inputLatencies: number[] = []
  private readonly frameWorkMs: number[] = []
  private readonly resizeObserver: ResizeObserver
  private readonly cleanups: Array<() => void> = []

  constructor(private readonly root: HTMLElement) {
    root.classList.add('voxloop-viewer')
    // Benchmarks and tests read frame statistics through the element (no global variable).
    Object.defineProperty(root, 'voxloopViewer', { value: this, configurable: true })
    for (const name of [...SLICE_VIEWS, '3d'] as const) {
      const cell = document.createElement('div')
      cell.className = `viewer-cell view-${name}`
      cell.dataset.view = name
      cell.tabIndex = -1
      root.appendChild(cell)
      this.cells.set(name, cell)
    }
    this.resizeObserver = new ResizeObserver(() => this.resizeAll())
    this.resizeObserver.observe(root)
    this.applyLayout()
  }

  on<K extends keyof ViewerEvents>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    const entry = listener as (payload: never) => void
    set.add(entry)
    return () => set.delete(entry)
  }

  /** Show a case. Slice views draw first; the 3D texture is built right after the first frame. */
  load(data: ViewerCase, options: { labels: PaletteEntry[]; window?: WindowLevel }): void {
    this.loadStartedAt = performance.now()
    this.firstFrameMs = null
    this.disposeViews()
    this.data = data
    const { header } = data.image
    this.cursor = header.dims.map((d) => Math.floor(d / 2)) as [number, number, number]
    const voxels = header.dims[0] * header.dims[1] * header.dims[2]
    const [min, max] = samplePercentiles(data.image.data, [0, 100], 200_000, voxels) as [number, number]
    this.intensityRange = [min, max === min ? min + 1 : max]
    this.windowLevel = options.window ?? autoWindow(data.image.data, voxels)
    this.channel = 0
    this.setLabelTable(options.labels)
    // Slice buffers and textures take the wider of the label and the prediction (one view shows either).
    const labelBits = labelBitsOf(data.labels, data.prediction)
    for (const name of SLICE_VIEWS) {
      const cell = this.cells.get(name) as HTMLDivElement
      const view = new SliceView(cell, name, header, { palette: this.palette, colormap: this.colormap, labelBits })
      this.views.set(name, view)
      this.imageBuffers.set(name, new Float32Array(view.width * view.height))
      this.labelBuffers.set(name, labelSliceBuffer(view, labelBits))
      this.bindSliceEvents(name, view)
    }
    this.view3d = new VolumeView3d(this.cells.get('3d') as HTMLDivElement, header, this.palette)
    this.bind3dEvents(this.cells.get('3d') as HTMLDivElement)
    this.resizeAll()
    this.refreshAllSlices()
    for (const view of this.views.values()) view.setCrosshair(this.cursor)
    this.view3d.setCrosshair(this.cursor)
    this.applyWindow()
    this.applyLabelStyle()
    this.requestRender('all')
  }

  get header(): Volume['header'] | null {
    return this.data?.image.header ?? null
  }

  getCursor(): [number, number, number] {
    return [...this.cursor]
  }

  setCursor(point: readonly [number, number, number]): void {
    if (!this.data) return
    const dims = this.data.image.header.dims
    const next = point.map((v, a) => Math.min(dims[a]! - 1, Math.max(0, Math.round(v)))) as [number, number, number]
    const changed = next.map((v, a) => v !== this.cursor[a])
    this.cursor = next
    for (const [name, view] of this.views) {
      if (changed[view.mapping.sliceAxis]) this.refreshSlice(name)
      view.setCrosshair(this.cursor)
    }
    this.view3d?.setCrosshair(this.cursor)
    this.emit('cursor', this.getCursor())
    // The 3D view only shows the crosshair through its cut-away: skip its costly redraw otherwise.
    this.requestRender(this.clip3d ? 'all' : 'slices')
  }

  /** Move the slice of a view by `delta` (wheel, arrow keys, Page Up/Down). */
  scrollSlice(view: ViewName, delta: number): void {
    const slice = this.views.get(view)
    if (!slice) return
    this.pendingInputAt ??= performance.now()
    const next = this.getCursor()
    next[slice.mapping.sliceAxis] += delta
    this.setCursor(next)
  }

  getWindow(): WindowLevel {
    return { ...this.windowLevel }
  }

  getIntensityRange(): [number, number] {
    return [...this.intensityRange]
  }

  setWindow(window: WindowLevel): void {
    this.windowLevel = { center: window.center, width: Math.max(window.width, 1e-6) }
    this.applyWindow()
    this.emit('window', this.getWindow())
    this.requestRender('all')
  }

  /** MR: window from the 0.5–99.5 percentiles of the current channel. */
  autoWindow(): void {
    if (!this.data) return
    const voxels = this.voxelsPerChannel()
    this.setWindow(autoWindow(this.data.image.data.subarray(this.channel * voxels, (this.channel + 1) * voxels), voxels))
  }

  setColormap(name: ColormapName): void {
    const table = colormapTable(name)
    ;(this.colormap.image.data as Uint8Array).set(table)
    this.colormap.needsUpdate = true
    this.requestRender('slices')
  }

  setChannel(channel: number): void {
    if (!this.data || channel < 0 || channel >= this.data.image.header.channels) return
    this.channel = channel
    this.refreshAllSlices()
    this.autoWindow()
    this.rebuild3dImage()
  }

  setLabelTable(entries: readonly PaletteEntry[]): void {
    buildLabelPalette(entries, this.paletteTable)
    this.palette.needsUpdate = true
    this.requestRender('all')
  }

  setLabelStyle(opacity: number, outline: boolean): void {
    this.labelOpacity = opacity
    this.outline = outline
    this.applyLabelStyle()
    this.requestRender('slices')
  }

  setLayout(layout: Layout): void {
    this.layout = layout
    this.applyLayout()
    this.resizeAll()
    this.requestRender('all')
  }

  getLayout(): Layout {
    return this.layout
  }

  setOverlay(kind: OverlayKind): void {
    this.overlay = kind
    for (const name of SLICE_VIEWS) this.refreshSlice(name)
    this.requestRender('slices')
  }

  set3dOptions(options: { showImage?: boolean; showLabels?: boolean; clip?: boolean }): void {
    if (options.clip !== undefined) this.clip3d = options.clip
    this.view3d?.setOptions(options)
    this.requestRender('3d')
  }

  setInteraction(interaction: PointerInteraction | null): void {
    this.interaction = interaction
    for (const view of this.views.values()) view.setCursorRing(null, 0)
    this.requestRender('slices')
  }

  /**
   * Labels changed in these slices (per voxel axis, from the voxel editor) or everywhere. Only the
   * views showing a dirty slice re-extract and upload; the 3D labels follow a moment later.
   */
  labelsChanged(
    dirty: { slices: [ReadonlySet<number>, ReadonlySet<number>, ReadonlySet<number>] } | 'all',
    options: { immediate?: boolean } = {}
  ): void {
    for (const [name, view] of this.views) {
      if (dirty === 'all' || dirty.slices[view.mapping.sliceAxis].has(this.cursor[view.mapping.sliceAxis])) {
        this.refreshLabelSlice(name)
        this.dirtyViews.add(name)
      }
    }
    this.scheduleLabels3d()
    // A brush stroke draws at once from the pointer handler instead of waiting for the next
    // animation frame: the paint appears in the very frame the input arrived in.
    if (options.immediate) this.renderFrame()
    else this.requestRender()
  }

  resetViews(): void {
    for (const view of this.views.values()) view.resetView()
    this.view3d?.resetView()
    this.requestRender('all')
  }

  zoom(view: ViewName | '3d', factor: number): void {
    if (view === '3d') this.view3d?.zoomBy(factor)
    else this.views.get(view)?.zoomBy(factor)
    this.requestRender(view === '3d' ? '3d' : 'slices')
  }

  /** Milliseconds from each tool pointer event to the end of the frame that drew its result. */
  getInputLatencies(): readonly number[] {
    return this.inputLatencies
  }

  /** Milliseconds spent drawing each frame (slice views, and the 3D view when it changed). */
  getFrameWorkMs(): readonly number[] {
    return this.frameWorkMs
  }

  clearStatistics(): void {
    this.inputLatencies.length = 0
    this.frameWorkMs.length = 0
  }

  getFirstFrameMs(): number | null {
    return this.firstFrameMs
  }

  /** Voxel axis that a view's slice index runs along (depends on the volume's orientation). */
  sliceAxisOf(view: ViewName): 0 | 1 | 2 {
    return this.views.get(view)?.mapping.sliceAxis ?? 2
  }

  /** The view under the pointer most recently: keyboard scrolling applies to it. */
  activeView(): ViewName {
    return this.hoverView
  }

  hoverInfoAt(view: ViewName, point: readonly [number, number, number]): HoverInfo | null {
    if (!this.data) return null
    const { header, data } = this.data.image
    const ijk = point.map((v, a) => Math.min(header.dims[a]! - 1, Math.max(0, Math.round(v)))) as [number, number, number]
    const [nx, ny] = header.dims
    const index = ijk[0] + nx * (ijk[1] + ny * ijk[2])
    const m = header.rasFromIjk
    const ras = [0, 1, 2].map((r) => m[r]![0] * ijk[0] + m[r]![1] * ijk[1] + m[r]![2] * ijk[2] + m[r]![3]) as [number, number, number]
    return {
      view,
      point: [...point],
      ijk,
      ras,
      intensity: data[this.channel * this.voxelsPerChannel() + index] as number,
      label: this.data.labels[index] as number
    }
  }

  dispose(): void {
    this.disposeViews()
    this.resizeObserver.disconnect()
    this.palette.dispose()
    this.colormap.dispose()
    for (const cell of this.cells.values()) cell.remove()
  }

  private voxelsPerChannel(): number {
    const dims = this.data?.image.header.dims ?? [0, 0, 0]
    return dims[0] * dims[1] * dims[2]
  }

  private refreshAllSlices(): void {
    for (const name of SLICE_VIEWS) this.refreshSlice(name)
  }

  private refreshSlice(name: ViewName): void {
    const view = this.views.get(name)
    if (!view || !this.data) return
    const { header } = this.data.image
    const slice = this.cursor[view.mapping.sliceAxis]
    const image = this.imageBuffers.get(name) as Float32Array
    extractSlice(this.data.image.data, header.dims, view.mapping, slice, image, this.channel * this.voxelsPerChannel())
    view.setImageSlice(image)
    this.refreshLabelSlice(name)
    this.refreshOverlay(name)
    const total = header.dims[view.mapping.sliceAxis]
    view.setSliceText(`${name[0]!.toUpperCase()}${name.slice(1)} ${slice + 1}/${total}`)
    this.dirtyViews.add(name)
  }

  private refreshLabelSlice(name: ViewName): void {
    const view = this.views.get(name)
    if (!view || !this.data) return
    const labels = this.overlay === 'prediction' && this.data.prediction ? this.data.prediction : this.data.labels
    const buffer = this.labelBuffers.get(name) as LabelArray
    extractSlice(labels, this.data.image.header.dims, view.mapping, this.cursor[view.mapping.sliceAxis], buffer)
    view.setLabelSlice(buffer)
  }

  private refreshOverlay(name: ViewName): void {
    const view = this.views.get(name)
    if (!view || !this.data) return
    if (this.overlay !== 'uncertainty' || !this.data.uncertainty) {
      view.setOverlaySlice(null)
      return
    }
    const buffer = new Float32Array(view.width * view.height)
    extractSlice(this.data.uncertainty, this.data.image.header.dims, view.mapping, this.cursor[view.mapping.sliceAxis], buffer)
    view.setOverlaySlice(buffer)
  }

  private applyWindow(): void {
    const low = this.windowLevel.center - this.windowLevel.width / 2
    const high = this.windowLevel.center + this.windowLevel.width / 2
    for (const view of this.views.values()) view.setWindow(low, high)
  }

  private applyLabelStyle(): void {
    for (const view of this.views.values()) view.setLabelStyle(this.labelOpacity, this.outline)
  }

  private rebuild3dImage(): void {
    if (!this.data || !this.view3d) return
    const { header, data } = this.data.image
    const voxels = this.voxelsPerChannel()
    const channel = data.subarray(this.channel * voxels, (this.channel + 1) * voxels)
    const window = autoWindow(channel, voxels)
    const low = window.center - window.width / 2
    const scale = 255 / window.width
    this.view3d.setImage(downsampleToBytes(channel, header.dims, 192, (v) => Math.max(0, Math.min(255, (v - low) * scale))))
    this.requestRender('3d')
  }

  private scheduleLabels3d(): void {
    if (this.labels3dTimer) return
    // Rebuilding the 3D label texture touches every voxel: do it at most a few times a second.
    this.labels3dTimer = setTimeout(() => {
      this.labels3dTimer = null
      this.upload3dLabels()
    }, 400)
  }

  private upload3dLabels(): void {
    if (!this.data || !this.view3d) return
    this.view3d.setLabels(downsampleLabels(this.data.labels, this.data.image.header.dims, 192))
    this.requestRender('3d')
  }

  private applyLayout(): void {
    this.root.dataset.layout = this.layout
    for (const [name, cell] of this.cells) {
      cell.hidden = this.layout !== 'grid' && this.layout !== name
    }
  }

  private resizeAll(): void {
    for (const view of this.views.values()) view.resize()
    this.view3d?.resize()
    this.requestRender('all')
  }

  private requestRender(what: 'all' | 'slices' | '3d' | undefined = undefined): void {
    if (what === 'all' || what === 'slices') for (const name of SLICE_VIEWS) this.dirtyViews.add(name)
    if (what === 'all' || what === '3d') this.dirtyViews.add('3d')
    if (this.frameRequested) return
    this.frameRequested = true
    requestAnimationFrame(() => this.renderFrame())
  }

  private renderFrame(): void {
    const frameStart = performance.now()
    this.frameRequested = false
    const dirty = this.dirtyViews
    this.dirtyViews = new Set()
    for (const name of dirty) {
      if (name === '3d') continue
      const cell = this.cells.get(name)
      if (!cell?.hidden) this.views.get(name)?.render()
    }
    if (this.pendingInputAt !== null) {
      const latency = performance.now() - this.pendingInputAt
      this.pendingInputAt = null
      this.inputLatencies.push(latency)
      if (this.inputLatencies.length > 2000) this.inputLatencies.shift()
      this.root.dataset.inputLatencyMs = latency.toFixed(2)
    }
    if (this.firstFrameMs === null && this.views.size > 0) {
      this.firstFrameMs = performance.now() - this.loadStartedAt
      this.root.dataset.firstFrameMs = this.firstFrameMs.toFixed(1)
      this.root.dataset.firstFrameAt = performance.now().toFixed(1)
      this.emit('frame', { firstFrameMs: this.firstFrameMs })
      // The 3D textures are built after the slices are on screen, so opening feels instant.
      setTimeout(() => {
        this.rebuild3dImage()
        this.upload3dLabels()
      }, 0)
    }
    if (dirty.has('3d') && !this.cells.get('3d')?.hidden) this.view3d?.render()
    this.frameWorkMs.push(performance.now() - frameStart)
    if (this.frameWorkMs.length > 2000) this.frameWorkMs.shift()
    this.root.dataset.frames = String(Number(this.root.dataset.frames ?? '0') + 1)
  }

  private emit<K extends keyof ViewerEvents>(event: K, payload: ViewerEvents[K]): void {
    const set = this.listeners.get(event) as Set<Listener<K>> | undefined
    if (set) for (const listener of set) listener(payload)
  }

  private bindSliceEvents(name: ViewName, view: SliceView): void {
    const cell = this.cells.get(name) as HTMLDivElement
    let drag: { mode: 'cursor' | 'window' | 'pan' | 'tool'; x: number; y: number; window: WindowLevel } | null = null
    const pointFrom = (event: PointerEvent): VoxelPoint | null =>
      view.voxelFromClient(event.clientX, event.clientY, this.cursor[view.mapping.sliceAxis])

    const onDown = (event: PointerEvent): void => {
      cell.focus({ preventScroll: true })
      this.hoverView = name
      const point = pointFrom(event)
      cell.setPointerCapture(event.pointerId)
      if (event.button === 2) drag = { mode: 'window', x: event.clientX, y: event.clientY, window: this.getWindow() }
      else if (event.button === 1 || (event.button === 0 && event.shiftKey)) drag = { mode: 'pan', x: event.clientX, y: event.clientY, window: this.getWindow() }
      else if (event.button === 0 && point && this.interaction) {
        // Set before the tool runs: a stroke draws from inside its handler.
        this.pendingInputAt ??= event.timeStamp
        if (this.interaction.pointerDown(name, point, event)) drag = { mode: 'tool', x: event.clientX, y: event.clientY, window: this.getWindow() }
        else this.pendingInputAt = null
      }
      if (!drag && event.button === 0 && point) {
        drag = { mode: 'cursor', x: event.clientX, y: event.clientY, window: this.getWindow() }
        this.setCursor(point)
      }
      event.preventDefault()
    }
    const onMove = (event: PointerEvent): void => {
      this.hoverView = name
      const point = pointFrom(event)
      this.emit('hover', point ? this.hoverInfoAt(name, point) : null)
      const radius = this.interaction?.cursorRadiusMm?.() ?? null
      view.setCursorRing(point && radius !== null ? point : null, radius ?? 0)
      if (radius !== null) this.dirtyViews.add(name)
      if (drag?.mode === 'window') {
        const range = this.intensityRange[1] - this.intensityRange[0]
        this.setWindow(dragWindow(drag.window, event.clientX - drag.x, event.clientY - drag.y, range))
      } else if (drag?.mode === 'pan') {
        view.panByPixels(event.clientX - drag.x, event.clientY - drag.y)
        drag.x = event.clientX
        drag.y = event.clientY
      } else if (drag?.mode === 'cursor' && point) {
        this.setCursor(point)
      } else if (drag?.mode === 'tool' && !rawUpdates) {
        this.pendingInputAt ??= event.timeStamp
        this.interaction?.pointerMove(name, point, event)
      }
      this.requestRender()
    }
    // Chromium delivers pointermove once per animation frame, up to a frame after the input
    // arrived; pointerrawupdate comes at once. Strokes use it where it exists.
    const rawUpdates = 'onpointerrawupdate' in window
    const onRawUpdate = (event: Event): void => {
      if (drag?.mode !== 'tool') return
      const pointer = event as PointerEvent
      this.pendingInputAt ??= pointer.timeStamp
      this.interaction?.pointerMove(name, pointFrom(pointer), pointer)
    }
    const onUp = (event: PointerEvent): void => {
      if (drag?.mode === 'tool') this.interaction?.pointerUp(name, pointFrom(event), event)
      drag = null
      if (cell.hasPointerCapture(event.pointerId)) cell.releasePointerCapture(event.pointerId)
    }
    const onLeave = (): void => {
      view.setCursorRing(null, 0)
      this.emit('hover', null)
      this.requestRender('slices')
    }
    const onWheel = (event: WheelEvent): void => {
      event.preventDefault()
      this.hoverView = name
      const steps = Math.sign(event.deltaY)
      if (event.ctrlKey || event.metaKey) {
        if (this.interaction?.wheel?.(-steps)) {
          const point = pointFrom(event as unknown as PointerEvent)
          view.setCursorRing(point, this.interaction.cursorRadiusMm?.() ?? 0)
          this.requestRender('slices')
          return
        }
        view.zoomBy(steps < 0 ? 1.15 : 1 / 1.15, event)
        this.requestRender('slices')
      } else if (event.altKey) {
        view.zoomBy(steps < 0 ? 1.15 : 1 / 1.15, event)
        this.requestRender('slices')
      } else {
        this.scrollSlice(name, steps < 0 ? 1 : -1)
      }
    }
    const onContext = (event: Event): void => event.preventDefault()
    cell.addEventListener('pointerdown', onDown)
    cell.addEventListener('pointermove', onMove)
    if (rawUpdates) cell.addEventListener('pointerrawupdate', onRawUpdate)
    cell.addEventListener('pointerup', onUp)
    cell.addEventListener('pointercancel', onUp)
    cell.addEventListener('pointerleave', onLeave)
    cell.addEventListener('wheel', onWheel, { passive: false })
    cell.addEventListener('contextmenu', onContext)
    this.cleanups.push(() => {
      cell.removeEventListener('pointerdown', onDown)
      cell.removeEventListener('pointermove', onMove)
      cell.removeEventListener('pointerrawupdate', onRawUpdate)
      cell.removeEventListener('pointerup', onUp)
      cell.removeEventListener('pointercancel', onUp)
      cell.removeEventListener('pointerleave', onLeave)
      cell.removeEventListener('wheel', onWheel)
      cell.removeEventListener('contextmenu', onContext)
    })
  }

  private bind3dEvents(cell: HTMLDivElement): void {
    let last: { x: number; y: number } | null = null
    const onDown = (event: PointerEvent): void => {
      last = { x: event.clientX, y: event.clientY }
      cell.setPointerCapture(event.pointerId)
    }
    const onMove = (event: PointerEvent): void => {
      if (!last) return
      this.view3d?.rotateBy(event.clientX - last.x, event.clientY - last.y)
      last = { x: event.clientX, y: event.clientY }
      this.requestRender('3d')
    }
    const onUp = (): void => {
      last = null
    }
    const onWheel = (event: WheelEvent): void => {
      event.preventDefault()
      this.view3d?.zoomBy(event.deltaY < 0 ? 1.1 : 1 / 1.1)
      this.requestRender('3d')
    }
    cell.addEventListener('pointerdown', onDown)
    cell.addEventListener('pointermove', onMove)
    cell.addEventListener('pointerup', onUp)
    cell.addEventListener('wheel', onWheel, { passive: false })
    this.cleanups.push(() => {
      cell.removeEventListener('pointerdown', onDown)
      cell.removeEventListener('pointermove', onMove)
      cell.removeEventListener('pointerup', onUp)
      cell.removeEventListener('wheel', onWheel)
    })
  }

  private disposeViews(): void {
    for (const view of this.views.values()) view.dispose()
    this.views.clear()
    this.view3d?.dispose()
    this.view3d = null
    if (this.labels3dTimer) clearTimeout(this.labels3dTimer)
    this.labels3dTimer = null
    // Pointer listeners are bound per loaded case, so they go with its views.
    for (const cleanup of this.cleanups.splice(0)) cleanup()
  }
}
