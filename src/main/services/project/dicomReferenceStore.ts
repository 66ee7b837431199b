import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { DicomReferencesFileSchema, type DicomReferencesFile } from '../../../node/formats/dicom'
import { writeFileAtomic } from '../../../node/storage/durableWrite'
import { readJsonChecked } from '../../../node/storage/readJsonChecked'
import type { ProjectStore } from './ProjectStore'

/**
 * `<project>/dicom/<caseId>.json`: the per-slice DICOM references recorded when a case was imported
 * from a DICOM series (node/formats/dicom/dicomReferences.ts), which the DICOM SEG export needs.
 * Written once per case, after the import's commit; a case without the file (imported from NIfTI,
 * or from DICOM before Voxloop recorded references) cannot be exported as DICOM SEG.
 */

export async function writeDicomReferences(store: ProjectStore, caseId: string, references: DicomReferencesFile['references']): Promise<void> {
  const file = store.paths.dicomReferences(caseId)
  await mkdir(path.dirname(file), { recursive: true })
  const content: DicomReferencesFile = { formatVersion: 1, references }
  await writeFileAtomic(await store.paths.confine(file), `${JSON.stringify(content)}\n`)
}

/** The case's recorded references (or the recorded reason there are none); null when no file was written for it. */
export async function readDicomReferences(store: ProjectStore, caseId: string): Promise<DicomReferencesFile['references'] | null> {
  const file = await store.paths.confine(store.paths.dicomReferences(caseId))
  const content = await readJsonChecked(file, DicomReferencesFileSchema, 'DICOM references of a case')
  return content?.references ?? null
}
