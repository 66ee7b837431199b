import type { CaseRecord, CaseSplit, CaseStatus } from '../../../shared/project'
import type { VolumeHeader } from '../../../shared/volume'

export interface NewCaseRecordOptions {
  status: CaseStatus
  sourceFile: string
  importedAt: string
  /** Voxel counts of the label imported with the image, or null without one. */
  labelVoxels: Record<string, number> | null
  /** The split a rebuilt index takes back from the audit log; default none (assigned at first training). */
  split?: CaseSplit | null
}

export function newCaseRecord(caseId: string, imageHeader: VolumeHeader, options: NewCaseRecordOptions): CaseRecord {
  return {
    id: caseId,
    status: options.status,
    dims: [...imageHeader.dims],
    spacing: [...imageHeader.spacing],
    channels: imageHeader.channels,
    sourceFile: options.sourceFile,
    importedAt: options.importedAt,
    hasLabel: options.labelVoxels !== null,
    lastEditedAt: null,
    labelVoxels: options.labelVoxels ?? {},
    prediction: null,
    review: null,
    split: options.split ?? null
  }
}
