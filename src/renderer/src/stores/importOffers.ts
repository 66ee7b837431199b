import type { FourDImport, ImportReport } from '../../../shared/project'

/**
 * Which 4D options an import report should offer to re-run with: a NIfTI file skipped as a time
 * series (or whose 4th dimension was unknown and did not fit the project's channels) is imported by
 * fourD 'time' (one case per time point) or 'channels'. The importer's reasons name the CLI flag
 * (fourthDimension.ts timeSeriesRefusal, importDataset.ts checkChannels), which is what marks them.
 * DICOM folders take no fourD (importDataset refuses it), and a run that already chose one offers none.
 */
export function fourDRetryOffers(report: ImportReport, usedFourD: FourDImport | undefined): FourDImport[] {
  if (report.format === 'dicom' || usedFourD !== undefined) return []
  const timeSeriesSkipped = report.skipped.some((skip) => skip.reason.includes('--4d time'))
  return timeSeriesSkipped ? ['time', 'channels'] : []
}

/** "n of m" for the import progress bar; before the first case is done there is no count yet. */
export function importProgressText(progress: { done: number; total: number; caseId: string } | null): string {
  if (!progress) return 'Reading the folder…'
  return `${progress.done} of ${progress.total} case(s) — last: ${progress.caseId}`
}
