import {
  AmbientLight,
  BackSide,
  BoxGeometry,
  BufferAttribute,
  BufferGeometry,
  CanvasTexture,
  Color,
  ConeGeometry,
  CylinderGeometry,
  Data3DTexture,
  DirectionalLight,
  DoubleSide,
  GLSL3,
  Group,
  LinearFilter,
  Matrix4,
  Mesh,
  MeshBasicMaterial,
  MeshLambertMaterial,
  NearestFilter,
  PerspectiveCamera,
  Plane,
  Quaternion,
  RedFormat,
  RedIntegerFormat,
  SRGBColorSpace,
  Scene,
  ShaderMaterial,
  Sprite,
  SpriteMaterial,
  UnsignedByteType,
  UnsignedShortType,
  Vector3,
  WebGLRenderer,
  type Texture
} from 'three'
import type { LabelArray, VolumeHeader } from '../../../shared/volume'
import type { Downsampled } from './downsampleVolume'
import type { LabelSurfaces } from './labelSurface'
import { paletteEntryOf } from './labelPalette'
import { dominantWorldAxes } from './viewOrientation'
import { VOLUME_FRAGMENT, VOLUME_VERTEX } from './volumeShaders'

/** The orientation marker's axes in RAS world space: +x right, +y anterior, +z superior. */
const MARKER_AXES = [
  { letter: 'R', opposite: 'L', direction: [1, 0, 0], color: '#ff6b5e' },
  { letter: 'A', opposite: 'P', direction: [0, 1, 0], color: '#5ee07a' },
  { letter: 'S', opposite: 'I', direction: [0, 0, 1], color: '#5ea8ff' }
] as const

/** Side of the orientation marker's square in the view's bottom-left corner, in CSS pixels. */
const MARKER_SIZE = 120

/** How the label surfaces were made from voxels (mesh coordinates: mm on the downsampled grid). */
export interface SurfaceGrid {
  /** Source voxels per mesh-grid voxel along each axis (downsampleLabels' factor). */
  factor: [number, number, number]
  smoothing: number
}

/**
 * The 3D view: the ray-marched image in a box oriented like the patient (anterior towards the
 * default camera, superior up), the labels as smoothed surfaces (labelSurface.ts) or, until those
 * arrive, ray-marched voxels, and an orientation marker that turns with the camera. Drag rotates,
 * wheel zooms.
 */
export class VolumeView3d {
  readonly canvas: HTMLCanvasElement
  private readonly renderer: WebGLRenderer
  private readonly scene = new Scene()
  private readonly camera = new PerspectiveCamera(30, 1, 1, 20_000)
  private readonly material: ShaderMaterial
  private readonly box: Mesh
  private imageTexture: Data3DTexture | null = null
  /** Until the labels arrive, one background voxel: an integer sampler needs an integer texture bound. */
  private labelTexture: Data3DTexture = makeLabelTexture({ dims: [1, 1, 1], factor: [1, 1, 1], data: new Uint8Array(1) })
  private azimuth = -0.6
  private elevation = 0.35
  private distance: number
  private readonly extentMm: number
  private readonly worldFromVoxelAxes: Array<{ worldAxis: number; sign: number }>
  private readonly extents: number[]
  private readonly surfaces = new Group()
  private readonly clipPlanes = [new Plane(), new Plane(), new Plane()]
  private clip = false
  private showLabels = true
  private surfacesReady = false
  private crosshair = new Vector3(0.5, 0.5, 0.5)
  private readonly light = new DirectionalLight(0xffffff, 2.2)
  private readonly markerScene = new Scene()
  private readonly markerCamera = new PerspectiveCamera(30, 1, 0.1, 100)
  private readonly markerTextures: CanvasTexture[] = []

