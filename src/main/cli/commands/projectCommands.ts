import { readdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { ExportFormat, ExportReport, FourDImport, ImportReport, LabelConflictRule, Modality, SkippedFile } from '../../../shared/project'
import { describeModalityChoice } from '../../services/project/chooseModality'
import { exportProject } from '../../services/project/exportProject'
import { importDataset } from '../../services/project/importDataset'
import { ProjectStore } from '../../services/project/ProjectStore'
import { pathExists } from '../../../node/storage/pathExists'

async function isProject(folder: string): Promise<boolean> {
  return stat(path.join(folder, 'voxloop.json')).then(
    () => true,
    () => false
  )
}

/**
 * What creating a project at `folder` adds, so that a failed import can take it away again: the
 * topmost folder that does not exist yet (mkdir makes the missing parents too), or, when the
 * folder exists (empty, or ProjectStore.create refuses it), the entries it holds now.
 */
async function creationUndo(folder: string): Promise<() => Promise<void>> {
  let topmostMissing: string | null = null
  for (let dir = folder; !(await pathExists(dir)); dir = path.dirname(dir)) {
    topmostMissing = dir
    if (path.dirname(dir) === dir) break
  }
  if (topmostMissing !== null) {
    const created = topmostMissing
    return () => rm(created, { recursive: true, force: true })
  }
  const before = new Set(await readdir(folder))
  return async () => {
    for (const name of await readdir(folder)) if (!before.has(name)) await rm(path.join(folder, name), { recursive: true, force: true })
  }
}

export interface ImportCommandOptions {
  json: boolean
  /** `--modality`: the user's choice, kept whatever the data says (a disagreement is warned about). */
  modality?: Modality
  /** `--series`: of a DICOM folder, only this series (number or SeriesInstanceUID). */
  series?: string
  /** `--4d`: what dim[4] of 4D NIfTI images holds (importDataset's `fourD`). */
  fourD?: FourDImport
  /** `--label-conflicts`: what an import does when its label tables disagree with the project's. */
  labelConflicts?: LabelConflictRule
}

/** Skipped files grouped by reason (in order of first appearance): one line per reason, not per file. */
export function groupSkipped(skipped: readonly SkippedFile[]): { reason: string; files: string[] }[] {
  const groups = new Map<string, string[]>()
  for (const skip of skipped) groups.set(skip.reason, [...(groups.get(skip.reason) ?? []), skip.file])
  return [...groups].map(([reason, files]) => ({ reason, files }))
}

const NAMES_SHOWN = 3

function skippedLine(group: { reason: string; files: string[] }): string {
  const [only] = group.files
  if (group.files.length === 1 && only !== undefined) return `  skipped ${only}: ${group.reason}\n`
  const shown = group.files.slice(0, NAMES_SHOWN).map((file) => path.basename(file))
  const more = group.files.length > NAMES_SHOWN ? `, … (${group.files.length - NAMES_SHOWN} more; --json lists them all)` : ''
  return `  skipped ${group.files.length} (${shown.join(', ')}${more}): ${group.reason}\n`
}

/**
 * `voxloop import <source> <project> [--modality CT|MR|other] [--series N|UID] [--4d channels|time]`: a NIfTI folder, an
 * MSD folder or a DICOM folder into a project, which is created (named after the source) when the
 * folder holds none yet. A new project's modality comes from the data (DICOM (0008,0060), else
 * dataset.json, else the intensities) unless --modality says. When nothing is imported (or the
 * import fails) a project this command created is removed again, and an existing one is unchanged
 * (importDataset commits nothing then); the caller exits non-zero.
 */
export async function importCommand(source: string, projectDir: string, options: ImportCommandOptions): Promise<ImportReport> {
  const folder = path.resolve(projectDir)
  let store: ProjectStore
  let undoCreation: (() => Promise<void>) | null = null
  if (await isProject(folder)) {
    store = (await ProjectStore.open(folder)).store
  } else {
    undoCreation = await creationUndo(folder)
    // No modality here: created with the default, it takes the one the import chooses.
    store = await ProjectStore.create(folder, { name: path.basename(path.resolve(source)) })
  }
  let report: ImportReport | null = null
  try {
    report = await importDataset(store, path.resolve(source), {
      ...(options.modality ? { modality: options.modality } : {}),
      ...(options.series !== undefined ? { dicomSeries: options.series } : {}),
      ...(options.fourD ? { fourD: options.fourD } : {}),
      ...(options.labelConflicts ? { labelConflicts: options.labelConflicts } : {})
    })
  } finally {
    await store.dispose()
    if (undoCreation && (report === null || report.imported.length === 0)) await undoCreation()
  }
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  else {
    process.stdout.write(`Imported ${report.imported.length} case(s) from ${report.source} (${report.format}) into ${folder}\n`)
    if (report.imported.length === 0) {
      process.stdout.write(undoCreation ? `  nothing to import: the new project ${folder} was removed again\n` : '  nothing to import: the project is unchanged\n')
    }
    if (report.format === 'dicom') for (const imported of report.imported) process.stdout.write(`  ${imported.caseId} ← ${imported.imageFile}\n`)
    if (report.modality) process.stdout.write(`${describeModalityChoice(report.modality)}\n`)
    if (report.modality?.warning) process.stdout.write(`  warning: ${report.modality.warning}\n`)
    if (report.labelsAdded.length > 0) process.stdout.write(`Labels added to the project: ${report.labelsAdded.map((label) => `${label.id} ${label.name}`).join(', ')}\n`)
    for (const fix of report.repaired) process.stdout.write(`  imported with its header repaired ${fix.file}: ${fix.repairs.join('; ')}\n`)
    for (const note of report.notes ?? []) process.stdout.write(`  note: ${note}\n`)
    for (const group of groupSkipped(report.skipped)) process.stdout.write(skippedLine(group))
  }
  return report
}

export interface ExportCommandOptions {
  format: ExportFormat
  predictions: boolean
  json: boolean
}

/**
 * `voxloop export <project> <folder> [--format nifti|seg-nrrd|msd|nnunet-v2|dicom-seg|png-masks] [--predictions]`:
 * the project opened for reading, exported, closed again.
 */
export async function exportCommand(projectDir: string, destination: string, options: ExportCommandOptions): Promise<ExportReport> {
  const { store } = await ProjectStore.open(path.resolve(projectDir))
  try {
    const report = await exportProject(store, path.resolve(destination), { format: options.format, includePredictions: options.predictions })
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    else {
      process.stdout.write(`Wrote ${report.files.length} file(s) to ${report.destination} (${options.format})\n`)
      for (const skip of report.skipped) process.stdout.write(`  skipped ${skip.file}: ${skip.reason}\n`)
    }
    return report
  } finally {
    await store.dispose()
  }
}
