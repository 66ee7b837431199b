import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseEnumFlag } from '../../../../src/main/cli/enumFlag'
import { formatItkSnapLabels } from '../../../../src/node/formats/labelTables/itkSnap'
import { VoxloopError } from '../../../../src/shared/errors'
import { LabelConflictRuleSchema } from '../../../../src/shared/project'
import { buildNifti } from '../../../helpers/niftiBuilder'
import { makeTempDir, removeDir } from '../services/project/projectFixtures'
import { runCli } from '../../../helpers/runCli'

let base: string

beforeEach(async () => {
  base = await makeTempDir('cli-enum-flag')
})

afterEach(async () => {
  await removeDir(base)
})

/** An MSD-style folder with one case whose label holds id 1, and an ITK-SNAP table naming id 1 `name`. */
async function datasetNaming(folder: string, caseId: string, name: string): Promise<string> {
  const dir = path.join(base, folder)
  await mkdir(path.join(dir, 'imagesTr'), { recursive: true })
  await mkdir(path.join(dir, 'labelsTr'), { recursive: true })
  const dims = [4, 4, 4]
  await writeFile(path.join(dir, 'imagesTr', `${caseId}.nii`), buildNifti({ dims, datatype: 4, bitpix: 16 }, Int16Array.from({ length: 64 }, (_, n) => n)))
  await writeFile(path.join(dir, 'labelsTr', `${caseId}.nii`), buildNifti({ dims, datatype: 2, bitpix: 8 }, Uint8Array.from({ length: 64 }, (_, n) => (n < 8 ? 1 : 0))))
  await writeFile(path.join(dir, 'labels.label'), formatItkSnapLabels([{ id: 1, name, color: '#ff0000' }]))
  return dir
}

describe('parseEnumFlag', () => {
  it('takes a contract enum in any case, and refuses anything else naming the flag and every value', () => {
    expect(parseEnumFlag('label-conflicts', undefined, LabelConflictRuleSchema)).toBeUndefined()
    expect(parseEnumFlag('label-conflicts', ' Keep-Project ', LabelConflictRuleSchema)).toBe('keep-project')
    let caught: unknown = null
    try {
      parseEnumFlag('label-conflicts', 'merge', LabelConflictRuleSchema)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(VoxloopError)
    expect((caught as VoxloopError).message).toBe('--label-conflicts must be refuse or keep-project, got "merge"')
  })
})

describe('voxloop import --label-conflicts', () => {
  it('refuses a table that renames a project label, and with keep-project imports keeping the project’s name', async () => {
    const project = path.join(base, 'project')
    expect(runCli(['import', await datasetNaming('first', 'case_a', 'liver'), project]).status).toBe(0)
    const second = await datasetNaming('second', 'case_b', 'spleen')

    const refused = runCli(['import', second, project])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain('Label tables disagree')
    expect(refused.stderr).toContain('liver')
    expect(refused.stderr).toContain('spleen')
    const before = await readFile(path.join(project, 'voxloop.json'), 'utf8')

    const kept = runCli(['import', second, project, '--label-conflicts', 'keep-project'])
    expect(kept.status, kept.stderr).toBe(0)
    const manifest = JSON.parse(await readFile(path.join(project, 'voxloop.json'), 'utf8')) as { labels: { id: number; name: string }[] }
    expect(manifest.labels.map((label) => [label.id, label.name])).toEqual([[1, 'liver']])
    expect(JSON.parse(before).labels).toEqual(manifest.labels)

    const typo = runCli(['import', second, project, '--label-conflicts', 'merge'])
    expect(typo.status).toBe(1)
    expect(typo.stderr).toContain('--label-conflicts must be refuse or keep-project, got "merge"')
  }, 180_000)
})
