/**
 * The GPU_ERROR a failed piece of GPU work becomes (issue #16 item 5), free of Dawn and Node: the
 * engine's Dawn path (gpuErrors.ts) and the desktop app's GPU window (gpuHost/) word it alike.
 */
import { VoxloopError } from '../../../shared/errors'

/** Where the work was, for the message ("at step 12"), and what the user can do next. */
export interface GpuWork {
  at: string
  then: string
}

export const RESUME_ON_ANOTHER_BACKEND = 'the run can resume from its last checkpoint on another backend (--backend wasm)'
export const PREDICT_ON_ANOTHER_BACKEND = 'predict again on another backend (--backend wasm); a training run can resume from its last checkpoint'

/**
 * GPU_ERROR for the errors Dawn reported (null if none): the first one's first line in the message
 * (Dawn's next lines name the API call), every full text in `details.gpuErrors`.
 */
export function gpuFailure(work: GpuWork, errors: readonly string[], cause?: unknown): VoxloopError | null {
  if (errors.length === 0) return null
  const first = (errors[0] as string).trim().split('\n')[0] as string
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
  return new VoxloopError('GPU_ERROR', `the GPU reported an error ${work.at}: ${first}${more}; ${work.then}`, {
    details: { gpuErrors: errors.map((e) => e.trim()) },
    ...(cause === undefined ? {} : { cause })
  })
}

