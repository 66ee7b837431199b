import type { Dcm2niixFiles } from './dcm2niixPackage'
import type { Dcm2niixJob, Dcm2niixProgress, Dcm2niixResult } from './dcm2niixCore'

/** What the converter's worker thread is given (workerData), sent (jobs) and posts back. */

export const DCM2NIIX_WORKER_ROLE = 'voxloop-dcm2niix'

export interface Dcm2niixWorkerData {
  role: typeof DCM2NIIX_WORKER_ROLE
  /** The converter's files: the worker loads its JavaScript at start, before the first job arrives. */
  files: Dcm2niixFiles
}

/**
 * 'job': one conversion (a worker runs one at a time). 'warm': a conversion of nothing, whose result
 * is dropped, so that the converter's JavaScript (its file system and system calls) has run once
 * before the first real job arrives.
 */
export type Dcm2niixJobMessage = { kind: 'job'; job: Dcm2niixJob } | { kind: 'warm'; job: Dcm2niixJob }

export type Dcm2niixWorkerMessage =
  | { kind: 'progress'; progress: Dcm2niixProgress }
  | { kind: 'done'; result: Dcm2niixResult }
  | { kind: 'failed'; message: string }
  /** After a 'warm' job: the worker is ready for a real one. */
  | { kind: 'warmed' }
