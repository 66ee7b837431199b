import type { DataTexture } from 'three'
import type { LabelArray, Volume } from '../../../shared/volume'
import { colormapTable, type ColormapName } from './colormaps'
import { downsampleLabels, downsampleToBytes } from './downsampleVolume'
import { buildLabelPalette, PALETTE_SIZE, type PaletteEntry } from './labelPalette'
import { FrameStats } from './frameStats'
import { bindSliceView, bindVolumeView, type PointerHost, type PointerInteraction } from './pointerInteraction'
import { composeScreenshot, downloadCanvas, screenshotFileName } from './screenshot'
import { extractSlice, labelBitsOf, labelSliceBuffer } from './sliceExtraction'
import { singleSliceCaption, shownLayout, singleSliceView } from './singleSlice'
import { composeRgbSlice, naturalColourWindow } from './rgbComposite'
import { makeLookupTexture, makePaletteTexture, SliceView } from './SliceView'
import { SURFACE_SMOOTHING, SurfaceJobs } from './surfaceJobs'
import { SLICE_VIEWS, type ViewName } from './viewOrientation'
import { VolumeView3d } from './VolumeView3d'
import { autoWindow, samplePercentiles, type WindowLevel } from './windowLevel'

export type { PointerInteraction } from './pointerInteraction'

