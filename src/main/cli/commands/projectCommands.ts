import { stat } from 'node:fs/promises'
import path from 'node:path'
import type { ExportReport, ImportReport, Modality } from '../../../shared/project'
import { describeModalityChoice } from '../../services/project/chooseModality'
import { exportLabels, exportMsd } from '../../services/project/exportProject'
import { importDataset } from '../../services/project/importDataset'
import { ProjectStore } from '../../services/project/ProjectStore'

async function isProject(folder: string): Promise<boolean> {
  return stat(path.join(folder, 'voxloop.json')).then(
    () => true,
    () => false
  )
}

export interface ImportCommandOptions {
  json: boolean
  /** `--modality`: the user's choice, kept whatever the data says (a disagreement is warned about). */
  modality?: Modality
}

/**
 * `voxloop import <source> <project> [--modality CT|MR|other]`: a NIfTI folder or an MSD folder
 * into a project, which is created (named after the source) when the folder holds none yet. A new
 * project's modality comes from the data (dataset.json, else the intensities) unless --modality says.
 */
export async function importCommand(source: string, projectDir: string, options: ImportCommandOptions): Promise<ImportReport> {
  const folder = path.resolve(projectDir)
  let store: ProjectStore
  if (await isProject(folder)) {
    store = (await ProjectStore.open(folder)).store
  } else {
    // No modality here: created with the default, it takes the one the import chooses.
    store = await ProjectStore.create(folder, { name: path.basename(path.resolve(source)) })
  }
  try {
    const report = await importDataset(store, path.resolve(source), options.modality ? { modality: options.modality } : {})
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    else {
      process.stdout.write(`Imported ${report.imported.length} case(s) from ${report.source} (${report.format}) into ${folder}\n`)
      if (report.modality) process.stdout.write(`${describeModalityChoice(report.modality)}\n`)
      if (report.modality?.warning) process.stdout.write(`  warning: ${report.modality.warning}\n`)
      for (const fix of report.repaired) process.stdout.write(`  imported with its header repaired ${fix.file}: ${fix.repairs.join('; ')}\n`)
      for (const skip of report.skipped) process.stdout.write(`  skipped ${skip.file}: ${skip.reason}\n`)
    }
    return report
  } finally {
    await store.dispose()
  }
}

/** `voxloop export <project> <folder> [--msd] [--predictions]`. */
export async function exportCommand(projectDir: string, destination: string, options: { msd: boolean; predictions: boolean; json: boolean }): Promise<ExportReport> {
  const { store } = await ProjectStore.open(path.resolve(projectDir))
  try {
    const report = options.msd
      ? await exportMsd(store, path.resolve(destination))
      : await exportLabels(store, path.resolve(destination), { includePredictions: options.predictions })
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    else {
      process.stdout.write(`Wrote ${report.files.length} file(s) to ${report.destination}\n`)
      for (const skip of report.skipped) process.stdout.write(`  skipped ${skip.file}: ${skip.reason}\n`)
    }
    return report
  } finally {
    await store.dispose()
  }
}