  constructor(
    readonly container: HTMLElement,
    private readonly header: VolumeHeader,
    palette: Texture
  ) {
    this.canvas = document.createElement('canvas')
    this.canvas.className = 'volume-canvas'
    container.appendChild(this.canvas)
    this.renderer = new WebGLRenderer({ canvas: this.canvas, antialias: false, preserveDrawingBuffer: true })
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 1.5))
    this.renderer.setClearColor(0x05070a, 1)
    // The cut-away clips the surfaces with planes, as the ray-marcher clips its samples.
    this.renderer.localClippingEnabled = true
    // The cell outlives its views: what it says about the previous case's surfaces goes.
    for (const key of ['surfaceLabels', 'surfaceVertices', 'surfaceTriangles', 'surfaceSmoothing', 'surfaceMs', 'markerAxes']) delete container.dataset[key]
    this.material = new ShaderMaterial({
      glslVersion: GLSL3,
      vertexShader: VOLUME_VERTEX,
      fragmentShader: VOLUME_FRAGMENT,
      side: BackSide,
      uniforms: {
        uImage: { value: null },
        uLabel: { value: this.labelTexture },
        uPalette: { value: palette },
        uTexel: { value: new Vector3(0.01, 0.01, 0.01) },
        uLow: { value: 0.2 },
        uHigh: { value: 1.0 },
        uDensity: { value: 0.12 },
        uShowImage: { value: true },
        uShowLabels: { value: true },
        uClip: { value: false },
        uCrosshair: { value: new Vector3(0.5, 0.5, 0.5) },
        uClipSign: { value: new Vector3(1, 1, 1) },
        uSteps: { value: 192 },
        uCameraObject: { value: new Vector3() }
      }
    })
    this.box = new Mesh(new BoxGeometry(1, 1, 1), this.material)
    this.box.matrixAutoUpdate = false
    // After the opaque surfaces: the ray-marcher's back faces then lose the depth test where a surface is in front.
    this.box.renderOrder = 1
    this.worldFromVoxelAxes = dominantWorldAxes(header.rasFromIjk)
    const extents = header.dims.map((d, a) => d * (header.spacing[a] ?? 1))
    this.extents = extents
    const matrix = new Matrix4()
    const columns = [0, 1, 2].map((a) => {
      const axis = this.worldFromVoxelAxes[a] ?? { worldAxis: a, sign: 1 }
      const v = [0, 0, 0]
      v[axis.worldAxis] = axis.sign * (extents[a] ?? 1)
      return v
    })
    matrix.set(
      columns[0]![0]!, columns[1]![0]!, columns[2]![0]!, 0,
      columns[0]![1]!, columns[1]![1]!, columns[2]![1]!, 0,
      columns[0]![2]!, columns[1]![2]!, columns[2]![2]!, 0,
      0, 0, 0, 1
    )
    this.box.matrix.copy(matrix)
    this.scene.add(this.box)
    this.surfaces.matrixAutoUpdate = false
    this.scene.add(this.surfaces)
    this.scene.add(new AmbientLight(0xffffff, 0.9), this.light)
    this.buildMarker()
    this.extentMm = Math.hypot(...extents)
    this.distance = this.extentMm * 2.2
    this.camera.up.set(0, 0, 1)
    this.clipTowardsCamera()
  }

  /** The image, already windowed to bytes, and the labels, both downsampled alike. */
  setImage(image: Downsampled): void {
    this.imageTexture?.dispose()
    this.imageTexture = makeImageTexture(image)
    this.material.uniforms.uImage!.value = this.imageTexture
    this.material.uniforms.uTexel!.value = new Vector3(1 / image.dims[0], 1 / image.dims[1], 1 / image.dims[2])
  }

  /** Labels in the map's own width (downsampleLabels); values are kept, not scaled. */
  setLabels(labels: Downsampled<LabelArray>): void {
    const current = this.labelTexture.image.data as LabelArray
    if (sameDims(this.labelTexture, labels) && current.constructor === labels.data.constructor) {
      current.set(labels.data)
      this.labelTexture.needsUpdate = true
      return
    }
    this.labelTexture.dispose()
    this.labelTexture = makeLabelTexture(labels)
    this.material.uniforms.uLabel!.value = this.labelTexture
  }

  /**
   * Label surfaces (one mesh per label, coloured from the palette) replace the ray-marched label
   * voxels. Mesh positions are millimetres on the downsampled grid `grid` was made from.
   */
  setSurfaces(result: LabelSurfaces, grid: SurfaceGrid, palette: Uint8Array): void {
    this.clearSurfaces()
    const dims = this.header.dims
    // Mesh mm → source voxel index (downsampled voxel i is source voxel i·f + ⌊f/2⌋) → the box's unit cube.
    const scale = [0, 1, 2].map((a) => 1 / ((this.header.spacing[a] ?? 1) * dims[a]!))
    const offset = [0, 1, 2].map((a) => ((grid.factor[a]! >> 1) + 0.5) / dims[a]! - 0.5)
    const objectFromMesh = new Matrix4().set(
      scale[0]!, 0, 0, offset[0]!,
      0, scale[1]!, 0, offset[1]!,
      0, 0, scale[2]!, offset[2]!,
      0, 0, 0, 1
    )
    this.surfaces.matrix.multiplyMatrices(this.box.matrix, objectFromMesh)
    let vertices = 0
    let triangles = 0
    for (const { label, mesh } of result.surfaces) {
      const geometry = new BufferGeometry()
      geometry.setAttribute('position', new BufferAttribute(mesh.positions, 3))
      geometry.setAttribute('normal', new BufferAttribute(mesh.normals, 3))
      geometry.setIndex(new BufferAttribute(mesh.indices, 1))
      const material = new MeshLambertMaterial({ side: DoubleSide, clippingPlanes: this.clipPlanes, clipIntersection: true })
      const surface = new Mesh(geometry, material)
      surface.userData.label = label
      this.surfaces.add(surface)
      vertices += mesh.positions.length / 3
      triangles += mesh.indices.length / 3
    }
    this.setSurfaceColors(palette)
    this.surfacesReady = true
    this.material.uniforms.uShowLabels!.value = false
    this.surfaces.visible = this.showLabels
    const data = this.container.dataset
    data.surfaceLabels = result.surfaces.map((s) => s.label).join(',')
    data.surfaceVertices = String(vertices)
    data.surfaceTriangles = String(triangles)
    data.surfaceSmoothing = String(grid.smoothing)
    data.surfaceMs = result.milliseconds.toFixed(1)
  }

  /** Label colours changed (or a label was hidden): recolour the surfaces. */
  setSurfaceColors(palette: Uint8Array): void {
    for (const child of this.surfaces.children) {
      const surface = child as Mesh<BufferGeometry, MeshLambertMaterial>
      const [r, g, b, a] = paletteEntryOf(palette, surface.userData.label as number)
      surface.material.color = new Color().setRGB(r / 255, g / 255, b / 255, SRGBColorSpace)
      surface.visible = a > 0
    }
  }

  /** Whether labels show as surfaces (rather than ray-marched voxels). */
  hasSurfaces(): boolean {
    return this.surfacesReady
  }

  setOptions(options: { showImage?: boolean; showLabels?: boolean; clip?: boolean }): void {
    if (options.showImage !== undefined) this.material.uniforms.uShowImage!.value = options.showImage
    if (options.showLabels !== undefined) {
      this.showLabels = options.showLabels
      this.surfaces.visible = options.showLabels
      this.material.uniforms.uShowLabels!.value = options.showLabels && !this.hasSurfaces()
    }
    if (options.clip !== undefined) {
      this.clip = options.clip
      this.material.uniforms.uClip!.value = options.clip
      this.updateClipPlanes()
    }
  }

  /** Crosshair in voxel coordinates; the clip cut-away follows it. */
  setCrosshair(point: readonly [number, number, number]): void {
    const dims = this.header.dims
    this.crosshair = new Vector3((point[0] + 0.5) / dims[0], (point[1] + 0.5) / dims[1], (point[2] + 0.5) / dims[2])
    this.material.uniforms.uCrosshair!.value = this.crosshair
    this.updateClipPlanes()
  }

  rotateBy(dx: number, dy: number): void {
    this.azimuth -= dx * 0.008
    this.elevation = Math.max(-1.5, Math.min(1.5, this.elevation + dy * 0.008))
    this.clipTowardsCamera()
  }

  zoomBy(factor: number): void {
    this.distance = Math.max(this.extentMm * 0.5, Math.min(this.extentMm * 8, this.distance / factor))
  }

  resetView(): void {
    this.azimuth = -0.6
    this.elevation = 0.35
    this.distance = this.extentMm * 2.2
    this.clipTowardsCamera()
  }

  resize(): void {
    const { clientWidth, clientHeight } = this.container
    if (clientWidth === 0 || clientHeight === 0) return
    this.renderer.setSize(clientWidth, clientHeight, false)
    this.canvas.style.width = `${clientWidth}px`
    this.canvas.style.height = `${clientHeight}px`
    this.camera.aspect = clientWidth / clientHeight
    this.camera.updateProjectionMatrix()
  }

  render(): void {
    if (!this.imageTexture) return
    // Camera on a sphere around the patient, starting in front (anterior) and slightly above.
    const position = new Vector3(
      Math.sin(this.azimuth) * Math.cos(this.elevation),
      Math.cos(this.azimuth) * Math.cos(this.elevation),
      Math.sin(this.elevation)
    ).multiplyScalar(this.distance)
    this.camera.position.copy(position)
    this.camera.lookAt(0, 0, 0)
    this.camera.updateMatrixWorld()
    this.light.position.copy(position)
    const inverse = new Matrix4().copy(this.box.matrix).invert()
    this.material.uniforms.uCameraObject!.value = position.clone().applyMatrix4(inverse)
    this.renderer.setScissorTest(false)
    this.renderer.render(this.scene, this.camera)
    this.renderMarker(position)
  }

  dispose(): void {
    this.clearSurfaces()
    for (const texture of this.markerTextures) texture.dispose()
    this.markerScene.traverse((object) => {
      if (object instanceof Mesh) {
        object.geometry.dispose()
        ;(object.material as MeshBasicMaterial).dispose()
      }
      if (object instanceof Sprite) object.material.dispose()
    })
    this.imageTexture?.dispose()
    this.labelTexture.dispose()
    this.material.dispose()
    this.box.geometry.dispose()
    this.renderer.dispose()
    this.canvas.remove()
  }

  /** The cut-away removes the octant facing the camera, so clipping always opens the view. */
  private clipTowardsCamera(): void {
    const toCamera = [Math.sin(this.azimuth), Math.cos(this.azimuth), Math.sin(this.elevation)]
    const sign = [0, 1, 2].map((a) => {
      const axis = this.worldFromVoxelAxes[a]
      if (!axis) return 1
      return (toCamera[axis.worldAxis] ?? 0) * axis.sign >= 0 ? 1 : -1
    })
    this.material.uniforms.uClipSign!.value = new Vector3(sign[0], sign[1], sign[2])
    this.updateClipPlanes()
  }

  /**
   * The same octant for the surfaces, as three world planes clipped together (clipIntersection):
   * a point goes where it is beyond the crosshair along all three voxel axes, towards the camera.
   * With the cut-away off, the planes face away from everything and clip nothing.
   */
  private updateClipPlanes(): void {
    const clipSign = this.material.uniforms.uClipSign!.value as Vector3
    const crosshair = [this.crosshair.x, this.crosshair.y, this.crosshair.z]
    const signs = [clipSign.x, clipSign.y, clipSign.z]
    for (let a = 0; a < 3; a++) {
      const axis = this.worldFromVoxelAxes[a] ?? { worldAxis: a, sign: 1 }
      const plane = this.clipPlanes[a] as Plane
      const normal = new Vector3()
      if (!this.clip) {
        normal.setComponent(axis.worldAxis, 1)
        plane.set(normal, this.extentMm * 10)
        continue
      }
      // Along world axis w the box runs s·e·(u − 0.5); the clipped side is d·(x − p) > 0.
      const at = axis.sign * (this.extents[a] ?? 1) * ((crosshair[a] ?? 0.5) - 0.5)
      const direction = (signs[a] ?? 1) * axis.sign
      normal.setComponent(axis.worldAxis, -direction)
      plane.set(normal, direction * at)
    }
  }

  private clearSurfaces(): void {
    for (const child of [...this.surfaces.children]) {
      const surface = child as Mesh<BufferGeometry, MeshLambertMaterial>
      surface.geometry.dispose()
      surface.material.dispose()
      this.surfaces.remove(surface)
    }
  }

  /**
   * Arrows from the origin with their letters (the negative ends thin and dim), in RAS. Solid
   * cylinders rather than lines: WebGL lines are one pixel wide, too thin to read at a glance.
   */
  private buildMarker(): void {
    const up = new Vector3(0, 1, 0)
    for (const axis of MARKER_AXES) {
      const [x, y, z] = axis.direction
      const direction = new Vector3(x, y, z)
      const turn = new Quaternion().setFromUnitVectors(up, direction)
      const material = new MeshBasicMaterial({ color: axis.color })
      const shaft = new Mesh(new CylinderGeometry(0.06, 0.06, 0.8, 12), material)
      shaft.quaternion.copy(turn)
      shaft.position.copy(direction).multiplyScalar(0.4)
      const tip = new Mesh(new ConeGeometry(0.14, 0.3, 16), material)
      tip.quaternion.copy(turn)
      tip.position.copy(direction).multiplyScalar(0.95)
      const back = new Mesh(new CylinderGeometry(0.025, 0.025, 0.6, 8), new MeshBasicMaterial({ color: axis.color, transparent: true, opacity: 0.4 }))
      back.quaternion.copy(turn)
      back.position.copy(direction).multiplyScalar(-0.3)
      this.markerScene.add(shaft, tip, back)
      for (const [letter, at, opacity] of [
        [axis.letter, 1.38, 1],
        [axis.opposite, -0.82, 0.6]
      ] as const) {
        const texture = letterTexture(letter, axis.color)
        this.markerTextures.push(texture)
        const sprite = new Sprite(new SpriteMaterial({ map: texture, depthTest: false, transparent: true, opacity }))
        sprite.position.set(x * at, y * at, z * at)
        sprite.scale.setScalar(opacity === 1 ? 0.6 : 0.4)
        this.markerScene.add(sprite)
      }
    }
  }

  /**
   * The marker in the bottom-left corner, seen from the main camera's direction: it turns as the
   * view turns. Where each letter lands is written to data-marker-axes for tests.
   */
  private renderMarker(cameraPosition: Vector3): void {
    const { clientWidth, clientHeight } = this.container
    const size = Math.min(MARKER_SIZE, Math.floor(Math.min(clientWidth, clientHeight) * 0.3))
    if (size < 24) return
    // Far enough that the letters (1.4 from the centre) stay inside the 30° view.
    this.markerCamera.position.copy(cameraPosition).normalize().multiplyScalar(6)
    this.markerCamera.up.set(0, 0, 1)
    this.markerCamera.lookAt(0, 0, 0)
    this.markerCamera.updateMatrixWorld()
    this.renderer.autoClear = false
    this.renderer.setViewport(0, 0, size, size)
    this.renderer.setScissor(0, 0, size, size)
    this.renderer.setScissorTest(true)
    this.renderer.clearDepth()
    this.renderer.render(this.markerScene, this.markerCamera)
    this.renderer.setScissorTest(false)
    this.renderer.setViewport(0, 0, clientWidth, clientHeight)
    this.renderer.autoClear = true
    this.container.dataset.markerAxes = MARKER_AXES.map((axis) => {
      const tip = new Vector3(...axis.direction).project(this.markerCamera)
      return `${axis.letter}:${tip.x.toFixed(3)},${tip.y.toFixed(3)}`
    }).join(' ')
  }
}

