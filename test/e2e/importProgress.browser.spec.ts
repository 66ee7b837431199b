import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { buildNifti } from '../helpers/niftiBuilder'
import { saveScreenshot } from './fixtures/screenshots'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { SHARED_DATA_DIR } from './fixtures/sharedData'
import { WorkspacePage } from './fixtures/workspacePage'

let served: ServedApp
let base: string

test.beforeAll(async () => {
  served = await startServedApp()
  base = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-import-'))
})

test.afterAll(async () => {
  await served?.stop()
  await rm(base, { recursive: true, force: true })
})

async function newProject(page: Page, name: string): Promise<void> {
  await page.goto(served.url)
  await new WorkspacePage(page).createProject(path.join(base, name), name)
  await page.getByTestId('show-import').click()
}

test('a DICOM import shows a progress bar that Cancel stops with nothing imported; run again, it says n of m and imports', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await newProject(page, 'dicom')
  // Every series under dicom/ (CT, MR crops, an fMRI series that is skipped as 4D): seconds of conversion.
  await page.getByTestId('import-path').fill(path.join(SHARED_DATA_DIR, 'dicom'))
  await page.getByTestId('import-go').click()
  const progress = page.getByTestId('import-progress')
  await expect(progress).toBeVisible()
  await expect(progress.locator('progress')).toBeVisible()
  await saveScreenshot(page, 'import-progress')
  await page.getByTestId('import-cancel').click()
  await expect(page.getByTestId('project-error')).toContainText(/cancelled/i, { timeout: 60_000 })
  await expect(progress).toBeHidden()
  await expect(page.getByTestId('import-report')).toBeHidden()

  await page.getByTestId('import-go').click()
  // Each series staged moves the bar: "n of m case(s)" with the last case id.
  await expect(page.getByTestId('import-progress-text')).toContainText(/\d+ of \d+ case\(s\) — last: /, { timeout: 60_000 })
  await expect(page.getByTestId('import-report')).toContainText(/Imported [1-9]\d* case\(s\) as DICOM series/, { timeout: 90_000 })
  await expect(progress).toBeHidden()
  expect(errors).toEqual([])
})

test('a NIfTI time series skipped by the import is offered as time points; the button imports one case per point', async ({ page }) => {
  const source = path.join(base, 'fmri-source')
  await mkdir(source)
  // 2x2x2 voxels, 3 time points, xyzt_units mm + s, TR 2 s: a time series by its header.
  await writeFile(
    path.join(source, 'fmri.nii'),
    buildNifti({ dims: [2, 2, 2, 3], datatype: 4, bitpix: 16, pixdim: [1, 1, 1, 1, 2], xyztUnits: 10 }, Int16Array.from({ length: 24 }, (_, n) => n))
  )
  await newProject(page, 'fmri')
  await page.getByTestId('import-path').fill(source)
  await page.getByTestId('import-go').click()
  const report = page.getByTestId('import-report')
  await expect(report).toContainText('Imported 0 case(s)')
  await expect(page.getByTestId('import-skipped')).toContainText('a 4D time series of 3 time points')
  await expect(page.getByTestId('import-fourd-channels')).toBeVisible()
  await saveScreenshot(page, 'import-fourd-offers')
  await page.getByTestId('import-fourd-time').click()
  await expect(report).toContainText('Imported 3 case(s)')
  // That run chose a 4th dimension, so it offers no other.
  await expect(page.getByTestId('import-fourd-offers')).toBeHidden()
  await expect(page.getByTestId('case-table')).toContainText('fmri_t002')
})

test('a DICOM folder with several series lists them in the chooser; the one picked is the one imported', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await newProject(page, 'chooser')
  // dcm_qa_ts: nine series of one Siemens EPI mosaic, one per transfer syntax.
  await page.getByTestId('import-path').fill(path.join(SHARED_DATA_DIR, 'dicom', 'dcm_qa_ts'))
  await page.getByTestId('dicom-series-list').click()
  const chooser = page.getByTestId('dicom-series-chooser')
  await expect(chooser).toContainText('9 series in', { timeout: 60_000 })
  await expect(chooser.getByTestId('dicom-series-row')).toHaveCount(9)
  await expect(chooser.getByTestId('dicom-series-row').first()).toContainText('ax_asc_35sl')
  await expect(chooser.getByTestId('dicom-series-row').first()).toContainText('64×64×35')
  await expect(page.getByTestId('dicom-series-all')).toBeChecked()
  await chooser.getByLabel('series 5').check()
  await saveScreenshot(page, 'dicom-series-chooser')
  await page.getByTestId('dicom-series-import').click()
  await expect(page.getByTestId('import-report')).toContainText('Imported 1 case(s) as DICOM series', { timeout: 60_000 })
  await expect(chooser).toBeHidden()
  const table = page.getByTestId('case-table')
  await expect(table).toContainText('ax_asc_35sl_5_')
  await expect(table).not.toContainText('ax_asc_35sl_4_')

  // The workspace shows where the case came from: series, modality, scanner (cases:dicomSource).
  await page.locator('[data-testid^="open-case-ax_asc_35sl_5_"]').click()
  await new WorkspacePage(page).waitForFirstFrame()
  const source = page.getByTestId('dicom-source')
  await expect(source).toContainText('#5')
  await expect(source).toContainText('ax_asc_35sl')
  await expect(source).toContainText('MR')
  await saveScreenshot(page, 'dicom-source-in-workspace')
  expect(errors).toEqual([])
})

test('opening a DICOM or NIfTI folder that is not a project offers to make one beside it; accepting creates it and imports the folder', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  // The shared data is read-only, so the project is made from a NIfTI folder in tmp, where <folder>-voxloop can be written.
  const scans = path.join(base, 'scans')
  await mkdir(scans)
  for (const name of ['a', 'b']) {
    await writeFile(path.join(scans, `${name}.nii`), buildNifti({ dims: [4, 4, 4], datatype: 4, bitpix: 16 }, Int16Array.from({ length: 64 }, (_, n) => n)))
  }
  await page.goto(served.url)
  await page.getByTestId('project-path').fill(path.join(SHARED_DATA_DIR, 'dicom', 'udacity_hcrop_study1_13'))
  await page.getByTestId('open-path').click()
  const offer = page.getByTestId('import-offer')
  await expect(offer).toContainText('This folder is not a Voxloop project; it holds DICOM series (32 DICOM file(s)). Create a project from it?')
  await expect(page.getByTestId('import-offer-folder')).toHaveValue(path.join(SHARED_DATA_DIR, 'dicom', 'udacity_hcrop_study1_13-voxloop'))
  // The offer says why the folder did not open; the reader's "voxloop.json is missing" is not repeated above it.
  await expect(page.getByTestId('open-error')).toHaveCount(0)
  await saveScreenshot(page, 'open-offers-import')

  await page.getByTestId('project-path').fill(scans)
  await page.getByTestId('open-path').click()
  await expect(offer).toContainText('it holds NIfTI files (2 case(s))')
  await expect(page.getByTestId('import-offer-folder')).toHaveValue(`${scans}-voxloop`)
  await page.getByTestId('import-offer-create').click()
  await expect(page.getByTestId('import-report')).toContainText('Imported 2 case(s) as a folder', { timeout: 60_000 })
  await expect(page.getByTestId('case-table')).toContainText('a')
  await expect(page.getByTestId('open-case-b')).toBeVisible()
  expect(errors).toEqual([])
})
