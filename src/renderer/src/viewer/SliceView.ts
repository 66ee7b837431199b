import {
  BufferGeometry,
  DataTexture,
  FloatType,
  Float32BufferAttribute,
  GLSL3,
  LineBasicMaterial,
  LineSegments,
  Mesh,
  NearestFilter,
  OrthographicCamera,
  PlaneGeometry,
  RedFormat,
  RedIntegerFormat,
  RGBAFormat,
  Scene,
  ShaderMaterial,
  UnsignedByteType,
  UnsignedShortType,
  WebGLRenderer,
  LineLoop,
  type Texture
} from 'three'
import type { LabelArray, VolumeHeader } from '../../../shared/volume'
import { PALETTE_WIDTH } from './labelPalette'
import { SLICE_FRAGMENT, SLICE_VERTEX } from './shaders'
import { sliceSize } from './sliceExtraction'
import { viewMapping, type ViewMapping, type ViewName } from './viewOrientation'

const CROSSHAIR_COLORS: Record<ViewName, number> = { axial: 0xf2b84b, coronal: 0x3ecf8e, sagittal: 0x4fb0ff }

/**
 * Screen pixels kept clear of the image at zoom 1 on each side: the orientation letters sit in
 * these bands, and the slice caption in the bottom one, so neither covers the image.
 */
const MARGIN_X = 22
const MARGIN_Y = 26

/** A continuous voxel position [i, j, k] (voxel centres at integers). */
export type VoxelPoint = [number, number, number]

/**
 * One slice view (axial, coronal or sagittal) drawn with three.js. World units are millimetres in
 * the slice plane, so the physical aspect comes from the spacing and a brush ring of r mm is round.
 * The view holds no volume: the viewer hands it extracted slices (only when they change).
 */
export class SliceView {
  readonly canvas: HTMLCanvasElement
  readonly mapping: ViewMapping
  private readonly renderer: WebGLRenderer
  private readonly scene = new Scene()
  private readonly camera = new OrthographicCamera(-1, 1, 1, -1, -10, 10)
  private readonly material: ShaderMaterial
  private readonly plane: Mesh
  private readonly crosshair: LineSegments
  /** The brush footprint: a white ring between two black ones, visible on any tissue. */
  private readonly cursorRings: LineLoop[]
  private readonly imageTexture: DataTexture
  private readonly labelTexture: DataTexture
  private overlayTexture: DataTexture
  /** A colour picture's windowed RGBA (1×1 until the first colour slice arrives). */
  private rgbTexture: DataTexture
  private readonly letters: HTMLDivElement[] = []
  private readonly sliceLabel: HTMLDivElement
  readonly width: number
  readonly height: number
  /** mm per pixel along screen x and y. */
  readonly pixelMm: [number, number]
  private zoom = 1
  private pan: [number, number] = [0, 0]

