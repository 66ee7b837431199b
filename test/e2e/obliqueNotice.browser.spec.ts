import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { buildNifti } from '../helpers/niftiBuilder'
import { saveScreenshot } from './fixtures/screenshots'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { WorkspacePage } from './fixtures/workspacePage'

let served: ServedApp
let base: string

test.beforeAll(async () => {
  served = await startServedApp()
  base = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-oblique-'))
})

test.afterAll(async () => {
  await served?.stop()
  await rm(base, { recursive: true, force: true })
})

/** A 24³ sphere image with 2 mm voxels whose grid is rotated `degrees` about the world x axis. */
function sphere(degrees: number): Uint8Array {
  const n = 24
  const data = new Int16Array(n * n * n)
  for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
    data[i + n * (j + n * k)] = Math.hypot(i - 12, j - 12, k - 12) < 8 ? 800 : 100
  }
  const c = Math.cos((degrees * Math.PI) / 180) * 2
  const s = Math.sin((degrees * Math.PI) / 180) * 2
  return buildNifti(
    { dims: [n, n, n], datatype: 4, bitpix: 16, pixdim: [1, 2, 2, 2], sformCode: 1, srow: [[2, 0, 0, -24], [0, c, -s, -24], [0, s, c, -24]] },
    data
  )
}

test('an oblique case says it is shown voxel-aligned and by how many degrees; an axis-aligned one says nothing', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const source = path.join(base, 'source')
  await mkdir(source)
  await writeFile(path.join(source, 'tilted.nii'), sphere(15))
  await writeFile(path.join(source, 'straight.nii'), sphere(0))
  const workspace = new WorkspacePage(page)
  await page.goto(served.url)
  await workspace.createProject(path.join(base, 'project'), 'Oblique')
  await workspace.importPath(source, 'Imported 2 case(s)')

  await page.getByTestId('open-case-tilted').click()
  await workspace.waitForFirstFrame()
  await expect(page.getByTestId('oblique-notice')).toHaveText('Oblique: shown voxel-aligned (rotated 15.0° from the scanner axes)')
  await saveScreenshot(page, 'oblique-notice')

  await page.getByTestId('back-to-cases').click()
  await page.getByTestId('open-case-straight').click()
  await expect(page.getByTestId('case-id')).toHaveText('straight')
  await workspace.waitForFirstFrame()
  await expect(page.getByTestId('oblique-notice')).toHaveCount(0)
  expect(errors).toEqual([])
})
