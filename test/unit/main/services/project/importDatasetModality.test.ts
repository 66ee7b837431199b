import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { expect, it } from 'vitest'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { scratchProjects } from './scratchProjects'

/** How an import decides the project's modality (chooseModality.ts), on the shared real files. */

const SPLEEN = sharedDataPath('labeled', 'msd_task09_spleen_crop')
const TOTALSEG = sharedDataPath('labeled', 'totalsegmentator_examples')
const HIPPO_IMAGE = sharedDataPath('labeled', 'msd_task04_hippocampus', 'imagesTr', 'hippocampus_001.nii.gz')

const scratch = scratchProjects('import-modality')

/** A project as `voxloop import` makes one: no modality given. */
function newProject(options: { modality?: 'CT' | 'MR' | 'other' } = {}, name = 'project'): Promise<ProjectStore> {
  return scratch.newProject(name, options)
}

/** A flat folder of the TotalSegmentator CT or MR example with its label as `<case>_seg`. */
async function totalSegFolder(kind: 'ct' | 'mr'): Promise<string> {
  const dir = path.join(scratch.base, `totalseg-${kind}`)
  await mkdir(dir, { recursive: true })
  await copyFile(path.join(TOTALSEG, 'imagesTr', `example_${kind}_sm.nii.gz`), path.join(dir, `example_${kind}_sm.nii.gz`))
  await copyFile(path.join(TOTALSEG, 'labelsTr', `example_${kind}_sm.nii.gz`), path.join(dir, `example_${kind}_sm_seg.nii.gz`))
  return dir
}

async function manifestOnDisk(store: ProjectStore): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(store.root, 'voxloop.json'), 'utf8')) as Record<string, unknown>
}