  constructor(
    readonly container: HTMLElement,
    readonly view: ViewName,
    header: VolumeHeader,
    shared: { palette: Texture; colormap: Texture; labelBits: 8 | 16 },
    /**
     * What is drawn around the image. A one-slice case (singleSlice.ts) has neither: its crosshair
     * would mark where views that are not shown cut it, and an image file's affine is a convention
     * for which way is up, not a measured patient orientation, so letters from it would mislead.
     */
    look: { orientationLetters?: boolean; crosshair?: boolean } = {}
  ) {
    this.mapping = viewMapping(view, header.rasFromIjk)
    const size = sliceSize(this.mapping, header.dims)
    this.width = size.width
    this.height = size.height
    this.pixelMm = [header.spacing[this.mapping.xAxis], header.spacing[this.mapping.yAxis]]

    this.canvas = document.createElement('canvas')
    this.canvas.className = 'slice-canvas'
    this.canvas.dataset.view = view
    container.appendChild(this.canvas)
    this.renderer = new WebGLRenderer({ canvas: this.canvas, antialias: false, preserveDrawingBuffer: true, powerPreference: 'high-performance' })
    this.renderer.setPixelRatio(window.devicePixelRatio || 1)
    this.renderer.setClearColor(0x000000, 1)

    this.imageTexture = makeTexture(new Float32Array(this.width * this.height), this.width, this.height, FloatType)
    this.labelTexture = makeLabelTexture(
      shared.labelBits === 16 ? new Uint16Array(this.width * this.height) : new Uint8Array(this.width * this.height),
      this.width,
      this.height
    )
    this.overlayTexture = makeTexture(new Float32Array(1), 1, 1, FloatType)
    this.rgbTexture = makeRgbaTexture(new Uint8Array(4), 1, 1)
    this.material = new ShaderMaterial({
      glslVersion: GLSL3,
      vertexShader: SLICE_VERTEX,
      fragmentShader: SLICE_FRAGMENT,
      uniforms: {
        uImage: { value: this.imageTexture },
        uLabel: { value: this.labelTexture },
        uPalette: { value: shared.palette },
        uColormap: { value: shared.colormap },
        uOverlay: { value: this.overlayTexture },
        uColour: { value: false },
        uRgb: { value: this.rgbTexture },
        uWindowLow: { value: 0 },
        uWindowHigh: { value: 1 },
        uLabelOpacity: { value: 0.5 },
        uOutline: { value: false },
        uShowOverlay: { value: false },
        uOverlayOpacity: { value: 0.6 },
        uShowThreshold: { value: false },
        uThresholdLow: { value: 0 },
        uThresholdHigh: { value: 0 },
        uTexel: { value: [1 / this.width, 1 / this.height] }
      }
    })
    const widthMm = this.width * this.pixelMm[0]
    const heightMm = this.height * this.pixelMm[1]
    this.plane = new Mesh(new PlaneGeometry(widthMm, heightMm), this.material)
    this.scene.add(this.plane)

    const crossGeometry = new BufferGeometry()
    crossGeometry.setAttribute('position', new Float32BufferAttribute(new Float32Array(12), 3))
    this.crosshair = new LineSegments(crossGeometry, new LineBasicMaterial({ color: CROSSHAIR_COLORS[view], transparent: true, opacity: 0.75 }))
    this.crosshair.position.z = 1
    this.crosshair.visible = look.crosshair ?? true
    this.scene.add(this.crosshair)

    const ringGeometry = new BufferGeometry()
    const ring = new Float32Array(64 * 3)
    for (let s = 0; s < 64; s++) {
      ring[s * 3] = Math.cos((s / 64) * Math.PI * 2)
      ring[s * 3 + 1] = Math.sin((s / 64) * Math.PI * 2)
    }
    ringGeometry.setAttribute('position', new Float32BufferAttribute(ring, 3))
    // WebGL draws lines one pixel wide: the two-tone outline is three rings a pixel apart.
    this.cursorRings = [0x000000, 0xffffff, 0x000000].map((color) => {
      const ring = new LineLoop(ringGeometry, new LineBasicMaterial({ color }))
      ring.position.z = 2
      ring.visible = false
      this.scene.add(ring)
      return ring
    })

    for (const edge of look.orientationLetters === false ? [] : (['left', 'right', 'top', 'bottom'] as const)) {
      const letter = document.createElement('div')
      letter.className = `orientation-letter ${edge}`
      letter.dataset.edge = edge
      letter.textContent = this.mapping.letters[edge]
      container.appendChild(letter)
      this.letters.push(letter)
    }
    this.sliceLabel = document.createElement('div')
    this.sliceLabel.className = 'slice-label'
    container.appendChild(this.sliceLabel)
  }

  /** Upload a new image slice (screen order, as extractSlice writes it). */
  setImageSlice(data: Float32Array): void {
    ;(this.imageTexture.image.data as Float32Array).set(data)
    this.imageTexture.needsUpdate = true
  }

  /** Upload a label slice (screen order) of the width the view was made for (labelBits). */
  setLabelSlice(data: LabelArray): void {
    const target = this.labelTexture.image.data as LabelArray
    if (target.constructor !== data.constructor) {
      throw new TypeError(`a ${data.constructor.name} label slice does not fit this view's ${target.constructor.name} texture`)
    }
    target.set(data)
    this.labelTexture.needsUpdate = true
  }

