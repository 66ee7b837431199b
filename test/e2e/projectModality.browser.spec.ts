import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { saveScreenshot } from './fixtures/screenshots'
import { SHARED_DATA_DIR } from './fixtures/sharedData'
import { WorkspacePage } from './fixtures/workspacePage'

let served: ServedApp
let projectDir: string

test.beforeAll(async () => {
  served = await startServedApp()
  projectDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-modality-')), 'spleen')
})

test.afterAll(async () => {
  await served?.stop()
  await rm(path.dirname(projectDir), { recursive: true, force: true })
})

async function manifest(): Promise<{ modality: string; modalitySource?: string }> {
  return JSON.parse(await readFile(path.join(projectDir, 'voxloop.json'), 'utf8')) as { modality: string; modalitySource?: string }
}

test('a new project takes CT from the imported CT, and the project page changes it', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const workspace = new WorkspacePage(page)
  await page.goto(served.url)
  // The default: the modality is left to the first import.
  await expect(page.getByTestId('new-project-modality')).toHaveValue('')
  await workspace.createProject(projectDir, 'Spleen')
  await expect(page.getByTestId('project-modality-select')).toHaveValue('MR')
  await expect(page.getByTestId('project-modality-source')).toContainText('default')

  await workspace.importPath(path.join(SHARED_DATA_DIR, 'labeled', 'msd_task09_spleen_crop'), 'Imported 1 case(s)')
  await expect(page.getByTestId('project-modality-select')).toHaveValue('CT')
  await expect(page.getByTestId('project-modality-source')).toHaveText("guessed from the images' intensities")
  await expect(page.getByTestId('import-modality')).toContainText('Hounsfield units')
  expect(await manifest()).toMatchObject({ modality: 'CT', modalitySource: 'intensities' })
  await saveScreenshot(page, 'project-modality-from-import')

  await page.getByTestId('project-modality-select').selectOption('MR')
  await expect(page.getByTestId('project-modality-source')).toHaveText('set by you')
  await expect.poll(manifest).toMatchObject({ modality: 'MR', modalitySource: 'user' })
  expect(errors).toEqual([])
})
