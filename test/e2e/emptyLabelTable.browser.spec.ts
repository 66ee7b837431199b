/**
 * Issue #15 defect 1: with an empty label table the brush painted invisibly, the header said
 * "Edits not yet on disk — retrying" forever and Save did nothing (the journal refused label 1).
 * Now painting is refused up front with "Add a label first", nothing is sent, and once a label is
 * added the same stroke paints, is journalled and saved.
 */
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { readLabelNifti } from '../../src/node/formats/nifti'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { saveScreenshot } from './fixtures/screenshots'
import { WorkspacePage } from './fixtures/workspacePage'

let served: ServedApp

test.beforeAll(async () => {
  served = await startServedApp()
})

test.afterAll(async () => {
  await served?.stop()
})

test('an empty label table blocks painting with "add a label first"; after adding a label the stroke is saved', async ({ page }) => {
  test.setTimeout(180_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const workspace = new WorkspacePage(page)
  await page.goto(served.url)
  await workspace.openDemoCase('demo-02')

  // Delete every label: the project is left with nothing to paint with.
  const rows = page.getByTestId('label-table').locator('li[data-label-id]')
  for (let left = await rows.count(); left > 0; left--) {
    await rows.first().getByRole('button', { name: /^Delete / }).click()
    await page.getByTestId('confirm-delete').click()
    // The next row's confirmation only once this label is gone (its deletion rewrites every case).
    await expect(rows).toHaveCount(left - 1, { timeout: 60_000 })
  }
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')

  const stroke = async (): Promise<[number, number, number]> => {
    const from = await workspace.at('axial', 0.4, 0.4)
    const to = await workspace.at('axial', 0.55, 0.45)
    const middle = (await workspace.hover(await workspace.at('axial', 0.45, 0.42))).point
    await page.mouse.move(from.x, from.y)
    await page.mouse.down()
    await page.mouse.move(to.x, to.y, { steps: 6 })
    await page.mouse.up()
    return middle
  }
  await page.getByTestId('tool-brush').click()
  await stroke()
  await expect(page.getByTestId('workspace-message')).toContainText('Add a label first')
  // Nothing was painted, so nothing waits to be recorded: the header does not say "retrying".
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect(page.getByTestId('workspace-error')).toHaveCount(0)
  await expect(page.getByTestId('no-labels')).toBeVisible()
  // The label list says what to do, not 'No label matches ""' for a search nobody typed.
  await expect(page.getByTestId('label-search-empty')).toHaveText('No labels yet: add one below to paint with.')
  await saveScreenshot(page, 'empty-label-table-add-a-label-first')

  // Adding a label makes it the one painted with; the same stroke now paints, journals and saves.
  await page.getByRole('textbox', { name: 'New label name' }).fill('Lesion')
  await page.getByRole('button', { name: 'Add', exact: true }).click()
  await expect(page.getByTestId('active-label')).toContainText('Lesion')
  const newId = Number(await page.getByTestId('active-label').getAttribute('data-label-id'))
  expect(newId).toBeGreaterThan(0)
  const painted = await stroke()
  await expect.poll(() => workspace.saveState()).toBe('unsaved')
  await expect(page.getByTestId('workspace-message')).toHaveCount(0)
  await page.getByTestId('save').click()
  await expect.poll(() => workspace.saveState()).toBe('saved')
  const saved = await readLabelNifti(path.join(served.home, 'demo-project', 'labels', 'demo-02.nii.gz'))
  const [nx, ny] = saved.header.dims
  const [i, j, k] = painted.map(Math.round) as [number, number, number]
  expect(saved.data[i + nx * (j + ny * k)]).toBe(newId)
  await saveScreenshot(page, 'empty-label-table-label-added-and-saved')
  expect(errors).toEqual([])
})
