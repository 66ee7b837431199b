import path from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import type { Vec3 } from '../../src/shared/volume'
import { readLabelNifti, readNifti } from '../../src/node/formats/nifti'
import { floodRegion, makeGrid } from '../../src/renderer/src/tools'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { saveScreenshot } from './fixtures/screenshots'
import { WorkspacePage } from './fixtures/workspacePage'

/** Issue #15: shortcuts after touching a control (defect 3), the 3D fill's range (defect 2), the picked range's precision. */
let served: ServedApp | null = null

test.afterEach(async () => {
  await served?.stop()
  served = null
})

/** A fresh `voxloop serve` for each test (stopped after it), its demo project, and one case opened. */
async function serveDemoCase(page: Page, caseId: string): Promise<WorkspacePage> {
  served = await startServedApp()
  await page.goto(served.url)
  const workspace = new WorkspacePage(page)
  await workspace.openDemoCase(caseId)
  return workspace
}

test('shortcuts keep working after a checkbox, the radius slider or a dropdown was used; text fields keep their keys', async ({ page }) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const workspace = await serveDemoCase(page, 'demo-02')
  const tool = (id: string) => page.getByTestId(`tool-${id}`)
  // Pointing at the axial view makes it the one the arrow keys scroll.
  const centre = await workspace.at('axial', 0.5, 0.5)
  await page.mouse.move(centre.x, centre.y)

  // A checkbox keeps the focus after a click: E and B must still choose tools.
  const thresholdBox = page.getByTestId('threshold-enabled')
  await thresholdBox.click()
  await expect(thresholdBox).toBeFocused()
  await page.keyboard.press('e')
  await expect(tool('eraser')).toHaveClass(/active/)
  await page.keyboard.press('b')
  await expect(tool('brush')).toHaveClass(/active/)

  // After the radius slider, ↑ moves the slice and leaves the radius alone.
  const radius = page.getByTestId('brush-radius')
  await radius.click()
  await expect(radius).toBeFocused()
  const radiusBefore = await radius.inputValue()
  const sliceLabel = page.locator('.view-axial .slice-label')
  const sliceOf = async (): Promise<number> => Number(/(\d+)\//.exec((await sliceLabel.textContent()) ?? '')?.[1])
  const sliceBefore = await sliceOf()
  await page.keyboard.press('ArrowUp')
  await expect.poll(sliceOf).toBe(sliceBefore + 1)
  expect(await radius.inputValue()).toBe(radiusBefore)

  // A dropdown: F and ? still reach the workspace.
  const overwrite = page.getByTestId('overwrite-rule')
  await overwrite.selectOption('background')
  await overwrite.focus()
  await page.keyboard.press('f')
  await expect(tool('fill')).toHaveClass(/active/)
  await expect(overwrite).toHaveValue('background')
  await page.keyboard.press('?')
  const help = page.getByTestId('help-overlay')
  await expect(help).toBeVisible()
  // The sheet is the command table: the tools' keys come from the registry.
  await expect(help).toContainText('Pick the threshold range from the image')
  await expect(help).toContainText('Ctrl + Shift + Z, Ctrl + Y')
  await saveScreenshot(page, 'tool-shortcuts-help')
  await page.keyboard.press('Escape')
  await expect(help).toBeHidden()

  // Typing a number in a text field does not choose label 5.
  const activeLabel = page.getByTestId('active-label')
  const labelBefore = await activeLabel.getAttribute('data-label-id')
  await page.getByTestId('threshold-min').fill('')
  await page.getByTestId('threshold-min').pressSequentially('5')
  await expect(page.getByTestId('threshold-min')).toHaveValue('5')
  await expect(activeLabel).toHaveAttribute('data-label-id', labelBefore ?? '')
  await expect(tool('fill')).toHaveClass(/active/)

  // Tooltips come from the same table as the keys.
  await expect(tool('brush')).toHaveAttribute('title', 'Brush: paint the active label (B)')
  await expect(page.getByTestId('action-interpolate')).toHaveAttribute('title', /\(I\)$/)
  // The label panel shows each label's numeric id.
  const rows = page.getByTestId('label-table').locator('li[data-label-id]')
  const count = await rows.count()
  expect(count).toBeGreaterThan(0)
  for (let n = 0; n < count; n++) {
    const row = rows.nth(n)
    await expect(row.locator('.id')).toHaveText((await row.getAttribute('data-label-id')) ?? '')
  }
  await saveScreenshot(page, 'tool-shortcuts-panel')
  expect(errors).toEqual([])
})