/** A letter drawn in its axis colour with a dark outline, for a sprite. */
function letterTexture(letter: string, color: string): CanvasTexture {
  const canvas = document.createElement('canvas')
  canvas.width = 64
  canvas.height = 64
  const context = canvas.getContext('2d')
  if (context) {
    context.font = 'bold 44px system-ui, sans-serif'
    context.textAlign = 'center'
    context.textBaseline = 'middle'
    context.lineWidth = 6
    context.strokeStyle = 'rgba(0, 0, 0, 0.85)'
    context.strokeText(letter, 32, 34)
    context.fillStyle = color
    context.fillText(letter, 32, 34)
  }
  const texture = new CanvasTexture(canvas)
  texture.colorSpace = SRGBColorSpace
  return texture
}

function makeImageTexture(volume: Downsampled): Data3DTexture {
  const texture = new Data3DTexture(volume.data, volume.dims[0], volume.dims[1], volume.dims[2])
  texture.format = RedFormat
  texture.type = UnsignedByteType
  // Linear: the windowed image is smooth between samples; labels (below) never are.
  texture.minFilter = LinearFilter
  texture.magFilter = LinearFilter
  texture.unpackAlignment = 1
  texture.needsUpdate = true
  return texture
}

/** Labels as an unsigned-integer 3D texture (R8UI or R16UI): exact values for the palette lookup. */
function makeLabelTexture(labels: Downsampled<LabelArray>): Data3DTexture {
  const texture = new Data3DTexture(labels.data, labels.dims[0], labels.dims[1], labels.dims[2])
  texture.format = RedIntegerFormat
  texture.type = labels.data instanceof Uint16Array ? UnsignedShortType : UnsignedByteType
  texture.minFilter = NearestFilter
  texture.magFilter = NearestFilter
  texture.unpackAlignment = 1
  texture.needsUpdate = true
  return texture
}

function sameDims(texture: Data3DTexture, volume: Downsampled<LabelArray>): boolean {
  return texture.image.width === volume.dims[0] && texture.image.height === volume.dims[1] && texture.image.depth === volume.dims[2]
}
