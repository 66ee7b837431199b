import { rm } from 'node:fs/promises'
import path from 'node:path'
import type { RecoveredCase, SkippedFile } from '../../../shared/project'
import type { LabelArray, VolumeHeader } from '../../../shared/volume'
import type { AuditLog } from './audit'
import { readJournalFile, type JournalListing } from './labelJournal'
import { applyEdit, diffLabels, widenFor } from './labelOps'
import { isValidCaseId, type ProjectPaths } from './projectPaths'

/**
 * Start-up replay of unfinished journals: for each case, the saved label (or zeros) plus every
 * verified record of every generation in order, written back to labels/ atomically; then the
 * journal files are deleted. Records are absolute values, so generations that were already folded
 * before a crash replay to the same voxels.
 */

export interface RecoverJournalsInput {
  listing: JournalListing
  paths: ProjectPaths
  hasCase: (caseId: string) => boolean
  loadBase: (caseId: string) => Promise<{ header: VolumeHeader; labels: LabelArray }>
  saveRecovered: (caseId: string, labels: LabelArray, header: VolumeHeader, lastEditAtMs: number | null) => Promise<void>
  audit: AuditLog
  /** Deletes one journal segment; tests replace it to simulate a crash between deletions. */
  removeSegment?: (file: string) => Promise<void>
}

export interface RecoverJournalsResult {
  recovered: RecoveredCase[]
  problems: SkippedFile[]
}

interface Replay {
  labels: LabelArray
  edits: number
  droppedBytes: number
  lastEditAtMs: number | null
  problems: SkippedFile[]
}

function segmentFile(paths: ProjectPaths, caseId: string, generation: number): string {
  return paths.journalSegment(caseId, generation)
}

function relativeName(paths: ProjectPaths, file: string): string {
  return path.relative(paths.root, file).split(path.sep).join('/')
}

async function replaySegments(paths: ProjectPaths, caseId: string, generations: number[], base: LabelArray): Promise<Replay> {
  const replay: Replay = { labels: base.slice(), edits: 0, droppedBytes: 0, lastEditAtMs: null, problems: [] }
  for (const generation of generations) {
    const file = segmentFile(paths, caseId, generation)
    const decoded = await readJournalFile(await paths.confine(file))
    replay.droppedBytes += decoded.droppedBytes
    for (const record of decoded.records) {
      if (record.edit.indices.some((index) => index >= replay.labels.length)) {
        replay.problems.push({ file: relativeName(paths, file), reason: 'a record points outside the volume; skipped' })
        continue
      }
      replay.labels = widenFor(replay.labels, record.edit.values)
      applyEdit(replay.labels, record.edit)
      replay.edits += 1
      replay.lastEditAtMs = Math.max(replay.lastEditAtMs ?? 0, record.atMs)
    }
  }
  return replay
}

async function recoverCase(input: RecoverJournalsInput, caseId: string, generations: number[]): Promise<RecoveredCase & { problems: SkippedFile[] }> {
  const { header, labels: base } = await input.loadBase(caseId)
  const replay = await replaySegments(input.paths, caseId, generations, base)
  const diff = diffLabels(base, replay.labels)
  if (diff.voxelsChanged > 0) await input.saveRecovered(caseId, replay.labels, header, replay.lastEditAtMs)
  // Oldest first: a crash part-way leaves a suffix of the journal, and replaying a suffix on top of
  // a label that already holds every edit changes nothing. A leftover older generation would instead
  // put back values that newer edits had overwritten.
  const remove = input.removeSegment ?? ((file: string) => rm(file, { force: true }))
  for (const generation of [...generations].sort((a, b) => a - b)) await remove(segmentFile(input.paths, caseId, generation))
  if (diff.voxelsChanged > 0) {
    await input.audit.append({
      type: 'label-save',
      actor: 'recovery',
      caseId,
      edits: replay.edits,
      voxelsChanged: diff.voxelsChanged,
      changes: diff.changes
    })
  }
  return { caseId, edits: replay.edits, voxelsChanged: diff.voxelsChanged, droppedBytes: replay.droppedBytes, problems: replay.problems }
}

export async function recoverJournals(input: RecoverJournalsInput): Promise<RecoverJournalsResult> {
  const result: RecoverJournalsResult = { recovered: [], problems: [] }
  for (const name of input.listing.foreign) {
    if (!name.startsWith('.')) result.problems.push({ file: `journal/${name}`, reason: 'not a journal file; left untouched' })
  }
  for (const [caseId, generations] of input.listing.segments) {
    if (!isValidCaseId(caseId) || !input.hasCase(caseId)) {
      result.problems.push({ file: `journal/${caseId}.*`, reason: `no case ${caseId} in the project; journal left untouched` })
      continue
    }
    try {
      const { problems, ...recovered } = await recoverCase(input, caseId, generations)
      result.problems.push(...problems)
      if (recovered.voxelsChanged > 0 || recovered.droppedBytes > 0) result.recovered.push(recovered)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      result.problems.push({ file: `journal/${caseId}.*`, reason: `could not replay: ${reason}; journal left untouched` })
    }
  }
  return result
}
