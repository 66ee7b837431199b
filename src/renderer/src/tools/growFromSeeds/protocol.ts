/**
 * The grow-from-seeds workers' messages, the handler each worker runs, and the page's side of a job
 * (on one worker, or on two: split, exchange of the shared plane, assembly). Kept apart from the
 * worker file and the client so that tests (and the bench) run exactly what the app runs, without
 * a Worker.
 *
 * A job on two workers (`runGrowOnSlabs`): the box is cut along k at plane m into a low slab
 * (k ≤ m) and a high one (k ≥ m); they share plane m, so seeds painted on that slice start in both.
 * Each worker runs the competition on its slab from the seeds in it, then the page swaps the shared
 * plane's (key, label) pairs between them: a worker offered a better pair (lower key, or equal key
 * and smaller label) for some plane voxel takes it and re-runs the competition from those voxels
 * alone (`repairGrow`), and answers with its plane again, until neither plane changes. Keys only fall
 * and each is the cost of a real path, so this ends, and where it ends every step of the box
 * satisfies the shortest-path condition: the labels are exactly the one-worker answer (the tie rule
 * in kernel.ts makes that answer unique).
 */
import { deserializeError, serializeError, VoxloopError, type SerializedError } from '../../../../shared/errors'
import {
  checkGrowRequest,
  growFromSeeds,
  repairGrow,
  startGrow,
  UNREACHED_KEY,
  type GrowRequest,
  type GrowResult,
  type GrowState
} from './kernel'

/** A whole job for one worker. */
export interface GrowJob {
  id: number
  request: GrowRequest
}

/** What the page sends a worker. Messages of one job share its id. */
export type GrowMessage =
  /** The whole competition; the reply is the result. */
  | { id: number; kind: 'grow'; request: GrowRequest }
  /** The competition on a slab (the request's box is the slab), kept for repairs; the reply is plane `planeK` (slab-local k). */
  | { id: number; kind: 'slab'; request: GrowRequest; planeK: number }
  /** The other slab's side of the shared plane (i fastest); the reply is this slab's plane after the repair. */
  | { id: number; kind: 'repair'; keys: Uint32Array; labels: Uint16Array }
  /** The slab's labels; the worker drops the slab. */
  | { id: number; kind: 'finish' }

export interface GrowResultReply {
  id: number
  ok: true
  kind: 'result'
  result: GrowResult
  /** Time the competition took in the worker (for a slab: every pass on it). */
  milliseconds: number
}

export interface GrowPlaneReply {
  id: number
  ok: true
  kind: 'plane'
  /** The shared plane's path keys and labels, i fastest (`UNREACHED_KEY` where no path arrived yet). */
  keys: Uint32Array
  labels: Uint16Array
  /** Plane voxels that took the pair offered (0 for a first pass). */
  taken: number
  milliseconds: number
}

export interface GrowErrorReply {
  id: number
  ok: false
  error: SerializedError
}

export type GrowReply = GrowResultReply | GrowPlaneReply | GrowErrorReply

export interface Handled<R extends GrowReply = GrowReply> {
  reply: R
  /** Buffers the reply hands over rather than copies. */
  transfer: ArrayBuffer[]
}

/** Runs one whole job; the result's label buffer is listed for transfer (no copy back to the page). */
export function runGrowJob(job: GrowJob, now: () => number = () => performance.now()): Handled<GrowResultReply | GrowErrorReply> {
  const started = now()
  try {
    const result = growFromSeeds(job.request)
    return { reply: { id: job.id, ok: true, kind: 'result', result, milliseconds: now() - started }, transfer: [result.labels.buffer as ArrayBuffer] }
  } catch (error) {
    return { reply: { id: job.id, ok: false, error: serializeError(error) }, transfer: [] }
  }
}

/** The slab a worker keeps between a job's messages. */
interface KeptSlab {
  id: number
  request: GrowRequest
  state: GrowState
  /** Box-local indices of the shared plane's voxels, i fastest. */
  plane: Uint32Array
  milliseconds: number
}

/**
 * A worker's message handler (grow.worker.ts calls it per message; tests and the bench call it
 * directly). It keeps one slab: a new job's first message replaces it.
 */
