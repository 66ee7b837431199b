import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { SHARED_DATA_DIR } from './fixtures/sharedData'
import { WorkspacePage } from './fixtures/workspacePage'

let served: ServedApp
let base: string

test.beforeAll(async () => {
  served = await startServedApp()
  base = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-export-'))
})

test.afterAll(async () => {
  await served?.stop()
  await rm(base, { recursive: true, force: true })
})

test('the Export panel writes the format picked: nnU-Net v2, then 3D Slicer with predictions greyed out for datasets', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const workspace = new WorkspacePage(page)
  await page.goto(served.url)
  await workspace.createProject(path.join(base, 'spleen'), 'Spleen')
  await workspace.importPath(path.join(SHARED_DATA_DIR, 'labeled', 'msd_task09_spleen_crop'), 'Imported 1 case(s)')

  await page.getByTestId('show-export').click()
  await expect(page.getByTestId('export-format')).toHaveValue('nifti')
  await page.getByTestId('export-path').fill(path.join(base, 'Dataset001_Spleen'))
  await page.getByTestId('export-format').selectOption('nnunet-v2')
  await expect(page.getByLabel('include predictions')).toBeDisabled()
  await page.getByTestId('export-go').click()
  await expect(page.getByTestId('export-report')).toContainText('Wrote 3 file(s)', { timeout: 60_000 })
  const dataset = path.join(base, 'Dataset001_Spleen')
  expect(JSON.parse(await readFile(path.join(dataset, 'dataset.json'), 'utf8'))).toMatchObject({ channel_names: { '0': 'CT' }, numTraining: 1, file_ending: '.nii.gz' })
  expect((await readdir(path.join(dataset, 'imagesTr'))).every((file) => file.endsWith('_0000.nii.gz'))).toBe(true)

  await page.getByTestId('export-format').selectOption('seg-nrrd')
  await expect(page.getByLabel('include predictions')).toBeEnabled()
  await page.getByTestId('export-path').fill(path.join(base, 'slicer'))
  await page.getByTestId('export-go').click()
  await expect(page.getByTestId('export-report')).toContainText('Wrote 1 file(s)', { timeout: 60_000 })
  const [file] = await readdir(path.join(base, 'slicer'))
  expect(file).toMatch(/\.seg\.nrrd$/)
  expect((await readFile(path.join(base, 'slicer', file ?? ''))).subarray(0, 8).toString()).toBe('NRRD0004')
  expect(errors).toEqual([])
})