describeUnless(sharedDataMissing, 'the modality an import gives a project', () => {
  it('makes a plain folder of CT a CT project, from its Hounsfield units (it was MR before)', async () => {
    const store = await newProject()
    expect(store.getManifest()).toMatchObject({ modality: 'MR', modalitySource: 'default' })
    const report = await importDataset(store, await totalSegFolder('ct'))
    expect(report.imported.map((c) => c.caseId)).toEqual(['example_ct_sm'])
    expect(report.modality).toMatchObject({ modality: 'CT', source: 'intensities', applied: true, warning: null })
    expect(report.modality?.reason).toMatch(/Hounsfield units/)
    expect(store.getManifest()).toMatchObject({ modality: 'CT', modalitySource: 'intensities' })
    expect(await manifestOnDisk(store)).toMatchObject({ modality: 'CT', modalitySource: 'intensities' })
  })

  it('makes the MSD spleen folder (no dataset.json) CT and the TotalSegmentator MR example MR', async () => {
    const spleen = await newProject({}, 'spleen')
    expect((await importDataset(spleen, SPLEEN)).modality).toMatchObject({ modality: 'CT', source: 'intensities' })
    expect(spleen.getCase('spleen_2').status).toBe('done')
    const mr = await newProject({}, 'mr')
    expect((await importDataset(mr, await totalSegFolder('mr'))).modality).toMatchObject({ modality: 'MR', source: 'intensities', warning: null })
    expect(mr.getManifest().modality).toBe('MR')
  })

  it('follows dataset.json before the intensities, warning when the voxels disagree', async () => {
    const source = path.join(scratch.base, 'msd')
    await mkdir(path.join(source, 'imagesTr'), { recursive: true })
    await copyFile(HIPPO_IMAGE, path.join(source, 'imagesTr', 'brain_001.nii.gz'))
    await writeFile(path.join(source, 'dataset.json'), JSON.stringify({ modality: { '0': 'CT' }, labels: { '0': 'background' } }))
    const store = await newProject()
    const report = await importDataset(store, source)
    expect(report.modality).toMatchObject({ modality: 'CT', source: 'dataset.json', applied: true, reason: 'dataset.json names the channel(s) "CT"' })
    expect(report.modality?.warning).toMatch(/intensities disagree: the image does not look like CT in Hounsfield units.*CT is kept/)
    expect(store.getManifest()).toMatchObject({ modality: 'CT', modalitySource: 'dataset.json', channelNames: ['CT'] })
  })

  it('lets the Hounsfield units decide when dataset.json names no modality', async () => {
    const source = path.join(scratch.base, 'nnunet')
    await mkdir(path.join(source, 'imagesTr'), { recursive: true })
    await copyFile(path.join(SPLEEN, 'imagesTr', 'spleen_2.nii.gz'), path.join(source, 'imagesTr', 'spleen_2_0000.nii.gz'))
    await writeFile(path.join(source, 'dataset.json'), JSON.stringify({ labels: { background: 0, spleen: 1 }, file_ending: '.nii.gz' }))
    const store = await newProject()
    expect((await importDataset(store, source)).modality).toMatchObject({ modality: 'CT', source: 'intensities' })
  })

  it('keeps --modality over the data and says that the images look otherwise', async () => {
    const store = await newProject()
    const report = await importDataset(store, SPLEEN, { modality: 'MR' })
    expect(report.modality).toMatchObject({ modality: 'MR', source: 'user', applied: true, reason: 'given by the user' })
    expect(report.modality?.warning).toMatch(/looks like CT in Hounsfield units.*MR is kept \(given by the user\)/)
    expect(store.getManifest()).toMatchObject({ modality: 'MR', modalitySource: 'user' })
  })

  it('keeps the modality of a project created with one, and of a project that has cases', async () => {
    const chosen = await newProject({ modality: 'MR' }, 'chosen')
    expect(chosen.getManifest().modalitySource).toBe('user')
    const kept = await importDataset(chosen, SPLEEN)
    expect(kept.modality).toMatchObject({ modality: 'MR', source: 'user', applied: false })
    expect(kept.modality?.warning).toMatch(/looks like CT/)
    expect(chosen.getManifest().modality).toBe('MR')

    const store = await newProject({}, 'filled')
    await importDataset(store, await totalSegFolder('mr'))
    // The CT map's label table disagrees with the MR one the project took (importLabels.ts); the
    // project's names are kept, since this test is about the modality.
    const second = await importDataset(store, await totalSegFolder('ct'), { labelConflicts: 'keep-project' })
    expect(second.modality).toMatchObject({ modality: 'MR', source: 'intensities', applied: false })
    expect(second.modality?.warning).toMatch(/looks like CT.*MR is kept \(the project already has cases/)
    expect(store.getManifest()).toMatchObject({ modality: 'MR', modalitySource: 'intensities' })
    // The user's word changes it even then.
    await importDataset(store, SPLEEN, { modality: 'CT' })
    expect(store.getManifest()).toMatchObject({ modality: 'CT', modalitySource: 'user' })
  })

  it('keeps a modality set on the project page (updateProjectInfo) through a later import', async () => {
    const store = await newProject()
    await store.updateProjectInfo({ modality: 'CT' })
    expect(store.getManifest()).toMatchObject({ modality: 'CT', modalitySource: 'user' })
    const report = await importDataset(store, await totalSegFolder('mr'))
    expect(report.modality).toMatchObject({ modality: 'CT', source: 'user', applied: false })
    expect(store.getManifest().modality).toBe('CT')
  })

  it('reads a manifest from before modalitySource and lets the data decide while it is empty', async () => {
    const store = await newProject()
    const file = path.join(store.root, 'voxloop.json')
    const old = await manifestOnDisk(store)
    delete old.modalitySource
    await store.dispose()
    scratch.forget(store)
    await writeFile(file, `${JSON.stringify(old, null, 2)}\n`)
    const { store: reopened } = await ProjectStore.open(path.join(scratch.base, 'project'))
    scratch.track(reopened)
    expect(reopened.getManifest().modalitySource).toBeUndefined()
    expect((await importDataset(reopened, SPLEEN)).modality).toMatchObject({ modality: 'CT', source: 'intensities', applied: true })
  })

  it('changes nothing when nothing is imported', async () => {
    const store = await newProject()
    const empty = path.join(scratch.base, 'empty')
    await mkdir(empty)
    const report = await importDataset(store, empty, { modality: 'CT' })
    expect(report.modality).toBeNull()
    expect(store.getManifest()).toMatchObject({ modality: 'MR', modalitySource: 'default' })
  })
})
