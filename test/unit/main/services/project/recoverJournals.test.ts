import { writeFile } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AuditLog } from '../../../../../src/main/services/project/audit'
import { encodeJournalHeader, encodeJournalRecord, listJournalSegments } from '../../../../../src/main/services/project/labelJournal'
import { ProjectPaths } from '../../../../../src/main/services/project/projectPaths'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { recoverJournals } from '../../../../../src/main/services/project/recoverJournals'
import { readNiftiHeader, writeLabelNifti } from '../../../../../src/node/formats/nifti'
import { createProjectWithCases, makeTempDir, removeDir } from './projectFixtures'

let dir: string

beforeEach(async () => {
  dir = await makeTempDir('recover')
  await (await createProjectWithCases(dir, { cases: 1 })).dispose()
})

afterEach(async () => {
  await removeDir(dir)
})

async function writeSegment(paths: ProjectPaths, generation: number, edits: Array<[number, number]>): Promise<void> {
  const records = edits.map(([index, value], n) => encodeJournalRecord({ indices: Uint32Array.from([index]), values: Uint8Array.from([value]) }, 1000 + n))
  await writeFile(paths.journalSegment('case-0', generation), Buffer.concat([encodeJournalHeader(), ...records]))
}

describe('journal recovery', () => {
  it('survives a crash between deleting replayed generations without undoing newer edits', async () => {
    const paths = await ProjectPaths.forFolder(dir)
    // Generation 1 paints voxel 0 with label 1 and voxel 1 with label 1; generation 2 repaints voxel 0 with 2.
    await writeSegment(paths, 1, [
      [0, 1],
      [1, 1]
    ])
    await writeSegment(paths, 2, [[0, 2]])
    const header = await readNiftiHeader(paths.image('case-0'))
    const audit = await AuditLog.open(paths.audit)
    let deletions = 0
    const crashAfterFirstDeletion = async (file: string): Promise<void> => {
      const { rm } = await import('node:fs/promises')
      await rm(file, { force: true })
      deletions++
      throw new Error('simulated crash')
    }
    await recoverJournals({
      listing: await listJournalSegments(paths.dir('journal')),
      paths,
      hasCase: (caseId) => caseId === 'case-0',
      loadBase: async () => ({ header, labels: new Uint8Array(header.dims[0] * header.dims[1] * header.dims[2]) }),
      saveRecovered: (_caseId, labels) => writeLabelNifti(paths.label('case-0'), labels, header),
      audit,
      removeSegment: crashAfterFirstDeletion
    })
    await audit.close()
    expect(deletions).toBe(1)
    // The next start replays whatever is left; the newest value of every voxel must survive.
    const { store } = await ProjectStore.open(dir)
    try {
      const label = (await store.loadLabel('case-0')).data
      expect([label[0], label[1]]).toEqual([2, 1])
    } finally {
      await store.dispose()
    }
  })
})
