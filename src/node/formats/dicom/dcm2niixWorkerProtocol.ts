import type { Dcm2niixJob, Dcm2niixProgress, Dcm2niixResult } from './dcm2niixCore'

/** What the converter's worker thread is given (workerData) and what it posts back. */

export const DCM2NIIX_WORKER_ROLE = 'voxloop-dcm2niix'

export interface Dcm2niixWorkerData {
  role: typeof DCM2NIIX_WORKER_ROLE
  job: Dcm2niixJob
}

export type Dcm2niixWorkerMessage =
  | { kind: 'progress'; progress: Dcm2niixProgress }
  | { kind: 'done'; result: Dcm2niixResult }
  | { kind: 'failed'; message: string }