  /**
   * A colour picture's slice as RGBA bytes in screen order, already windowed (composeRgbSlice), shown
   * instead of the grey image slice; null goes back to grey. The grey slice stays uploaded: the
   * threshold preview reads the channel the tools use from it.
   */
  setColourSlice(rgba: Uint8Array | null): void {
    this.material.uniforms.uColour!.value = rgba !== null
    if (!rgba) return
    if (this.rgbTexture.image.width !== this.width || this.rgbTexture.image.height !== this.height) {
      this.rgbTexture.dispose()
      this.rgbTexture = makeRgbaTexture(new Uint8Array(this.width * this.height * 4), this.width, this.height)
      this.material.uniforms.uRgb!.value = this.rgbTexture
    }
    ;(this.rgbTexture.image.data as Uint8Array).set(rgba.subarray(0, this.width * this.height * 4))
    this.rgbTexture.needsUpdate = true
  }

  /** Heat map values in 0..1 in screen order, or null to hide it. */
  setOverlaySlice(data: Float32Array | null, opacity = 0.6): void {
    if (!data) {
      this.material.uniforms.uShowOverlay!.value = false
      return
    }
    if (this.overlayTexture.image.width !== this.width) {
      this.overlayTexture.dispose()
      this.overlayTexture = makeTexture(new Float32Array(this.width * this.height), this.width, this.height, FloatType)
      this.material.uniforms.uOverlay!.value = this.overlayTexture
    }
    ;(this.overlayTexture.image.data as Float32Array).set(data)
    this.overlayTexture.needsUpdate = true
    this.material.uniforms.uShowOverlay!.value = true
    this.material.uniforms.uOverlayOpacity!.value = opacity
  }

  /** Tint image values in [low, high] (a threshold being chosen); null hides the tint. */
  setThresholdPreview(range: { min: number; max: number } | null): void {
    this.material.uniforms.uShowThreshold!.value = range !== null
    if (!range) return
    this.material.uniforms.uThresholdLow!.value = range.min
    this.material.uniforms.uThresholdHigh!.value = range.max
  }

  setWindow(low: number, high: number): void {
    this.material.uniforms.uWindowLow!.value = low
    this.material.uniforms.uWindowHigh!.value = high
  }

  setLabelStyle(opacity: number, outline: boolean): void {
    this.material.uniforms.uLabelOpacity!.value = opacity
    this.material.uniforms.uOutline!.value = outline
  }

  setSliceText(text: string): void {
    this.sliceLabel.textContent = text
  }

  /** Crosshair through the given voxel's in-plane position. */
  setCrosshair(point: VoxelPoint): void {
    const [x, y] = this.planeFromVoxel(point)
    const halfW = (this.width * this.pixelMm[0]) / 2
    const halfH = (this.height * this.pixelMm[1]) / 2
    const attribute = this.crosshair.geometry.getAttribute('position') as Float32BufferAttribute
    attribute.array.set([-halfW, y, 0, halfW, y, 0, x, -halfH, 0, x, halfH, 0])
    attribute.needsUpdate = true
  }

  /** The brush footprint ring: radius in mm, centred on a voxel position; null hides it. */
  setCursorRing(point: VoxelPoint | null, radiusMm: number): void {
    if (!point) {
      for (const ring of this.cursorRings) ring.visible = false
      return
    }
    const [x, y] = this.planeFromVoxel(point)
    const pixel = this.mmPerScreenPixel()
    this.cursorRings.forEach((ring, n) => {
      // Outer black, white, inner black; a tiny ring keeps at least its white one.
      const r = Math.max(radiusMm + (1 - n) * pixel, n === 1 ? pixel : 0)
      ring.position.set(x, y, 2)
      ring.scale.set(r, r, 1)
      ring.visible = r > 0
    })
  }

  zoomBy(factor: number, anchor?: { clientX: number; clientY: number }): void {
    const before = anchor ? this.planeFromClient(anchor.clientX, anchor.clientY) : null
    this.zoom = Math.min(40, Math.max(0.2, this.zoom * factor))
    this.updateCamera()
    if (before && anchor) {
      const after = this.planeFromClient(anchor.clientX, anchor.clientY)
      this.pan[0] += before[0] - after[0]
      this.pan[1] += before[1] - after[1]
      this.updateCamera()
    }
  }

