/**
 * Issue #15 defect 4 (workspace): the tool and the demo's threshold range 700–5000 carried over to
 * an MR case of another project whose intensities run 2–139. The tool and the other per-project
 * settings reset with the project, the threshold range with the case (taken from the new image);
 * the brush radius in mm is the user's preference and stays.
 */
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { saveScreenshot } from './fixtures/screenshots'
import { SHARED_DATA_DIR } from './fixtures/sharedData'
import { WorkspacePage } from './fixtures/workspacePage'

let served: ServedApp
let scratch: string
const HIPPOCAMPUS = path.join(SHARED_DATA_DIR, 'labeled', 'msd_task04_hippocampus')

test.beforeAll(async () => {
  served = await startServedApp()
  scratch = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-reset-'))
  // hippocampus_001: uint8 MR, intensities 2..139 (MANIFEST.md).
  for (const folder of ['imagesTr', 'labelsTr']) {
    await mkdir(path.join(scratch, 'mr', folder), { recursive: true })
    await symlink(path.join(HIPPOCAMPUS, folder, 'hippocampus_001.nii.gz'), path.join(scratch, 'mr', folder, 'hippocampus_001.nii.gz'))
  }
})

test.afterAll(async () => {
  await served?.stop()
  await rm(scratch, { recursive: true, force: true })
})

test('tool and threshold range do not carry from the demo to an MR case of another project; the brush radius does', async ({ page }) => {
  test.setTimeout(180_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const workspace = new WorkspacePage(page)
  await page.goto(served.url)
  await workspace.openDemoCase('demo-02')

  await page.getByTestId('tool-brush').click()
  await page.getByTestId('brush-radius').fill('9')
  await page.getByTestId('threshold-min').fill('700')
  await page.getByTestId('threshold-max').fill('5000')
  await page.getByTestId('threshold-enabled').check()
  await page.getByTestId('tool-eraser').click()
  await expect(page.getByTestId('tool-eraser')).toHaveClass(/active/)

  await page.getByTestId('back-to-cases').click()
  await page.getByTestId('close-project').click()
  await workspace.createProject(path.join(scratch, 'project'), 'Hippocampus')
  await workspace.importPath(path.join(scratch, 'mr'), 'Imported 1 case(s)')
  await page.getByTestId('open-case-hippocampus_001').click()
  await workspace.waitForFirstFrame()

  await expect(page.getByTestId('tool-brush')).toHaveClass(/active/)
  await expect(page.getByTestId('tool-eraser')).not.toHaveClass(/active/)
  await expect(page.getByTestId('threshold-enabled')).not.toBeChecked()
  await expect(page.getByTestId('threshold-min')).toHaveValue('2')
  await expect(page.getByTestId('threshold-max')).toHaveValue('139')
  await expect(page.getByTestId('brush-radius')).toHaveValue('9')
  await saveScreenshot(page, 'case-state-reset-mr-after-demo')
  expect(errors).toEqual([])
})
