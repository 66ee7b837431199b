import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { saveScreenshot } from './fixtures/screenshots'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { SHARED_DATA_DIR } from './fixtures/sharedData'
import { WorkspacePage } from './fixtures/workspacePage'

/**
 * Issue #17 item 1, the import panel's part: importing real chest X-rays (Montgomery PNGs, which
 * state no pixel spacing) shows the import report's notes, so the user learns that 1 mm was assumed.
 */

const MONTGOMERY = path.join(SHARED_DATA_DIR, '2d', 'cxr-lung-montgomery')
const CASES = ['MCUCXR_0001_0', 'MCUCXR_0002_0', 'MCUCXR_0003_0']

let served: ServedApp
let base: string
let source: string

test.beforeAll(async () => {
  served = await startServedApp()
  base = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-2d-import-'))
  // Three image/mask pairs, linked (never copied into the repository) in the images/ + masks/ layout.
  source = path.join(base, 'xrays')
  for (const folder of ['images', 'masks']) {
    await mkdir(path.join(source, folder), { recursive: true })
    for (const id of CASES) await symlink(path.join(MONTGOMERY, folder, `${id}.png`), path.join(source, folder, `${id}.png`))
  }
})

test.afterAll(async () => {
  await served?.stop()
  await rm(base, { recursive: true, force: true })
})

test('importing X-rays without a stated pixel spacing shows the note under the report', async ({ page }) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const workspace = new WorkspacePage(page)

  await page.goto(served.url)
  await workspace.createProject(path.join(base, 'project'), 'Chest X-rays')
  await workspace.importPath(source, 'Imported 3 case(s) as a folder')

  const notes = page.getByTestId('import-notes')
  await expect(notes).toBeVisible()
  await expect(notes).toContainText('pixel spacing unknown in 3 file(s): 1 mm assumed')
  for (const id of CASES) await expect(page.getByTestId(`open-case-${id}`)).toBeVisible()
  await saveScreenshot(page, 'image2d-import-notes')
  expect(errors).toEqual([])
})

test('the pixel spacing of the 2D cases is shown, changed for all of them, and still there after reopening', async ({ page }) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const workspace = new WorkspacePage(page)
  const projectPath = path.join(base, 'spacing-project')

  await page.goto(served.url)
  await workspace.createProject(projectPath, 'Spacing')
  await workspace.importPath(source, 'Imported 3 case(s) as a folder')
  await expect(page.getByTestId('pixel-spacing-current')).toHaveText('now 1 × 1 mm')
  await expect(page.getByTestId('pixel-spacing-apply')).toBeDisabled()

  await page.getByTestId('pixel-spacing-x').fill('0.5')
  await page.getByTestId('pixel-spacing-y').fill('0.25')
  await page.getByTestId('pixel-spacing-apply').click()
  await expect(page.getByTestId('pixel-spacing-current')).toHaveText('now 0.5 × 0.25 mm')
  await expect(page.getByTestId('project-error')).toHaveCount(0)
  await expect(page.getByTestId('case-table')).toContainText('512×512×1 · 0.50×0.25×1.00 mm')

  await workspace.reopenProject(projectPath)
  await page.getByTestId('tab-cases').click()
  await expect(page.getByTestId('pixel-spacing-current')).toHaveText('now 0.5 × 0.25 mm')
  await expect(page.getByTestId('pixel-spacing-x')).toHaveValue('0.5')
  await expect(page.getByTestId('pixel-spacing-y')).toHaveValue('0.25')
  for (const id of CASES) await expect(page.getByTestId('case-table').locator('tr', { hasText: id })).toContainText('0.50×0.25×1.00 mm')
  await saveScreenshot(page, 'image2d-pixel-spacing-reopened')
  expect(errors).toEqual([])
})
