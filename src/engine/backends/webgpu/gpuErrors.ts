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
import { takeGpuErrors } from './dawn'
import { gpuFailure, type GpuWork } from './gpuFailure'

export { gpuFailure, PREDICT_ON_ANOTHER_BACKEND, RESUME_ON_ANOTHER_BACKEND, type GpuWork } from './gpuFailure'

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
