import { readdir } from 'node:fs/promises'
import type { AuditEntry, CaseRecord, CaseSplit, CaseStatus, SkippedFile } from '../../../shared/project'
import type { VolumeHeader } from '../../../shared/volume'
import { newCaseRecord } from './caseRecord'
import { NIFTI_GZ, isValidCaseId, type ProjectPaths } from './projectPaths'

/**
 * Brings cases.json in line with the files at start-up. images/ is the ground truth for which cases
 * exist: an image without a record (added by another tool, or an import interrupted after moving
 * files) is adopted; a record without an image is dropped and reported. Whether a case has a label
 * follows labels/. A missing or unreadable cases.json is rebuilt, with statuses and train /
 * validation / test splits taken from the audit log where it has them (a split must not move).
 */

export interface ReconcileInput {
  paths: ProjectPaths
  /** Records from cases.json, or null when it was missing or unreadable. */
  records: CaseRecord[] | null
  statusHistory: () => Promise<AuditEntry[]>
  readImageHeader: (caseId: string) => Promise<VolumeHeader>
  /** Voxel counts of labels/<id>.nii.gz, or null if there is none. */
  describeLabel: (caseId: string, header: VolumeHeader) => Promise<Record<string, number> | null>
  now: () => Date
}

export interface ReconcileResult {
  records: CaseRecord[]
  adopted: string[]
  missing: string[]
  problems: SkippedFile[]
  /** True when the records differ from cases.json and it must be rewritten. */
  changed: boolean
}

async function caseIdsIn(dir: string, problems: SkippedFile[], folder: string): Promise<Set<string>> {
  const ids = new Set<string>()
  for (const name of await readdir(dir)) {
    if (!name.endsWith(NIFTI_GZ) || name.startsWith('.')) continue
    const caseId = name.slice(0, -NIFTI_GZ.length)
    if (caseId.endsWith('.uncertainty')) continue
    if (isValidCaseId(caseId)) ids.add(caseId)
    else problems.push({ file: `${folder}/${name}`, reason: 'the file name is not a valid case id; ignored' })
  }
  return ids
}

function lastStatuses(entries: AuditEntry[]): Map<string, CaseStatus> {
  const statuses = new Map<string, CaseStatus>()
  for (const entry of entries) if (entry.type === 'status') statuses.set(entry.caseId, entry.to)
  return statuses
}

function lastSplits(entries: AuditEntry[]): Map<string, CaseSplit> {
  const splits = new Map<string, CaseSplit>()
  for (const entry of entries) if (entry.type === 'split') for (const change of entry.cases) splits.set(change.caseId, change.to)
  return splits
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export async function reconcileCaseIndex(input: ReconcileInput): Promise<ReconcileResult> {
  const problems: SkippedFile[] = []
  const imageIds = await caseIdsIn(input.paths.dir('images'), problems, 'images')
  const labelIds = await caseIdsIn(input.paths.dir('labels'), [], 'labels')
  const result: ReconcileResult = { records: [], adopted: [], missing: [], problems, changed: input.records === null }
  const known = new Set<string>()
  for (const record of input.records ?? []) {
    known.add(record.id)
    if (!imageIds.has(record.id)) {
      result.missing.push(record.id)
      result.changed = true
      continue
    }
    result.records.push(await syncLabelState(record, labelIds.has(record.id), input, result))
  }
  const history = imageIds.size > known.size ? await input.statusHistory() : []
  const statuses = lastStatuses(history)
  const splits = lastSplits(history)
  for (const caseId of [...imageIds].sort()) {
    if (known.has(caseId)) continue
    try {
      result.records.push(await adoptCase(caseId, labelIds.has(caseId), statuses.get(caseId), splits.get(caseId) ?? null, input))
      result.adopted.push(caseId)
      result.changed = true
    } catch (error) {
      problems.push({ file: `images/${caseId}${NIFTI_GZ}`, reason: `not adopted: ${reasonOf(error)}` })
    }
  }
  return result
}

/** Updates hasLabel and counts when labels/ disagrees with the record. */
async function syncLabelState(
  record: CaseRecord,
  labelExists: boolean,
  input: ReconcileInput,
  result: ReconcileResult
): Promise<CaseRecord> {
  if (record.hasLabel === labelExists) return record
  result.changed = true
  if (!labelExists) {
    result.problems.push({ file: `labels/${record.id}${NIFTI_GZ}`, reason: 'the saved label file is missing' })
    return { ...record, hasLabel: false, labelVoxels: {} }
  }
  try {
    const counts = await input.describeLabel(record.id, await input.readImageHeader(record.id))
    return { ...record, hasLabel: counts !== null, labelVoxels: counts ?? {} }
  } catch (error) {
    // Keep hasLabel so that the unreadable file is reported on load rather than overwritten.
    result.problems.push({ file: `labels/${record.id}${NIFTI_GZ}`, reason: reasonOf(error) })
    return { ...record, hasLabel: true, labelVoxels: {} }
  }
}

async function adoptCase(
  caseId: string,
  labelExists: boolean,
  status: CaseStatus | undefined,
  split: CaseSplit | null,
  input: ReconcileInput
): Promise<CaseRecord> {
  const header = await input.readImageHeader(caseId)
  const counts = labelExists ? await input.describeLabel(caseId, header) : null
  return newCaseRecord(caseId, header, {
    status: status ?? (counts ? 'in-review' : 'unlabeled'),
    sourceFile: `images/${caseId}${NIFTI_GZ}`,
    importedAt: input.now().toISOString(),
    labelVoxels: counts,
    split
  })
}
