import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { writeSlicerCase } from '../helpers/slicerFiles'
import { saveScreenshot } from './fixtures/screenshots'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { SHARED_DATA_DIR } from './fixtures/sharedData'
import { WorkspacePage } from './fixtures/workspacePage'

/**
 * Inputs as they come from outside, through the project page's import: a DICOM series with an image
 * missing (put on even slices, said in the notes) and a 3D Slicer NRRD volume with its .seg.nrrd
 * (the segments name the labels). The report is what the user reads.
 */

const HIPPO_DICOM = path.join(SHARED_DATA_DIR, 'dicom', 'udacity_hcrop_study1_13')
const HIPPO_MSD = path.join(SHARED_DATA_DIR, 'labeled', 'msd_task04_hippocampus')

let served: ServedApp
let base: string

test.beforeAll(async () => {
  served = await startServedApp()
  base = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-import-formats-'))
})

test.afterAll(async () => {
  await served?.stop()
  await rm(base, { recursive: true, force: true })
})

test('a DICOM series with an image missing is one case on even slices, and the report says which slice was interpolated', async ({ page }) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const gap = path.join(base, 'gap')
  await mkdir(gap)
  for (let n = 1; n <= 32; n++) if (n !== 16) await symlink(path.join(HIPPO_DICOM, `${n}.dcm`), path.join(gap, `${n}.dcm`))
  const workspace = new WorkspacePage(page)
  await page.goto(served.url)
  await workspace.createProject(path.join(base, 'dicom-project'), 'Missing image')
  await workspace.importPath(gap, 'Imported 1 case(s) as DICOM series')
  await expect(page.getByTestId('import-notes')).toContainText('placed on 32 evenly spaced slices of 1 mm; 1 of them has no image of its own (an image missing from the series?)')
  await expect(page.getByText('35×51×32')).toBeVisible()
  // One case, not "1 cases".
  await expect(page.getByTestId('status-summary')).toHaveText('1 case · 0 done · 0 in review · 0 predicted · 1 unlabeled')
  await saveScreenshot(page, 'import-dicom-missing-image')
  expect(errors).toEqual([])
})

test("a 3D Slicer NRRD volume and its .seg.nrrd import as a labelled case whose labels are the segments' names", async ({ page }) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const slicer = path.join(base, 'slicer')
  await mkdir(slicer)
  await writeSlicerCase(slicer, 'hippocampus_004', path.join(HIPPO_MSD, 'imagesTr', 'hippocampus_004.nii.gz'), path.join(HIPPO_MSD, 'labelsTr', 'hippocampus_004.nii.gz'), [
    { labelValue: 1, name: 'Hippocampus head', color: '#d9482b' },
    { labelValue: 2, name: 'Hippocampus tail', color: '#2b7bd9' }
  ])
  const workspace = new WorkspacePage(page)
  await page.goto(served.url)
  await workspace.createProject(path.join(base, 'nrrd-project'), 'From Slicer')
  await workspace.importPath(slicer, 'Imported 1 case(s) as a folder')
  await expect(page.getByTestId('import-labels-added')).toHaveText('Labels added: 1 Hippocampus head, 2 Hippocampus tail.')
  await expect(page.getByTestId('open-case-hippocampus_004')).toBeVisible()
  await saveScreenshot(page, 'import-nrrd-segmentation')
  expect(errors).toEqual([])
})