export function createGrowWorkerHandler(now: () => number = () => performance.now()): (message: GrowMessage) => Handled {
  let slab: KeptSlab | null = null

  const planeReply = (kept: KeptSlab, taken: number): Handled => {
    const keys = new Uint32Array(kept.plane.length)
    const labels = new Uint16Array(kept.plane.length)
    for (let p = 0; p < kept.plane.length; p++) {
      keys[p] = kept.state.cost[kept.plane[p]]
      labels[p] = kept.state.labels[kept.plane[p]]
    }
    return {
      reply: { id: kept.id, ok: true, kind: 'plane', keys, labels, taken, milliseconds: kept.milliseconds },
      transfer: [keys.buffer, labels.buffer]
    }
  }

  const handle = (message: GrowMessage): Handled => {
    const started = now()
    switch (message.kind) {
      case 'grow':
        slab = null
        return runGrowJob(message, now)
      case 'slab': {
        slab = null
        const { request, planeK } = message
        const [nx, ny, nz] = request.dims
        if (!(Number.isInteger(planeK) && planeK >= 0 && planeK < nz)) {
          throw new VoxloopError('INVALID_ARGUMENT', `shared plane k = ${planeK} is outside the ${request.dims.join('×')} slab`)
        }
        const state = startGrow(request, { allowNoSeeds: true })
        const plane = new Uint32Array(nx * ny)
        for (let p = 0; p < plane.length; p++) plane[p] = planeK * nx * ny + p
        slab = { id: message.id, request, state, plane, milliseconds: now() - started }
        return planeReply(slab, 0)
      }
      case 'repair': {
        const kept = slab
        if (!kept || kept.id !== message.id) throw new VoxloopError('INTERNAL', `grow-from-seeds job ${message.id} has no slab in this worker to repair`)
        if (message.keys.length !== kept.plane.length) {
          throw new VoxloopError('INVALID_ARGUMENT', `a repair offers ${message.keys.length} plane voxels to a plane of ${kept.plane.length}`)
        }
        const taken = repairGrow(kept.state, kept.plane, message.keys, message.labels)
        kept.milliseconds += now() - started
        return planeReply(kept, taken)
      }
      case 'finish': {
        const kept = slab
        if (!kept || kept.id !== message.id) throw new VoxloopError('INTERNAL', `grow-from-seeds job ${message.id} has no slab in this worker to finish`)
        slab = null
        const { request, state } = kept
        const result: GrowResult = { box: request.box, dims: [request.dims[0], request.dims[1], request.dims[2]], labels: state.labels }
        return { reply: { id: kept.id, ok: true, kind: 'result', result, milliseconds: kept.milliseconds }, transfer: [state.labels.buffer as ArrayBuffer] }
      }
    }
  }

  return (message) => {
    try {
      return handle(message)
    } catch (error) {
      slab = null
      return { reply: { id: message.id, ok: false, error: serializeError(error) }, transfer: [] }
    }
  }
}

/** One worker as the page sees it: a message in, its reply out (one message at a time per worker). */
export type GrowPort = (message: GrowMessage, transfer: ArrayBuffer[]) => Promise<GrowReply>

/** What a job gives back: the labels and the time it took. */
export interface GrowOutcome {
  result: GrowResult
  /** Time the competition took: in the worker for one, from the page's first message to the last reply for two. */
  milliseconds: number
  /** How a job on two workers went (absent for one worker). */
  split?: GrowSplit
}

export interface GrowSplit {
  /** Box-local k of the shared plane. */
  planeK: number
  /** Plane exchanges after the first pass on each slab. */
  rounds: number
  /** Time each worker (low slab, high slab) spent computing, every pass together. */
  workerMilliseconds: [number, number]
}

/** Boxes smaller than this stay on one worker: the split, the exchange and the copies are not worth it. */
export const PARALLEL_MIN_VOXELS = 2_000_000
/** Boxes thinner than this along k stay on one worker. */
export const PARALLEL_MIN_SLICES = 8

export interface GrowPlanOptions {
  /** Cores the machine has (`navigator.hardwareConcurrency`): under 2, one worker. */
  cores: number
  /** Smallest box split over two workers (default `PARALLEL_MIN_VOXELS`). */
  minParallelVoxels?: number
}

