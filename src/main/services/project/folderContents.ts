import { stat } from 'node:fs/promises'
import path from 'node:path'
import { findDicomFiles } from '../../../node/formats/dicom'
import { VoxloopError } from '../../../shared/errors'
import type { FolderContents } from '../../../shared/project'
import { planImport } from './datasetDiscovery'
import { mayBeDicomFolder } from './image2dDiscovery'
import { MANIFEST_FILE } from './projectPaths'

/**
 * What a folder holds, told the way the import would tell it (datasetDiscovery.ts, then a DICOM
 * search as importDataset does when there is no NIfTI file), so that opening a dataset folder can
 * offer to make a project of it instead of only saying it is not a project. Reads names and DICOM
 * signatures only, never voxels.
 */
export async function inspectFolder(folder: string): Promise<FolderContents> {
  const info = await stat(folder).catch(() => null)
  if (!info) throw new VoxloopError('NOT_FOUND', `${folder}: no such folder`)
  if (!info.isDirectory()) throw new VoxloopError('INVALID_ARGUMENT', `${folder}: is a file, not a folder`)
  const suggestedProjectFolder = `${folder.replace(/[\\/]+$/, '')}-voxloop`
  const result = (kind: FolderContents['kind'], count: number): FolderContents => ({ folder, kind, count, suggestedProjectFolder })
  if ((await stat(path.join(folder, MANIFEST_FILE)).catch(() => null))?.isFile()) return result('project', 0)
  const plan = await planImport(folder)
  if (plan.format === 'msd') return result('msd', plan.cases.length)
  if (plan.cases.length > 0 && !mayBeDicomFolder(plan)) return result('nifti', plan.cases.length)
  const dicom = await findDicomFiles(folder)
  if (dicom.dicom.length > 0) return result('dicom', dicom.dicom.length)
  return plan.cases.length > 0 ? result('nifti', plan.cases.length) : result('other', 0)
}