  panByPixels(dx: number, dy: number): void {
    const mmPerPixel = this.mmPerScreenPixel()
    this.pan[0] -= dx * mmPerPixel
    this.pan[1] += dy * mmPerPixel
    this.updateCamera()
  }

  resetView(): void {
    this.zoom = 1
    this.pan = [0, 0]
    this.updateCamera()
  }

  resize(): void {
    const { clientWidth, clientHeight } = this.container
    if (clientWidth === 0 || clientHeight === 0) return
    this.renderer.setSize(clientWidth, clientHeight, false)
    this.canvas.style.width = `${clientWidth}px`
    this.canvas.style.height = `${clientHeight}px`
    this.updateCamera()
  }

  render(): void {
    this.renderer.render(this.scene, this.camera)
  }

  /** Client (pointer) coordinates → continuous voxel position on the current slice, or null outside. */
  voxelFromClient(clientX: number, clientY: number, sliceIndex: number): VoxelPoint | null {
    const [px, py] = this.planeFromClient(clientX, clientY)
    const column = px / this.pixelMm[0] + this.width / 2 - 0.5
    const row = py / this.pixelMm[1] + this.height / 2 - 0.5
    if (column < -0.5 || row < -0.5 || column > this.width - 0.5 || row > this.height - 0.5) return null
    const point: VoxelPoint = [0, 0, 0]
    point[this.mapping.sliceAxis] = sliceIndex
    point[this.mapping.xAxis] = this.mapping.flipX ? this.width - 1 - column : column
    point[this.mapping.yAxis] = this.mapping.flipY ? this.height - 1 - row : row
    return point
  }

  /** Where a voxel point (in this view's plane) is drawn, in client pixels: the inverse of `voxelFromClient`. */
  clientFromVoxel(point: Readonly<VoxelPoint>): { clientX: number; clientY: number } {
    const column = this.mapping.flipX ? this.width - 1 - point[this.mapping.xAxis] : point[this.mapping.xAxis]
    const row = this.mapping.flipY ? this.height - 1 - point[this.mapping.yAxis] : point[this.mapping.yAxis]
    const px = (column - this.width / 2 + 0.5) * this.pixelMm[0]
    const py = (row - this.height / 2 + 0.5) * this.pixelMm[1]
    const { left, right, top, bottom, zoom, position } = this.camera
    const fx = (px - position.x - left / zoom) / ((right - left) / zoom)
    const fy = (py - position.y - bottom / zoom) / ((top - bottom) / zoom)
    const rect = this.canvas.getBoundingClientRect()
    return { clientX: rect.left + fx * rect.width, clientY: rect.top + (1 - fy) * rect.height }
  }

  /** Screen pixels per voxel along x, for scaling gestures. */
  mmPerScreenPixel(): number {
    const { clientWidth, clientHeight } = this.container
    const fit = this.fitHalfExtent(clientWidth, clientHeight)
    return (2 * fit[0]) / this.zoom / Math.max(clientWidth, 1)
  }

  dispose(): void {
    this.imageTexture.dispose()
    this.labelTexture.dispose()
    this.overlayTexture.dispose()
    this.rgbTexture.dispose()
    this.material.dispose()
    this.plane.geometry.dispose()
    this.crosshair.geometry.dispose()
    this.cursorRings[0]?.geometry.dispose()
    this.renderer.dispose()
    this.canvas.remove()
    for (const letter of this.letters) letter.remove()
    this.sliceLabel.remove()
  }

  private planeFromVoxel(point: VoxelPoint): [number, number] {
    const vx = point[this.mapping.xAxis]
    const vy = point[this.mapping.yAxis]
    const column = this.mapping.flipX ? this.width - 1 - vx : vx
    const row = this.mapping.flipY ? this.height - 1 - vy : vy
    return [(column + 0.5 - this.width / 2) * this.pixelMm[0], (row + 0.5 - this.height / 2) * this.pixelMm[1]]
  }