/** 'grid' is 2×2 (three slices and 3D), '1x3' the three slices side by side, the rest one view alone. */
export type Layout = 'grid' | '1x3' | ViewName | '3d'
export type OverlayKind = 'none' | 'prediction' | 'uncertainty'
/** What a screenshot holds: one view, or every view the layout shows. */
export type ScreenshotTarget = ViewName | '3d' | 'layout'

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
  /** The picture's R, G, B at the point while a colour picture is shown in colour, else null. */
  rgb: [number, number, number] | null
  label: number
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
  /** The case is a colour picture (rgbComposite.ts): it may be shown as R, G, B. */
  private colourPicture = false
  /** A colour picture is shown in colour now (else its `channel` in grey). */
  private colour = false
  /** Per view, the R, G, B slices of a colour picture and their composed RGBA (re-windowed without re-extracting). */
  private readonly rgbBuffers = new Map<ViewName, { channels: [Float32Array, Float32Array, Float32Array]; rgba: Uint8Array }>()
  /** The window changed since a colour picture's slices were composed: they are composed again once, in the next frame. */
  private colourWindowStale = false
  private overlay: OverlayKind = 'none'
  private overlayOpacity = 0.6
  private clip3d = false
  private labelOpacity = 0.5
  private outline = false
  /** The user's layout; a one-slice case shows its single view instead but keeps this for the next case. */
  private layout: Layout
  /** The view that shows a one-slice case whole (singleSlice.ts), or null for a 3D case. */
  private single: ViewName | null = null
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
  /** Labels changed while the 3D view was hidden: rebuild its labels when it shows again. */
  private labels3dStale = false
  private surfaceJobs: SurfaceJobs | null = null
  /** Downsampling factor of the grid the surfaces are meshed on. */
  private surfaceFactor: [number, number, number] | null = null
  private thresholdPreview: { min: number; max: number } | null = null
  private hoverView: ViewName = 'axial'
  /** The view last clicked: "screenshot of the active view" saves it. */
  private selectedView: ViewName | '3d' = 'axial'
  private readonly stats: FrameStats
  private readonly pointerHost: PointerHost
  private readonly resizeObserver: ResizeObserver
  private readonly cleanups: Array<() => void> = []

  constructor(
    private readonly root: HTMLElement,
    options: { layout?: Layout } = {}
  ) {
    root.classList.add('voxloop-viewer')
    this.layout = options.layout ?? 'grid'
    this.stats = new FrameStats(root)
    this.pointerHost = this.makePointerHost()
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
    root.appendChild(this.buildToolbar())
    this.resizeObserver = new ResizeObserver(() => {
      this.resizeAll()
      // Resizing clears the canvases: they are drawn again now, before the browser paints, not a
      // frame later (the views flashed black whenever a panel beside them changed size). Not
      // before the first frame, which load() times once the slices are uploaded.
      if (this.stats.getFirstFrameMs() !== null) this.renderFrame()
    })
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

  /**
   * Show a case. Slice views draw first; the 3D texture is built right after the first frame.
   * `colourPicture`: the case is a colour picture (isColourPicture) and opens in colour.
   */
  load(data: ViewerCase, options: { labels: PaletteEntry[]; window?: WindowLevel; colourPicture?: boolean }): void {
    this.stats.loadStarted()
    this.disposeViews()
    this.data = data
    const { header } = data.image
    this.single = singleSliceView(header.dims, header.rasFromIjk)
    if (this.single) this.root.dataset.singleSlice = this.single
    else delete this.root.dataset.singleSlice
    this.hoverView = this.single ?? this.hoverView
    this.cursor = header.dims.map((d) => Math.floor(d / 2)) as [number, number, number]
    const voxels = header.dims[0] * header.dims[1] * header.dims[2]
    const [min, max] = samplePercentiles(data.image.data, [0, 100], 200_000, voxels) as [number, number]
    this.intensityRange = [min, max === min ? min + 1 : max]
    this.channel = 0
    this.colourPicture = options.colourPicture === true && header.channels === 3
    this.colour = this.colourPicture
    this.windowLevel = (this.colour ? this.colourWindow() : null) ?? options.window ?? autoWindow(data.image.data, voxels)
    this.markColour()
    this.setLabelTable(options.labels)
    // Slice buffers and textures take the wider of the label and the prediction (one view shows either).
    const labelBits = labelBitsOf(data.labels, data.prediction)
    // A one-slice case gets its single view only: the others would show a one-pixel line.
    for (const name of this.single ? [this.single] : SLICE_VIEWS) {
      const cell = this.cells.get(name) as HTMLDivElement
      const look = this.single ? { orientationLetters: false, crosshair: false } : {}
      const view = new SliceView(cell, name, header, { palette: this.palette, colormap: this.colormap, labelBits }, look)
      this.views.set(name, view)
      this.imageBuffers.set(name, new Float32Array(view.width * view.height))
      if (this.colourPicture) {
        const pixels = view.width * view.height
        const channels: [Float32Array, Float32Array, Float32Array] = [new Float32Array(pixels), new Float32Array(pixels), new Float32Array(pixels)]
        this.rgbBuffers.set(name, { channels, rgba: new Uint8Array(pixels * 4) })
      }
      this.labelBuffers.set(name, labelSliceBuffer(view, labelBits))
      this.cleanups.push(bindSliceView(this.pointerHost, name, view, cell))
      view.setThresholdPreview(this.thresholdPreview)
    }
    // A flat sheet has nothing to render in 3D: no 3D view, textures or surface meshing for it.
    if (!this.single) this.create3dView()
    this.applyLayout()
    this.resizeAll()
    this.refreshAllSlices()
    for (const view of this.views.values()) view.setCrosshair(this.cursor)
    this.view3d?.setCrosshair(this.cursor)
    this.applyWindow()
    this.applyLabelStyle()
    this.requestRender('all')
  }

  /** The view a one-slice case is shown in alone (its layout chooser is off), or null for a 3D case. */
  singleSliceView(): ViewName | null {
    return this.single
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
    // A one-slice case has no other slice to go to.
    if (!slice || this.single) return
    this.stats.inputAt()
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

  /**
   * MR: window from the 0.5–99.5 percentiles of the current channel. A colour picture in colour:
   * of all three channels, so that one window stretches them alike and the hues stay.
   */
  autoWindow(): void {
    if (!this.data) return
    const voxels = this.voxelsPerChannel()
    if (this.colour) {
      this.setWindow(autoWindow(this.data.image.data, voxels * 3))
      return
    }
    this.setWindow(autoWindow(this.data.image.data.subarray(this.channel * voxels, (this.channel + 1) * voxels), voxels))
  }

  setColormap(name: ColormapName): void {
    const table = colormapTable(name)
    ;(this.colormap.image.data as Uint8Array).set(table)
    this.colormap.needsUpdate = true
    this.requestRender('slices')
  }

  /**
   * The channel shown in grey, and the one the hover value reads (the tools read the workspace's
   * channel, which the page keeps the same). While a colour picture shows in colour, the picture
   * stays in colour: only the threshold preview and the hover value follow the channel.
   */
  setChannel(channel: number): void {
    if (!this.data || channel < 0 || channel >= this.data.image.header.channels) return
    this.channel = channel
    this.refreshAllSlices()
    if (!this.colour) this.autoWindow()
    this.rebuild3dImage()
  }

  /** Whether the open case is a colour picture (it may be shown in colour). */
  isColourPicture(): boolean {
    return this.colourPicture
  }

  /** Whether the open case is shown in colour now. */
  showsColour(): boolean {
    return this.colour
  }

  /**
   * A colour picture in colour (its own colours: the window goes back to the sample type's range) or
   * its chosen channel in grey (windowed from that channel's values). Ignored for other cases.
   */
  setColour(on: boolean): void {
    if (!this.data || !this.colourPicture || on === this.colour) return
    this.colour = on
    this.markColour()
    this.refreshAllSlices()
    const natural = on ? this.colourWindow() : null
    if (natural) this.setWindow(natural)
    else this.autoWindow()
  }

  setLabelTable(entries: readonly PaletteEntry[]): void {
    buildLabelPalette(entries, this.paletteTable)
    this.palette.needsUpdate = true
    this.view3d?.setSurfaceColors(this.paletteTable)
    this.requestRender('all')
  }

  /**
   * Tint the slice voxels whose value (in the shown channel) is within the range, while a threshold
   * is being chosen; null removes the tint.
   */
  setThresholdPreview(range: { min: number; max: number } | null): void {
    this.thresholdPreview = range ? { min: Math.min(range.min, range.max), max: Math.max(range.min, range.max) } : null
    for (const view of this.views.values()) view.setThresholdPreview(this.thresholdPreview)
    if (this.thresholdPreview) this.root.dataset.thresholdPreview = `${this.thresholdPreview.min},${this.thresholdPreview.max}`
    else delete this.root.dataset.thresholdPreview
    this.requestRender('slices')
  }

  getThresholdPreview(): { min: number; max: number } | null {
    return this.thresholdPreview ? { ...this.thresholdPreview } : null
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

  /** The user's layout (kept while a one-slice case shows its single view instead). */
  getLayout(): Layout {
    return this.layout
  }

  /** The layout on screen: the single view of a one-slice case, else the user's. */
  getShownLayout(): Layout {
    return shownLayout(this.layout, this.single)
  }

  /** The overlay on the slices; `opacity` is the uncertainty heat map's own (the labels keep theirs). */
  setOverlay(kind: OverlayKind, options: { opacity?: number } = {}): void {
    this.overlay = kind
    if (options.opacity !== undefined) this.overlayOpacity = Math.min(1, Math.max(0, options.opacity))
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
   * views showing a dirty slice re-extract and upload; the 3D labels follow once editing pauses.
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
    return this.stats.getInputLatencies()
  }

  /** Milliseconds spent drawing each frame (slice views, and the 3D view when it changed). */
  getFrameWorkMs(): readonly number[] {
    return this.stats.getFrameWorkMs()
  }

  clearStatistics(): void {
    this.stats.clear()
  }

  getFirstFrameMs(): number | null {
    return this.stats.getFirstFrameMs()
  }

  /** The view a "screenshot of the active view" saves: the one shown alone, else the last one clicked. */
  screenshotView(): ViewName | '3d' {
    const layout = this.getShownLayout()
    if (layout === 'grid') return this.selectedView
    if (layout === '1x3') return this.selectedView === '3d' ? 'axial' : this.selectedView
    return layout
  }

  /**
   * One view, or the whole layout, as a canvas at the screen's pixel size: the views' pixels with
   * their orientation letters and slice captions drawn in (those are HTML on screen).
   */
  captureScreenshot(target: ScreenshotTarget = this.screenshotView()): HTMLCanvasElement {
    // Draw now: the canvases keep their last frame, which must show the current state.
    this.dirtyViews.add('3d')
    for (const name of SLICE_VIEWS) this.dirtyViews.add(name)
    this.renderFrame()
    const cells = target === 'layout' ? [...this.cells.values()].filter((cell) => !cell.hidden) : [this.cells.get(target) as HTMLDivElement]
    return composeScreenshot(cells)
  }

  /** Save a screenshot as a PNG download (Electron asks where, through its save dialog). */
  async exportScreenshot(target: ScreenshotTarget = this.screenshotView()): Promise<string> {
    const name = screenshotFileName(target === 'layout' ? `layout-${this.getShownLayout()}` : target)
    await downloadCanvas(this.captureScreenshot(target), name)
    this.root.dataset.lastScreenshot = name
    return name
  }

  /** Voxel axis that a view's slice index runs along (depends on the volume's orientation). */
  sliceAxisOf(view: ViewName): 0 | 1 | 2 {
    return this.views.get(view)?.mapping.sliceAxis ?? 2
  }

  /** The view under the pointer most recently: keyboard scrolling applies to it. */
  activeView(): ViewName {
    return this.hoverView
  }

  /** The cell element of a view (tests and screenshots measure it). */
  cellOf(view: ViewName | '3d'): HTMLElement {
    return this.cells.get(view) as HTMLDivElement
  }

  /** Where a voxel point is drawn in a slice view, in CSS pixels from the view's cell corner; null while the view is hidden. */
  screenPointOf(view: ViewName, point: readonly [number, number, number]): { x: number; y: number } | null {
    const slice = this.views.get(view)
    const cell = this.cells.get(view)
    if (!slice || !cell || cell.hidden) return null
    const at = slice.clientFromVoxel(point)
    const box = cell.getBoundingClientRect()
    return { x: at.clientX - box.left, y: at.clientY - box.top }
  }

  hoverInfoAt(view: ViewName, point: readonly [number, number, number]): HoverInfo | null {
    if (!this.data) return null
    const { header, data } = this.data.image
    const ijk = point.map((v, a) => Math.min(header.dims[a]! - 1, Math.max(0, Math.round(v)))) as [number, number, number]
    const [nx, ny] = header.dims
    const index = ijk[0] + nx * (ijk[1] + ny * ijk[2])
    const m = header.rasFromIjk
    const ras = [0, 1, 2].map((r) => m[r]![0] * ijk[0] + m[r]![1] * ijk[1] + m[r]![2] * ijk[2] + m[r]![3]) as [number, number, number]
    const voxels = this.voxelsPerChannel()
    return {
      view,
      point: [...point],
      ijk,
      ras,
      intensity: data[this.channel * voxels + index] as number,
      rgb: this.colour ? [data[index] as number, data[voxels + index] as number, data[2 * voxels + index] as number] : null,
      label: this.data.labels[index] as number
    }
  }

  dispose(): void {
    this.disposeViews()
    this.resizeObserver.disconnect()
    this.root.querySelector('.viewer-toolbar')?.remove()
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
    this.refreshColourSlice(name)
    this.refreshLabelSlice(name)
    this.refreshOverlay(name)
    const total = header.dims[view.mapping.sliceAxis]
    view.setSliceText(this.single ? singleSliceCaption(view.width, view.height) : `${name[0]!.toUpperCase()}${name.slice(1)} ${slice + 1}/${total}`)
    this.dirtyViews.add(name)
  }

  /** A colour picture's R, G, B slices, extracted again (the slice changed) and composed with the window. */
  private refreshColourSlice(name: ViewName): void {
    const view = this.views.get(name)
    const buffers = this.rgbBuffers.get(name)
    if (!view || !this.data) return
    if (!this.colour || !buffers) {
      view.setColourSlice(null)
      return
    }
    const { header, data } = this.data.image
    const slice = this.cursor[view.mapping.sliceAxis]
    buffers.channels.forEach((buffer, channel) => extractSlice(data, header.dims, view.mapping, slice, buffer, channel * this.voxelsPerChannel()))
    this.composeColourSlice(name)
  }

  /** Composes the extracted R, G, B of a view with the current window and uploads them. */
  private composeColourSlice(name: ViewName): void {
    const view = this.views.get(name)
    const buffers = this.rgbBuffers.get(name)
    if (!view || !buffers || !this.colour) return
    const [red, green, blue] = buffers.channels
    view.setColourSlice(composeRgbSlice(red, green, blue, this.windowLevel, buffers.rgba))
  }

  /** The window that shows a colour picture's own colours, or null when its type has no natural range. */
  private colourWindow(): WindowLevel | null {
    return this.data ? naturalColourWindow(this.data.image.header.datatype) : null
  }

  /** Tests and screenshots read what the viewer shows: 'rgb' while a colour picture is in colour. */
  private markColour(): void {
    if (this.colour) this.root.dataset.colour = 'rgb'
    else delete this.root.dataset.colour
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
    view.setOverlaySlice(buffer, this.overlayOpacity)
  }

  private applyWindow(): void {
    const low = this.windowLevel.center - this.windowLevel.width / 2
    const high = this.windowLevel.center + this.windowLevel.width / 2
    for (const view of this.views.values()) view.setWindow(low, high)
    // The grey window is a shader uniform; a colour picture's is applied when composing its bytes,
    // once per frame however many window events a drag sends (renderFrame).
    if (this.colour) this.colourWindowStale = true
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
    // Rebuilding the 3D labels touches every voxel and remeshes them: once editing pauses, not
    // between the events of a stroke (where it would compete with painting for the CPU).
    if (this.labels3dTimer) clearTimeout(this.labels3dTimer)
    this.labels3dTimer = setTimeout(() => {
      this.labels3dTimer = null
      this.upload3dLabels()
    }, 300)
  }

  private upload3dLabels(): void {
    if (!this.data || !this.view3d) return
    if (this.cells.get('3d')?.hidden) {
      // Meshing a hidden view is wasted work during a stroke; it is done when the view shows.
      this.labels3dStale = true
      return
    }
    this.labels3dStale = false
    const { header } = this.data.image
    const labels = downsampleLabels(this.data.labels, header.dims, 192)
    // Until the first surfaces arrive, the ray-marcher draws the labels from their texture.
    if (!this.view3d.hasSurfaces() || !this.surfaceJobs) this.view3d.setLabels(labels)
    if (this.surfaceJobs) {
      this.surfaceFactor = labels.factor
      this.surfaceJobs.submit({
        labels: labels.data,
        dims: labels.dims,
        spacing: [0, 1, 2].map((a) => (header.spacing[a] ?? 1) * labels.factor[a]!) as [number, number, number],
        smoothing: SURFACE_SMOOTHING
      })
    }
    this.requestRender('3d')
  }

  private create3dView(): void {
    if (!this.data) return
    const cell3d = this.cells.get('3d') as HTMLDivElement
    this.view3d = new VolumeView3d(cell3d, this.data.image.header, this.palette)
    this.cleanups.push(bindVolumeView(this.pointerHost, () => this.view3d, cell3d))
    this.surfaceJobs = new SurfaceJobs((result) => {
      const factor = this.surfaceFactor
      if (!this.view3d || !factor) return
      this.view3d.setSurfaces(result, { factor, smoothing: SURFACE_SMOOTHING }, this.paletteTable)
      this.requestRender('3d')
    })
  }

  private applyLayout(): void {
    const layout = this.getShownLayout()
    this.root.dataset.layout = layout
    for (const [name, cell] of this.cells) {
      cell.hidden = layout === '1x3' ? name === '3d' : layout !== 'grid' && layout !== name
    }
    this.markSelected()
    if (this.labels3dStale && !this.cells.get('3d')?.hidden) this.upload3dLabels()
  }

  private markSelected(): void {
    const selected = this.screenshotView()
    for (const [name, cell] of this.cells) cell.classList.toggle('selected', name === selected)
  }

  /** Screenshot buttons over the views' top-right corner (the views' own corners hold no text there). */
  private buildToolbar(): HTMLElement {
    const bar = document.createElement('div')
    bar.className = 'viewer-toolbar'
    const button = (label: string, title: string, testId: string, target: () => ScreenshotTarget): void => {
      const element = document.createElement('button')
      element.type = 'button'
      element.textContent = label
      element.title = title
      element.dataset.testid = testId
      element.addEventListener('click', () => void this.exportScreenshot(target()).catch((cause: unknown) => {
        this.root.dataset.screenshotError = (cause as Error).message
      }))
      bar.appendChild(element)
    }
    button('PNG ▣', 'Save the selected view (outlined; click a view to select it) as a PNG, with its orientation letters', 'screenshot-view', () => this.screenshotView())
    button('PNG ⊞', 'Save every view of this layout as one PNG, with their orientation letters', 'screenshot-layout', () => 'layout')
    return bar
  }

  /** The viewer as its pointer handlers see it. */
  private makePointerHost(): PointerHost {
    return {
      stats: this.stats,
      cursor: () => this.cursor,
      setCursor: (point) => this.setCursor(point),
      scrollSlice: (view, delta) => this.scrollSlice(view, delta),
      hasSlices: () => this.single === null,
      getWindow: () => this.getWindow(),
      setWindow: (window) => this.setWindow(window),
      intensitySpan: () => this.intensityRange[1] - this.intensityRange[0],
      interaction: () => this.interaction,
      pointedAt: (view) => {
        if (view !== '3d') this.hoverView = view
      },
      selected: (view) => {
        this.selectedView = view
        this.markSelected()
      },
      hover: (view, point) => this.emit('hover', point ? this.hoverInfoAt(view, point) : null),
      markDirty: (view) => this.dirtyViews.add(view),
      requestRender: (what) => this.requestRender(what)
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
    if (this.colourWindowStale) {
      this.colourWindowStale = false
      for (const name of this.views.keys()) this.composeColourSlice(name)
    }
    for (const name of dirty) {
      if (name === '3d') continue
      const cell = this.cells.get(name)
      if (!cell?.hidden) this.views.get(name)?.render()
    }
    if (this.stats.frameDrawn(this.views.size > 0)) {
      this.emit('frame', { firstFrameMs: this.stats.getFirstFrameMs() })
      // The 3D textures are built after the slices are on screen, so opening feels instant.
      setTimeout(() => {
        this.rebuild3dImage()
        this.upload3dLabels()
      }, 0)
    }
    if (dirty.has('3d') && !this.cells.get('3d')?.hidden) this.view3d?.render()
    this.stats.frameFinished(frameStart)
  }

  private emit<K extends keyof ViewerEvents>(event: K, payload: ViewerEvents[K]): void {
    const set = this.listeners.get(event) as Set<Listener<K>> | undefined
    if (set) for (const listener of set) listener(payload)
  }

  private disposeViews(): void {
    for (const view of this.views.values()) view.dispose()
    this.views.clear()
    this.rgbBuffers.clear()
    this.view3d?.dispose()
    this.view3d = null
    if (this.labels3dTimer) clearTimeout(this.labels3dTimer)
    this.labels3dTimer = null
    this.labels3dStale = false
    this.surfaceJobs?.dispose()
    this.surfaceJobs = null
    this.surfaceFactor = null
    // Pointer listeners are bound per loaded case, so they go with its views.
    for (const cleanup of this.cleanups.splice(0)) cleanup()
  }
}
