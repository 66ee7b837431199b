import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { readLabelNifti } from '../../src/node/formats/nifti'
import { makeGrid, segmentFootprint } from '../../src/renderer/src/tools'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { saveScreenshot } from './fixtures/screenshots'
import { SHARED_DATA_DIR } from './fixtures/sharedData'
import { WorkspacePage } from './fixtures/workspacePage'

let served: ServedApp
let projectDir: string
/** TotalSegmentator's MR example alone: its CT twin's label map gives the same ids to other organs. */
let mrOnly: string
const TOTALSEG = path.join(SHARED_DATA_DIR, 'labeled', 'totalsegmentator_examples')

test.beforeAll(async () => {
  served = await startServedApp()
  projectDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-project-')), 'abdomen')
  mrOnly = path.join(path.dirname(projectDir), 'mr-only')
  for (const folder of ['imagesTr', 'labelsTr']) {
    await mkdir(path.join(mrOnly, folder), { recursive: true })
    await symlink(path.join(TOTALSEG, folder, 'example_mr_sm.nii.gz'), path.join(mrOnly, folder, 'example_mr_sm.nii.gz'))
  }
})

test.afterAll(async () => {
  await served?.stop()
  await rm(path.dirname(projectDir), { recursive: true, force: true })
})

test('label a real LPS case: orientation, paint, erase, undo, redo, save, and exactly those voxels on disk', async ({ page }) => {
  test.setTimeout(180_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const workspace = new WorkspacePage(page)

  await page.goto(served.url)
  await workspace.createProject(projectDir, 'Abdomen')

  await page.getByTestId('show-import').click()
  // The CT and MR maps' tables name label 10 differently: the import is refused, naming both, and nothing is merged.
  await page.getByTestId('import-path').fill(TOTALSEG)
  await page.getByTestId('import-go').click()
  await expect(page.getByTestId('project-error')).toContainText('label 10', { timeout: 60_000 })
  await expect(page.getByTestId('project-error')).toContainText('example_ct_sm.nii.gz')
  await expect(page.getByTestId('project-error')).toContainText('example_mr_sm.nii.gz')
  await saveScreenshot(page, 'import-refused-label-tables-disagree')
  await expect(page.locator('[data-testid^="open-case-"]')).toHaveCount(0)
  await page.getByTestId('import-path').fill(mrOnly)
  await page.getByTestId('import-go').click()
  await expect(page.getByTestId('import-report')).toContainText('Imported 1 case(s)', { timeout: 60_000 })
  await expect(page.getByTestId('project-error')).toHaveCount(0)
  await saveScreenshot(page, 'project-after-import')

  // example_mr_sm is stored LPS (negative x and y steps): the views must still show the patient's
  // right on the left and anterior at the top.
  await page.getByTestId('open-case-example_mr_sm').click()
  await workspace.waitForFirstFrame()
  expect(await workspace.letters('axial')).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' })
  expect(await workspace.letters('coronal')).toEqual({ left: 'R', right: 'L', top: 'S', bottom: 'I' })
  expect(await workspace.letters('sagittal')).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' })
  const leftSide = await workspace.hover(await workspace.at('axial', 0.3, 0.5))
  const rightSide = await workspace.hover(await workspace.at('axial', 0.7, 0.5))
  expect(leftSide.ras[0]).toBeGreaterThan(rightSide.ras[0]) // screen left = patient right = +x
  const top = await workspace.hover(await workspace.at('axial', 0.5, 0.3))
  const bottom = await workspace.hover(await workspace.at('axial', 0.5, 0.7))
  expect(top.ras[1]).toBeGreaterThan(bottom.ras[1]) // screen top = anterior = +y
  await saveScreenshot(page, 'lps-case-opened')

  const labelFile = path.join(projectDir, 'labels', 'example_mr_sm.nii.gz')
  const original = await readLabelNifti(labelFile)

  // A stroke across background near the edge of the axial view, then an eraser dab in its middle.
  await page.getByTestId('tool-brush').click()
  await page.keyboard.press('1')
  await page.getByTestId('brush-radius').fill('6')
  const samples = []
  for (let s = 0; s <= 8; s++) samples.push(await workspace.at('axial', 0.14 + s * 0.02, 0.16))
  const points = []
  for (const sample of samples) points.push((await workspace.hover(sample)).point)
  await page.mouse.move(samples[0]!.x, samples[0]!.y)
  await page.mouse.down()
  for (const sample of samples.slice(1)) await page.mouse.move(sample.x, sample.y)
  await page.mouse.up()
  await expect.poll(() => workspace.saveState()).toBe('unsaved')

  await page.getByTestId('tool-eraser').click()
  await page.getByTestId('brush-radius').fill('3')
  const middle = samples[4]!
  const erasePoint = (await workspace.hover(middle)).point
  await page.mouse.down()
  await page.mouse.up()
  await saveScreenshot(page, 'painted-and-erased')

  // Counts are recounted once editing pauses; the table says when they are fresh.
  const labelTable = page.getByTestId('label-table')
  const labelOneCount = labelTable.locator('li').first().locator('.count')
  const settledCount = async (): Promise<string> => {
    await expect(labelTable).toHaveAttribute('data-counts-fresh', 'true')
    return (await labelOneCount.textContent()) ?? ''
  }
  const afterErase = await settledCount()
  await page.getByTestId('undo').click()
  const afterUndo = await settledCount()
  expect(afterUndo).not.toBe(afterErase)
  await page.getByTestId('redo').click()
  expect(await settledCount()).toBe(afterErase)

  await page.getByTestId('save').click()
  await expect.poll(() => workspace.saveState()).toBe('saved')

  // What the brush and eraser kernels say those pointer samples cover, applied to the original.
  const grid = makeGrid(original.header.dims, original.header.spacing)
  const expected = original.data.slice()
  for (let s = 0; s < points.length - 1; s++) {
    for (const index of segmentFootprint(grid, { fromIjk: points[s]!, toIjk: points[s + 1]!, radiusMm: 6, shape: 'disk', axis: 'axial' })) expected[index] = 1
  }
  for (const index of segmentFootprint(grid, { fromIjk: erasePoint, toIjk: erasePoint, radiusMm: 3, shape: 'disk', axis: 'axial' })) expected[index] = 0

  const saved = await readLabelNifti(labelFile)
  expect(saved.header.dims).toEqual(original.header.dims)
  expect(saved.header.rasFromIjk).toEqual(original.header.rasFromIjk)
  const changed: number[] = []
  const mismatches: number[] = []
  for (let i = 0; i < expected.length; i++) {
    if (saved.data[i] !== original.data[i]) changed.push(i)
    if (saved.data[i] !== expected[i]) mismatches.push(i)
  }
  expect(mismatches).toEqual([])
  expect(changed.length).toBeGreaterThan(10)
  // Every change is on the slice that was painted.
  const [nx, ny] = original.header.dims
  const slice = Math.round(points[0]![2])
  expect(new Set(changed.map((i) => Math.floor(i / (nx * ny))))).toEqual(new Set([slice]))
  expect(errors).toEqual([])
})
