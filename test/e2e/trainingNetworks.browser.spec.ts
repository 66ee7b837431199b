import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { saveScreenshot } from './fixtures/screenshots'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { SHARED_DATA_DIR } from './fixtures/sharedData'
import { WorkspacePage } from './fixtures/workspacePage'

/**
 * Issue #17 item 2, the training form's part: the Network select offers every registered network,
 * 3D and 2D apart, and only the 2D ones to a project whose curated cases are all one slice (real
 * chest X-rays); deep supervision follows the network chosen (plain U-Nets and U-Net++, not the
 * residual U-Nets). No run is started.
 */

const MONTGOMERY = path.join(SHARED_DATA_DIR, '2d', 'cxr-lung-montgomery')
const CASES = ['MCUCXR_0001_0', 'MCUCXR_0002_0']

let served: ServedApp
let base: string

test.beforeAll(async () => {
  served = await startServedApp()
  base = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-networks-'))
})

test.afterAll(async () => {
  await served?.stop()
  await rm(base, { recursive: true, force: true })
})

/** The select's groups and their options, as the user sees them. */
async function offered(page: Page): Promise<{ label: string; names: string[] }[]> {
  return page.getByTestId('train-architecture').evaluate((select) =>
    Array.from(select.querySelectorAll('optgroup')).map((group) => ({ label: group.label, names: Array.from(group.querySelectorAll('option')).map((o) => o.value) }))
  )
}

test('the Network select offers 3D and 2D networks apart, only the 2D ones for one-slice X-rays, and deep supervision where the network has it', async ({ page }) => {
  test.setTimeout(180_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const workspace = new WorkspacePage(page)

  // The 3D demo: every network, in two groups; the default named first.
  await page.goto(served.url)
  await workspace.createDemo()
  await page.getByTestId('tab-models').click()
  await page.locator('button[title="Training settings"]').click()
  await expect(page.getByTestId('train-architecture').locator('option').first()).toHaveText('default (plain-unet)')
  expect(await offered(page)).toEqual([
    { label: '3D networks', names: ['plain-unet', 'residual-unet', 'unetpp'] },
    { label: '2D networks (one slice at a time)', names: ['plain-unet-2d', 'residual-unet-2d', 'unetpp-2d'] }
  ])
  for (const [name, deepSupervision] of [['unetpp', true], ['residual-unet-2d', false], ['unetpp-2d', true], ['residual-unet', false]] as const) {
    await page.getByTestId('train-architecture').selectOption(name)
    await expect(page.getByTestId('train-deep-supervision'))[deepSupervision ? 'toBeEnabled' : 'toBeDisabled']()
  }
  await page.getByTestId('train-architecture').selectOption('unetpp')
  await saveScreenshot(page, 'training-networks-3d')

  // Two X-rays with their masks (curated, one slice each): only the 2D networks.
  const source = path.join(base, 'xrays')
  for (const folder of ['images', 'masks']) {
    await mkdir(path.join(source, folder), { recursive: true })
    for (const id of CASES) await symlink(path.join(MONTGOMERY, folder, `${id}.png`), path.join(source, folder, `${id}.png`))
  }
  await page.getByTestId('close-project').click()
  await expect(page.getByTestId('start-page')).toBeVisible()
  await workspace.createProject(path.join(base, 'project'), 'X-rays')
  await workspace.importPath(source, 'Imported 2 case(s) as a folder')
  await page.getByTestId('tab-models').click()
  if ((await page.getByTestId('training-settings').count()) === 0) await page.locator('button[title="Training settings"]').click()
  await expect(page.getByTestId('train-architecture').locator('option').first()).toHaveText('default (plain-unet-2d)')
  expect(await offered(page)).toEqual([{ label: '2D networks (one slice at a time)', names: ['plain-unet-2d', 'residual-unet-2d', 'unetpp-2d'] }])
  await page.getByTestId('train-architecture').selectOption('unetpp-2d')
  await expect(page.getByTestId('train-deep-supervision')).toBeEnabled()
  await saveScreenshot(page, 'training-networks-2d')
  expect(errors).toEqual([])
})
