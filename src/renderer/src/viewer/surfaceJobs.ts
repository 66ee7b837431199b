import type { LabelArray } from '../../../shared/volume'
import { allLabelSurfaces, type LabelSurfaces } from './labelSurface'

export interface SurfaceRequest {
  id: number
  labels: LabelArray
  dims: [number, number, number]
  spacing: [number, number, number]
  smoothing: number
}

export interface SurfaceResponse extends LabelSurfaces {
  id: number
}

/**
 * Taubin iterations for the 3D view: on a sphere of radius 10 voxels 16 halve the normals' mean
 * deviation from radial (8° → 4°), keep the volume, and cost little next to the meshing itself.
 */
export const SURFACE_SMOOTHING = 16

/**
 * Runs label meshing in a worker, one job at a time: while one runs, only the newest request waits
 * (a stroke's intermediate states are not worth meshing). Where no worker can start, the job runs
 * here, later, in a timer.
 */
export class SurfaceJobs {
  private worker: Worker | null = null
  private running: number | null = null
  private waiting: SurfaceRequest | null = null
  private nextId = 1
  private disposed = false
  /** The job in the worker, kept to rerun here should the worker fail to load. */
  private lastSent: SurfaceRequest | null = null

  constructor(private readonly onResult: (result: LabelSurfaces) => void) {
    try {
      this.worker = new Worker(new URL('./surfaceWorker.ts', import.meta.url), { type: 'module' })
      this.worker.onmessage = (event: MessageEvent<SurfaceResponse>) => this.finished(event.data)
      this.worker.onerror = () => {
        // A worker that cannot load (no worker support, a blocked script): mesh here instead.
        this.worker?.terminate()
        this.worker = null
        const retry = this.running
        this.running = null
        if (retry !== null && this.lastSent) this.start(this.lastSent)
      }
    } catch {
      this.worker = null
    }
  }

  /** Mesh these labels (the array is copied, so the caller may keep editing its own). */
  submit(request: Omit<SurfaceRequest, 'id'>): void {
    if (this.disposed) return
    const job: SurfaceRequest = { ...request, labels: request.labels.slice(), id: this.nextId++ }
    if (this.running !== null) {
      this.waiting = job
      return
    }
    this.start(job)
  }

  dispose(): void {
    this.disposed = true
    this.worker?.terminate()
    this.worker = null
  }

  private start(job: SurfaceRequest): void {
    this.running = job.id
    this.lastSent = job
    if (this.worker) {
      // Cloned, not transferred: lastSent keeps its labels for the fallback.
      this.worker.postMessage(job)
      return
    }
    setTimeout(() => {
      if (this.disposed) return
      this.finished({ id: job.id, ...allLabelSurfaces(job.labels, job.dims, { spacing: job.spacing, smoothing: job.smoothing }) })
    }, 0)
  }

  private finished(response: SurfaceResponse): void {
    if (this.disposed || response.id !== this.running) return
    this.running = null
    if (!this.waiting) this.onResult(response)
    const next = this.waiting
    this.waiting = null
    if (next) this.start(next)
  }
}
