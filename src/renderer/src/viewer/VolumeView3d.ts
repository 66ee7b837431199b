import {
  BackSide,
  BoxGeometry,
  Data3DTexture,
  GLSL3,
  LinearFilter,
  Matrix4,
  Mesh,
  NearestFilter,
  PerspectiveCamera,
  RedFormat,
  RedIntegerFormat,
  Scene,
  ShaderMaterial,
  UnsignedByteType,
  UnsignedShortType,
  Vector3,
  WebGLRenderer,
  type Texture
} from 'three'
import type { LabelArray, VolumeHeader } from '../../../shared/volume'
import type { Downsampled } from './downsampleVolume'
import { dominantWorldAxes } from './viewOrientation'
import { VOLUME_FRAGMENT, VOLUME_VERTEX } from './volumeShaders'

/**
 * The 3D view: ray-marched image and labels in a box oriented like the patient (anterior towards
 * the default camera, superior up). Drag rotates, wheel zooms.
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
    this.worldFromVoxelAxes = dominantWorldAxes(header.rasFromIjk)
    const extents = header.dims.map((d, a) => d * (header.spacing[a] ?? 1))
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

  setOptions(options: { showImage?: boolean; showLabels?: boolean; clip?: boolean }): void {
    if (options.showImage !== undefined) this.material.uniforms.uShowImage!.value = options.showImage
    if (options.showLabels !== undefined) this.material.uniforms.uShowLabels!.value = options.showLabels
    if (options.clip !== undefined) this.material.uniforms.uClip!.value = options.clip
  }

  /** Crosshair in voxel coordinates; the clip cut-away follows it. */
  setCrosshair(point: readonly [number, number, number]): void {
    const dims = this.header.dims
    this.material.uniforms.uCrosshair!.value = new Vector3((point[0] + 0.5) / dims[0], (point[1] + 0.5) / dims[1], (point[2] + 0.5) / dims[2])
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
    const inverse = new Matrix4().copy(this.box.matrix).invert()
    this.material.uniforms.uCameraObject!.value = position.clone().applyMatrix4(inverse)
    this.renderer.render(this.scene, this.camera)
  }

  dispose(): void {
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
  }
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
