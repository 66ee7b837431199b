import os from 'node:os'
import type * as tf from '@tensorflow/tfjs'
import { firstLineOf } from '../../../shared/errors'
import { DEFAULT_LOSS, type LossPlan } from '../../../shared/training'
import { localStepper, type StepModel, type TrainingStepper } from '../trainStep'
import { activeGpuHost } from '../../gpuHost/activeGpuHost'
import { remoteStepper } from '../../gpuHost/remoteStepper'
import { DataParallelStepper } from './DataParallelStepper'
import { threadsPerWorkerOf } from './trainingWorkers'

export interface OpenedStepper {
  stepper: TrainingStepper
  /** Workers actually used (1 when the plan asked for one, or its workers could not start). */
  workers: number
  /** Why the plan's workers were not used, or null. */
  fallback: string | null
}

/**
 * The stepper for a run's `workers` (the plan's choice, trainingWorkers.ts). If the workers cannot
 * start, the run still trains, on the engine thread, and says why: slower, never lost. With the
 * desktop app's GPU window as the backend (activeGpuHost.ts) the steps' gradients come from there.
 */
export async function openStepper(target: StepModel, optimizer: tf.Optimizer, workers: number, loss: LossPlan = DEFAULT_LOSS, cores = os.cpus().length): Promise<OpenedStepper> {
  const host = activeGpuHost()
  if (host) return { stepper: await remoteStepper(host, target, optimizer, loss), workers: 1, fallback: null }
  if (workers <= 1) return { stepper: localStepper(target, optimizer, loss), workers: 1, fallback: null }
  const threadsPerWorker = threadsPerWorkerOf(workers, cores)
  try {
    return { stepper: await DataParallelStepper.start(target, optimizer, { workers, threadsPerWorker, loss }), workers, fallback: null }
  } catch (error) {
    return { stepper: localStepper(target, optimizer, loss), workers: 1, fallback: `${workers} training workers could not start (${firstLineOf(error)}); steps run on the engine thread` }
  }
}