  private planeFromClient(clientX: number, clientY: number): [number, number] {
    const rect = this.canvas.getBoundingClientRect()
    const ndcX = ((clientX - rect.left) / Math.max(rect.width, 1)) * 2 - 1
    const ndcY = 1 - ((clientY - rect.top) / Math.max(rect.height, 1)) * 2
    return [
      this.camera.left / this.camera.zoom + ((ndcX + 1) / 2) * ((this.camera.right - this.camera.left) / this.camera.zoom) + this.camera.position.x,
      this.camera.bottom / this.camera.zoom + ((ndcY + 1) / 2) * ((this.camera.top - this.camera.bottom) / this.camera.zoom) + this.camera.position.y
    ]
  }

  /**
   * Half extents (mm) that fit the whole slice in the viewport at zoom 1, keeping square pixels and
   * the margin bands (MARGIN_X, MARGIN_Y) clear, unless the view is too small to spare them.
   */
  private fitHalfExtent(viewWidth: number, viewHeight: number): [number, number] {
    const width = Math.max(viewWidth, 1)
    const height = Math.max(viewHeight, 1)
    const roomy = width > 4 * MARGIN_X && height > 4 * MARGIN_Y
    const usableWidth = roomy ? width - 2 * MARGIN_X : width / 1.04
    const usableHeight = roomy ? height - 2 * MARGIN_Y : height / 1.04
    const mmPerPixel = Math.max((this.width * this.pixelMm[0]) / usableWidth, (this.height * this.pixelMm[1]) / usableHeight)
    return [(width * mmPerPixel) / 2, (height * mmPerPixel) / 2]
  }

  private updateCamera(): void {
    const { clientWidth, clientHeight } = this.container
    const [halfW, halfH] = this.fitHalfExtent(clientWidth, clientHeight)
    this.camera.left = -halfW
    this.camera.right = halfW
    this.camera.top = halfH
    this.camera.bottom = -halfH
    this.camera.zoom = this.zoom
    this.camera.position.set(this.pan[0], this.pan[1], 5)
    this.camera.updateProjectionMatrix()
  }
}

function makeTexture(data: Float32Array | Uint8Array, width: number, height: number, type: typeof FloatType | typeof UnsignedByteType): DataTexture {
  const texture = new DataTexture(data, width, height, RedFormat, type)
  texture.minFilter = NearestFilter
  texture.magFilter = NearestFilter
  texture.generateMipmaps = false
  texture.unpackAlignment = 1
  texture.needsUpdate = true
  return texture
}

function makeRgbaTexture(data: Uint8Array, width: number, height: number): DataTexture {
  const texture = new DataTexture(data, width, height, RGBAFormat, UnsignedByteType)
  texture.minFilter = NearestFilter
  texture.magFilter = NearestFilter
  texture.generateMipmaps = false
  texture.needsUpdate = true
  return texture
}

/**
 * Label values as an unsigned-integer texture (R8UI or R16UI, from the array's width): the shader
 * reads exact values, where a normalised 8-bit texture could not hold 256 and up. Integer textures
 * cannot be filtered, and labels must not be anyway.
 */
function makeLabelTexture(data: LabelArray, width: number, height: number): DataTexture {
  const texture = new DataTexture(data, width, height, RedIntegerFormat, data instanceof Uint16Array ? UnsignedShortType : UnsignedByteType)
  texture.minFilter = NearestFilter
  texture.magFilter = NearestFilter
  texture.generateMipmaps = false
  // Rows of 16-bit values of odd width are not 4-byte aligned either.
  texture.unpackAlignment = 1
  texture.needsUpdate = true
  return texture
}

/** The label palette (labelPalette.ts) as a 256×256 RGBA texture, read with texelFetch. */
export function makePaletteTexture(table: Uint8Array): DataTexture {
  const texture = new DataTexture(table, PALETTE_WIDTH, table.length / 4 / PALETTE_WIDTH, RGBAFormat, UnsignedByteType)
  texture.minFilter = NearestFilter
  texture.magFilter = NearestFilter
  texture.generateMipmaps = false
  texture.needsUpdate = true
  return texture
}

export function makeLookupTexture(table: Uint8Array): DataTexture {
  const texture = new DataTexture(table, table.length / 4, 1, RGBAFormat, UnsignedByteType)
  texture.minFilter = NearestFilter
  texture.magFilter = NearestFilter
  texture.generateMipmaps = false
  texture.needsUpdate = true
  return texture
}
