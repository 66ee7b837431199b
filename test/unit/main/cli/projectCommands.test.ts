import { copyFile, mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { importCommand } from '../../../../src/main/cli/commands/projectCommands'
import { sharedDataMissing, sharedDataPath } from '../../../helpers/sharedData'
import { describeUnless } from '../../../helpers/skipWithReason'
import { makeTempDir, removeDir } from '../services/project/projectFixtures'

let base: string
let printed: string

beforeEach(async () => {
  base = await makeTempDir('cli-import')
  printed = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed += String(chunk)
    return true
  })
})

afterEach(async () => {
  vi.restoreAllMocks()
  await removeDir(base)
})

async function projectModality(project: string): Promise<unknown> {
  const manifest = JSON.parse(await readFile(path.join(project, 'voxloop.json'), 'utf8')) as { modality: unknown; modalitySource: unknown }
  return { modality: manifest.modality, modalitySource: manifest.modalitySource }
}

describeUnless(sharedDataMissing, 'voxloop import: the modality of the new project', () => {
  it('chooses CT for the spleen CT folder by itself and says why', async () => {
    const project = path.join(base, 'spleen')
    await importCommand(sharedDataPath('labeled', 'msd_task09_spleen_crop'), project, { json: false })
    expect(printed).toMatch(/^Imported 1 case\(s\) from .* \(msd\) into .*\nModality: CT, guessed from the intensities: the image looks like CT in Hounsfield units/m)
    expect(printed).not.toMatch(/warning/)
    expect(await projectModality(project)).toEqual({ modality: 'CT', modalitySource: 'intensities' })
  })

  it('keeps --modality, warns that the images look like CT, and puts both in the JSON report', async () => {
    const source = path.join(base, 'ct')
    await mkdir(source)
    await copyFile(sharedDataPath('labeled', 'totalsegmentator_examples', 'imagesTr', 'example_ct_sm.nii.gz'), path.join(source, 'ct.nii.gz'))
    const project = path.join(base, 'project')
    await importCommand(source, project, { json: false, modality: 'other' })
    expect(printed).toMatch(/Modality: other, set by the user: given by the user\n {2}warning: The imported images' intensities disagree: the image looks like CT/)
    expect(await projectModality(project)).toEqual({ modality: 'other', modalitySource: 'user' })
    printed = ''
    const again = path.join(base, 'again')
    await importCommand(source, again, { json: true, modality: 'MR' })
    const report = JSON.parse(printed) as { modality: { modality: string; source: string; warning: string | null } }
    expect(report.modality).toMatchObject({ modality: 'MR', source: 'user', warning: expect.stringMatching(/looks like CT/) })
  })
})
