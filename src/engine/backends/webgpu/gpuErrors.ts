/**
 * A GPU error fails the work it surfaced in (issue #16 item 5).
 *
 * On the webgpu backend an invalid shader, an allocation beyond the GPU's memory or a lost device is
 * not an exception: Dawn reports it as an event (dawn.ts keeps them: takeGpuErrors) while the op
 * yields zeros or NaN, which a run would train on and a prediction would save. So each training
 * step and each prediction tile batch on webgpu ends with a check, after its result was read (by
 * then Dawn has validated everything the work submitted: it reports validation errors at the call),
 * and fails with GPU_ERROR. An exception thrown by the work itself while GPU errors are pending (a
 * read of a buffer that could not be allocated, a lost device) is their consequence: it becomes
 * GPU_ERROR too, with the exception as its cause, so the user reads the GPU's reason.
 *
 * Nothing of a failed step is saved: checkpoints are written only at the end of an epoch, so the
 * run's last checkpoint is the one before the error and resumes, on another backend if need be
 * (runTraining.test.ts).
 */
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../../shared/errors'
import { takeGpuErrors } from './dawn'

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

/**
 * Runs `work` and, on the webgpu backend, fails with GPU_ERROR if the GPU reported errors since the
 * last check (during the work or before it, e.g. while a model was uploaded). On other backends it
 * only runs `work`. `work` must leave nothing on the GPU that the caller would have to free: its
 * result is dropped when the check fails.
 */
export async function checkedOnGpu<T>(work: GpuWork, run: () => Promise<T>): Promise<T> {
  if (tf.getBackend() !== 'webgpu') return run()
  let result: T
  try {
    result = await run()
  } catch (error) {
    throw gpuFailure(work, takeGpuErrors(), error) ?? error
  }
  const failure = gpuFailure(work, takeGpuErrors())
  if (failure) throw failure
  return result
}
