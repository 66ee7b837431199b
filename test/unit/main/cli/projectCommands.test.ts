import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { groupSkipped, importCommand } from '../../../../src/main/cli/commands/projectCommands'
import { sharedDataMissing, sharedDataPath } from '../../../helpers/sharedData'
import { describeUnless } from '../../../helpers/skipWithReason'
import { createProjectWithCases, editOf, makeTempDir, removeDir, snapshotTree } from '../services/project/projectFixtures'
import { runCli } from '../../../helpers/runCli'

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

describeUnless(sharedDataMissing, 'voxloop import: DICOM folders', () => {
  it('imports a DICOM series, names the case after it and says where each case came from', async () => {
    const project = path.join(base, 'hippo')
    const report = await importCommand(sharedDataPath('dicom', 'udacity_hcrop_study1_13'), project, { json: false })
    expect(report.imported).toHaveLength(1)
    expect(printed).toMatch(/^Imported 1 case\(s\) from .*udacity_hcrop_study1_13 \(dicom\) into .*\n {2}HippoCrop_[0-9a-f]{6} ← udacity_hcrop_study1_13: series "HippoCrop", 32 DICOM file\(s\)\nModality: MR, from DICOM/)
    expect(await projectModality(project)).toEqual({ modality: 'MR', modalitySource: 'dicom' })
  })

  it('exits 1 when nothing was imported and removes the project it had just created', () => {
    const project = path.join(base, 'new', 'fmri')
    const run = runCli(['import', sharedDataPath('dicom', 'dcm_qa_nih_ge_epi_mr_0004'), project])
    expect(run.status).toBe(1)
    expect(run.stdout).toMatch(/Imported 0 case\(s\)[^\n]*\n {2}nothing to import: the new project .* was removed again\n {2}skipped dcm_qa_nih_ge_epi_mr_0004: series 4 .*holds 10 volumes/)
    // Both the project and the parent folder that creating it made.
    expect(existsSync(path.join(base, 'new'))).toBe(false)
  })

  it('exits 1 and leaves an existing project byte for byte as it was', async () => {
    const project = path.join(base, 'existing')
    const store = await createProjectWithCases(project, { cases: 1 })
    await store.dispose()
    const before = await snapshotTree(project)
    const run = runCli(['import', sharedDataPath('dicom', 'dcm_qa_nih_ge_epi_mr_0004'), project])
    expect(run.status).toBe(1)
    expect(run.stdout).toContain('nothing to import: the project is unchanged')
    expect(await snapshotTree(project)).toEqual(before)
  })

  it('leaves an empty folder given as the project empty again', async () => {
    const project = path.join(base, 'empty-project')
    await mkdir(project)
    await importCommand(sharedDataPath('dicom', 'dcm_qa_nih_ge_epi_mr_0004'), project, { json: false })
    expect(await readdir(project)).toEqual([])
  })

  it('lists the files it could not use once per reason, not once per file', async () => {
    const source = path.join(base, 'mixed')
    await mkdir(source)
    for (const n of [1, 2, 3]) await symlink(sharedDataPath('dicom', 'udacity_hcrop_study1_13', `${n}.dcm`), path.join(source, `${n}.dcm`))
    for (const name of ['notes.txt', 'report.pdf', 'index.html', 'thumbs.jpg']) await writeFile(path.join(source, name), `not an image: ${name}`)
    const report = await importCommand(source, path.join(base, 'p'), { json: false })
    expect(report.skipped).toHaveLength(4)
    const skippedLines = printed.split('\n').filter((line) => line.includes('skipped'))
    expect(skippedLines).toEqual(['  skipped 4 (index.html, notes.txt, report.pdf, … (1 more; --json lists them all)): not a DICOM file (no "DICM" signature at byte 128 and no DICOM data set at its start)'])
  })
})

describe('groupSkipped', () => {
  it('keeps the order in which reasons first appear and every file under its reason', () => {
    expect(
      groupSkipped([
        { file: 'a', reason: 'x' },
        { file: 'b', reason: 'y' },
        { file: 'c', reason: 'x' }
      ])
    ).toEqual([
      { reason: 'x', files: ['a', 'c'] },
      { reason: 'y', files: ['b'] }
    ])
  })
})

describe('voxloop export --format', () => {
  it('writes the format asked for and says which; --msd still means an MSD folder', async () => {
    const project = path.join(base, 'project')
    const store = await createProjectWithCases(project, { cases: 2 })
    await store.applyLabelEdit('case-0', editOf([0, 1], [1, 2]))
    await store.saveLabel('case-0')
    await store.dispose()

    const slicer = runCli(['export', project, path.join(base, 'slicer'), '--format', 'seg-nrrd', '--json'])
    expect(slicer.status, slicer.stderr).toBe(0)
    const report = JSON.parse(slicer.stdout) as { files: string[]; skipped: { file: string }[] }
    expect(report.files).toEqual(['case-0.seg.nrrd'])
    expect(report.skipped.map((skip) => skip.file)).toEqual(['case-1'])
    expect(await readdir(path.join(base, 'slicer'))).toEqual(['case-0.seg.nrrd'])

    const nnunet = runCli(['export', project, path.join(base, 'Dataset001_Test'), '--format=nnunet-v2'])
    expect(nnunet.status, nnunet.stderr).toBe(0)
    expect(nnunet.stdout).toMatch(/^Wrote 4 file\(s\) to .*Dataset001_Test \(nnunet-v2\)\n$/)
    expect((await readdir(path.join(base, 'Dataset001_Test', 'imagesTr'))).sort()).toEqual(['case-0_0000.nii.gz'])

    const msd = runCli(['export', project, path.join(base, 'msd'), '--msd'])
    expect(msd.status, msd.stderr).toBe(0)
    expect(JSON.parse(await readFile(path.join(base, 'msd', 'dataset.json'), 'utf8'))).toMatchObject({ numTraining: 1, numTest: 1 })
  })

  it('exits non-zero on an unknown format, naming the formats, and writes nothing', async () => {
    const project = path.join(base, 'project')
    await (await createProjectWithCases(project, { cases: 1 })).dispose()
    const before = await snapshotTree(project)
    const run = runCli(['export', project, path.join(base, 'out'), '--format', 'rtstruct'])
    expect(run.status).toBe(1)
    expect(run.stderr).toBe('voxloop: --format must be one of nifti, seg-nrrd, msd, nnunet-v2, dicom-seg, png-masks, got "rtstruct"\n')
    expect(existsSync(path.join(base, 'out'))).toBe(false)
    expect(await snapshotTree(project)).toEqual(before)
  })
})
