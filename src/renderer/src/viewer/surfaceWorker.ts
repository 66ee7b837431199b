import { allLabelSurfaces } from './labelSurface'
import type { SurfaceRequest, SurfaceResponse } from './surfaceJobs'

/**
 * Meshes label maps off the main thread: surface nets and smoothing of a large map take long
 * enough to stall painting if they ran between strokes.
 */
interface WorkerScope {
  onmessage: ((event: MessageEvent<SurfaceRequest>) => void) | null
  postMessage(message: SurfaceResponse, transfer: Transferable[]): void
}
const scope = self as unknown as WorkerScope

scope.onmessage = (event: MessageEvent<SurfaceRequest>): void => {
  const { id, labels, dims, spacing, smoothing } = event.data
  const { surfaces, milliseconds } = allLabelSurfaces(labels, dims, { spacing, smoothing })
  const transfer = surfaces.flatMap(({ mesh }) => [mesh.positions.buffer, mesh.normals.buffer, mesh.indices.buffer])
  scope.postMessage({ id, surfaces, milliseconds }, transfer)
}
