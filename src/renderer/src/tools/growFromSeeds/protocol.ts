/**
 * The grow-from-seeds worker's messages, and the one function the worker runs per job. Kept apart
 * from the worker file so that tests (and the bench) run exactly what the worker runs, without a
 * Worker.
 */
import { serializeError, type SerializedError } from '../../../../shared/errors'
import { growFromSeeds, type GrowRequest, type GrowResult } from './kernel'

export interface GrowJob {
  id: number
  request: GrowRequest
}

export type GrowReply = { id: number; ok: true; result: GrowResult; milliseconds: number } | { id: number; ok: false; error: SerializedError }

/** Runs one job; the result's label buffer is listed for transfer (no copy back to the page). */
export function runGrowJob(job: GrowJob, now: () => number = () => performance.now()): { reply: GrowReply; transfer: ArrayBuffer[] } {
  const started = now()
  try {
    const result = growFromSeeds(job.request)
    return { reply: { id: job.id, ok: true, result, milliseconds: now() - started }, transfer: [result.labels.buffer as ArrayBuffer] }
  } catch (error) {
    return { reply: { id: job.id, ok: false, error: serializeError(error) }, transfer: [] }
  }
}