/**
 * Where to cut the box for two workers: the box-local k of the shared plane, or null for one worker.
 * The middle slice when seeds lie on both sides of it (equal work); otherwise the seed slice nearest
 * the middle, so that both slabs start from seeds (a slab without any would only wait for the
 * other's plane). One worker when the machine has one core, the box is small or thin, or the cut
 * would leave one slab under an eighth of the slices (two workers would then gain less than the
 * exchange costs).
 */
export function planSlabs(request: GrowRequest, options: GrowPlanOptions): number | null {
  const [nx, ny, nz] = request.dims
  const nxy = nx * ny
  if (options.cores < 2 || nxy * nz < (options.minParallelVoxels ?? PARALLEL_MIN_VOXELS) || nz < PARALLEL_MIN_SLICES) return null
  let lowestK = nz
  let highestK = -1
  for (let s = 0; s < request.seedIndices.length; s++) {
    const k = Math.floor(request.seedIndices[s] / nxy)
    if (k < lowestK) lowestK = k
    if (k > highestK) highestK = k
  }
  if (highestK < 0) return null
  const middle = Math.floor(nz / 2)
  const planeK = highestK < middle ? highestK : lowestK > middle ? lowestK : middle
  const thinner = Math.min(planeK + 1, nz - planeK)
  return thinner * 8 < nz ? null : planeK
}

/** Runs a job as the plan says: on the first port alone, or split over both. */
export async function runGrowOnWorkers(
  request: GrowRequest,
  ports: readonly [GrowPort, GrowPort],
  id: number,
  options: GrowPlanOptions,
  now: () => number = () => performance.now()
): Promise<GrowOutcome> {
  const planeK = planSlabs(request, options)
  if (planeK === null) {
    // The cropped image goes over without a copy; the page built it for this job only.
    const reply = await ports[0]({ id, kind: 'grow', request }, [request.image.buffer as ArrayBuffer])
    const result = resultOf(reply, id)
    return { result: result.result, milliseconds: result.milliseconds }
  }
  return runGrowOnSlabs(request, planeK, ports, id, now)
}

/**
 * The competition on two slabs sharing plane `planeK` (box-local k; any plane works, even with all
 * seeds on one side, for tests), the planes exchanged until they agree; the labels are those of the
 * whole box on one worker.
 */
export async function runGrowOnSlabs(
  request: GrowRequest,
  planeK: number,
  ports: readonly [GrowPort, GrowPort],
  id: number,
  now: () => number = () => performance.now()
): Promise<GrowOutcome & { split: GrowSplit }> {
  // The whole box's checks (its key bound above all: a slab's keys come from paths anywhere in it).
  checkGrowRequest(request)
  const started = now()
  const [nx, ny, nz] = request.dims
  const nxy = nx * ny
  if (!(Number.isInteger(planeK) && planeK >= 0 && planeK < nz)) {
    throw new VoxloopError('INVALID_ARGUMENT', `shared plane k = ${planeK} is outside the ${request.dims.join('×')} box`)
  }
  const low = slabOf(request, 0, planeK, 'view')
  const high = slabOf(request, planeK, nz - 1, 'copy')
  // Only the high slab is copied: the low one is a view of the page's buffer, handed over whole.
  let [lowPlane, highPlane] = await Promise.all([
    ports[0]({ id, kind: 'slab', request: low, planeK }, [request.image.buffer as ArrayBuffer]).then((reply) => planeOf(reply, id)),
    ports[1]({ id, kind: 'slab', request: high, planeK: 0 }, [high.image.buffer as ArrayBuffer]).then((reply) => planeOf(reply, id))
  ])
  let rounds = 0
  for (;;) {
    const lowTakes = offersBetter(highPlane, lowPlane)
    const highTakes = offersBetter(lowPlane, highPlane)
    if (!lowTakes && !highTakes) break
    rounds++
    // Planes are small (one slice): sent as copies, so each side keeps the one it compares with.
    const offerToLow = highPlane
    const offerToHigh = lowPlane
    ;[lowPlane, highPlane] = await Promise.all([
      lowTakes ? ports[0]({ id, kind: 'repair', keys: offerToLow.keys, labels: offerToLow.labels }, []).then((reply) => takenOf(reply, id)) : lowPlane,
      highTakes ? ports[1]({ id, kind: 'repair', keys: offerToHigh.keys, labels: offerToHigh.labels }, []).then((reply) => takenOf(reply, id)) : highPlane
    ])
  }
  const [lowResult, highResult] = await Promise.all([
    ports[0]({ id, kind: 'finish' }, []).then((reply) => resultOf(reply, id)),
    ports[1]({ id, kind: 'finish' }, []).then((reply) => resultOf(reply, id))
  ])
  const lowCount = (planeK + 1) * nxy
  if (lowResult.result.labels.length !== lowCount || highResult.result.labels.length !== (nz - planeK) * nxy) {
    throw new VoxloopError('INTERNAL', `grow-from-seeds workers returned ${lowResult.result.labels.length} + ${highResult.result.labels.length} labels for slabs of ${lowCount} + ${(nz - planeK) * nxy}`)
  }
  const labels = new Uint16Array(nxy * nz)
  labels.set(lowResult.result.labels)
  // The shared plane is the same on both sides now: the high slab gives the slices above it.
  labels.set(highResult.result.labels.subarray(nxy), lowCount)
  return {
    result: { box: request.box, dims: [nx, ny, nz], labels },
    milliseconds: now() - started,
    split: { planeK, rounds, workerMilliseconds: [lowResult.milliseconds, highResult.milliseconds] }
  }
}

