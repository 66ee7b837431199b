/**
 * Stored label-efficiency reviews across the proposal-Dice fix (issue #15 item 5 follow-up): a
 * review whose Dice leaves out a label its effort changed (as every review recorded before the fix
 * did when a label had been deleted) is shown as "not comparable", not as its inflated figure; a
 * review recorded now keeps its Dice. The reviews are recorded through the API, as the app's
 * workspace records them on Done, one of them shaped as the old code computed it.
 */
import { expect, test } from '@playwright/test'
import { callApi } from './fixtures/api'
import { saveScreenshot } from './fixtures/screenshots'
import { serveForThisFile, trainTiny } from './fixtures/tinyTraining'
import { WorkspacePage } from './fixtures/workspacePage'

const served = serveForThisFile()
test.use({ actionTimeout: 30_000 })

test('a review whose Dice missed a changed label reads "not comparable"; one recorded now keeps its Dice', async ({ page }) => {
  test.setTimeout(300_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto(served().url)
  const workspace = new WorkspacePage(page)
  await workspace.createDemo()
  const version = await trainTiny(page, { resultWithinMs: 240_000 })

  const review = { modelVersion: version, voxelsChanged: 103_043, seconds: 95, curatedAt: '2026-12-01T10:00:00.000Z' }
  // As the old code stored it: label 4 (deleted from the table) lost 103,043 voxels and scored no Dice.
  const old = await callApi(page, served().token, 'cases:recordReview', ['demo-07', { ...review, perLabel: [{ labelId: 4, added: 0, removed: 103_043 }], dice: { '1': 0.995, '2': 0.996, '3': 0.997 } }])
  expect(old.status, old.body).toBe(200)
  expect(JSON.parse(old.body)).not.toHaveProperty('review.diceRule')

  const current = JSON.parse((await callApi(page, served().token, 'projects:current')).body) as { path: string }
  await workspace.reopenProject(current.path)
  const dice = page.getByTestId('label-efficiency').locator('[data-testid="efficiency-dice"]')
  await expect(dice).toHaveText('not comparable')
  await expect(dice).toHaveAttribute('title', /recorded before the proposal Dice counted every label/)
  await expect(page.getByTestId('label-efficiency')).not.toContainText('0.996')
  await page.getByTestId('label-efficiency').scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'label-efficiency-not-comparable')

  // A review recorded now (every changed label scored) is stamped and counts.
  const now = await callApi(page, served().token, 'cases:recordReview', ['demo-08', { ...review, voxelsChanged: 40, perLabel: [{ labelId: 1, added: 40, removed: 0 }], dice: { '1': 0.9, '2': 1, '3': 1 } }])
  expect(now.status, now.body).toBe(200)
  expect(JSON.parse(now.body)).toHaveProperty('review.diceRule', 2)
  await workspace.reopenProject(current.path)
  await expect(dice).toHaveText('0.967 (1 of 2)')
  await page.getByTestId('label-efficiency').scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'label-efficiency-one-of-two')
  expect(errors).toEqual([])
})