test('a 3D fill bounded by the threshold range fills that range with the box unticked; the picked range is whole numbers', async ({ page }) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const workspace = await serveDemoCase(page, 'demo-02')
  const project = path.join(served!.home, 'demo-project')
  const image = await readNifti(path.join(project, 'images', 'demo-02.nii.gz'))
  const original = await readLabelNifti(path.join(project, 'labels', 'demo-02.nii.gz'))

  // Pick the range from the image: the demo is int16, so the range is whole numbers.
  await page.getByTestId('tool-pick-threshold').click()
  const seedAt = await workspace.at('axial', 0.5, 0.5)
  const seed = (await workspace.hover(seedAt)).point.map((v) => Math.round(v)) as Vec3
  await page.mouse.down()
  await page.mouse.up()
  await expect(page.getByTestId('threshold-enabled')).toBeChecked()
  const min = Number(await page.getByTestId('threshold-min').inputValue())
  const max = Number(await page.getByTestId('threshold-max').inputValue())
  expect(Number.isInteger(min) && Number.isInteger(max), `picked ${min} to ${max}`).toBe(true)
  expect(min).toBeLessThanOrEqual(max)

  // The defect's set-up: the box unticked, a 3D fill bounded by "the threshold range".
  await page.getByTestId('threshold-enabled').uncheck()
  await page.getByTestId('tool-fill').click()
  await page.getByTestId('fill-3d').click()
  await page.getByTestId('fill-bound').selectOption('intensity')
  await expect(page.getByTestId('fill-bound-range')).toHaveText(`fills voxels from ${min} to ${max}`)
  // Lesion (2) over the organ under the seed: a fill that ignored the range would flood the organ's label region.
  await page.keyboard.press('2')
  await expect(page.getByTestId('active-label')).toHaveAttribute('data-label-id', '2')
  const activeLabel = 2
  await page.mouse.move(seedAt.x, seedAt.y)
  await page.mouse.down()
  await page.mouse.up()
  await expect.poll(() => workspace.saveState()).toBe('unsaved')
  await saveScreenshot(page, 'fill-3d-threshold-range')
  await page.getByTestId('save').click()
  await expect.poll(() => workspace.saveState()).toBe('saved')

  // Exactly the connected voxels in [min, max] around the seed, as the fill kernel finds them.
  const grid = makeGrid(image.header.dims, image.header.spacing)
  const region = floodRegion(original.data, grid, {
    seedIjk: seed,
    dimension: '3d',
    axis: 'axial',
    bound: { kind: 'intensity', range: { min, max } },
    image: image.data,
    maxVoxels: 5_000_000
  })
  const expected = original.data.slice()
  for (const index of region.indices) expected[index] = activeLabel
  const saved = await readLabelNifti(path.join(project, 'labels', 'demo-02.nii.gz'))
  let mismatches = 0
  let changed = 0
  for (let i = 0; i < expected.length; i++) {
    if (saved.data[i] !== expected[i]) mismatches++
    if (saved.data[i] !== original.data[i]) changed++
  }
  expect(region.indices.length).toBeGreaterThan(0)
  expect(mismatches).toBe(0)
  // The defect flooded 114,224 of 114,480 voxels; the range keeps the fill to part of the volume.
  expect(changed).toBeLessThan(expected.length / 2)
  expect(errors).toEqual([])
})