/**
 * The request for slices k0..k1 of the box. Its image views the page's (the low slab, whose buffer
 * is handed over whole) or copies its slices (the high one, even when plane 0 makes it start at 0).
 */
function slabOf(request: GrowRequest, k0: number, k1: number, image: 'view' | 'copy'): GrowRequest {
  const [nx, ny] = request.dims
  const nxy = nx * ny
  const slabImage =
    image === 'view'
      ? new Float32Array(request.image.buffer, request.image.byteOffset + k0 * nxy * 4, (k1 - k0 + 1) * nxy)
      : request.image.slice(k0 * nxy, (k1 + 1) * nxy)
  const indices: number[] = []
  const values: number[] = []
  for (let s = 0; s < request.seedIndices.length; s++) {
    const k = Math.floor(request.seedIndices[s] / nxy)
    if (k < k0 || k > k1) continue
    indices.push(request.seedIndices[s] - k0 * nxy)
    values.push(request.seedValues[s])
  }
  const { minIjk, maxIjk } = request.box
  return {
    box: { minIjk: [minIjk[0], minIjk[1], minIjk[2] + k0], maxIjk: [maxIjk[0], maxIjk[1], minIjk[2] + k1] },
    dims: [nx, ny, k1 - k0 + 1],
    spacing: request.spacing,
    image: slabImage,
    seedIndices: Uint32Array.from(indices),
    seedValues: Uint16Array.from(values),
    quantum: request.quantum,
    costPerMm: request.costPerMm
  }
}

/** Whether `offer` holds a better (key, label) pair than `mine` for some plane voxel. */
function offersBetter(offer: GrowPlaneReply, mine: GrowPlaneReply): boolean {
  for (let p = 0; p < offer.keys.length; p++) {
    const key = offer.keys[p]
    if (key === UNREACHED_KEY) continue
    if (key < mine.keys[p] || (key === mine.keys[p] && offer.labels[p] < mine.labels[p])) return true
  }
  return false
}

function planeOf(reply: GrowReply, id: number): GrowPlaneReply {
  if (!reply.ok) throw deserializeError(reply.error)
  if (reply.kind !== 'plane' || reply.id !== id) throw new VoxloopError('INTERNAL', `grow-from-seeds job ${id} got a ${reply.kind} reply for job ${reply.id} instead of a plane`)
  return reply
}

/** A repair's plane, which must have taken something: an offer refused would be offered again forever. */
function takenOf(reply: GrowReply, id: number): GrowPlaneReply {
  const plane = planeOf(reply, id)
  if (plane.taken === 0) throw new VoxloopError('INTERNAL', `grow-from-seeds job ${id}: a worker took none of the better plane voxels offered`)
  return plane
}

function resultOf(reply: GrowReply, id: number): GrowResultReply {
  if (!reply.ok) throw deserializeError(reply.error)
  if (reply.kind !== 'result' || reply.id !== id) throw new VoxloopError('INTERNAL', `grow-from-seeds job ${id} got a ${reply.kind} reply for job ${reply.id} instead of its labels`)
  return reply
}
