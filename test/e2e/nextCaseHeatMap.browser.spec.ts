/**
 * Issue #15 defect 6: Next case did not show the uncertainty heat map although the README says it
 * does; selected by hand it sat under the label colours and had no colour bar. Now Next case opens
 * with the heat map on (a display setting turns that off), drawn over the labels, with a colour bar
 * (0 → 1, uncertainty) and its own opacity.
 */
import { expect, test } from '@playwright/test'
import { saveScreenshot } from './fixtures/screenshots'
import { serveForThisFile, trainTiny } from './fixtures/tinyTraining'
import { WorkspacePage } from './fixtures/workspacePage'

const served = serveForThisFile()

test('Next case opens with the uncertainty heat map over the labels, a colour bar and its own opacity', async ({ page }) => {
  test.setTimeout(600_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const workspace = new WorkspacePage(page)
  await page.goto(served().url)
  await workspace.createDemo()
  await trainTiny(page, { resultWithinMs: 240_000 })
  await page.getByTestId('activate-new-model').click()
  await page.getByTestId('tab-cases').click()
  await page.getByTestId('predict-cases').click()
  await expect(page.getByTestId('prediction-finished')).toContainText('Predicted 4 of 4', { timeout: 240_000 })

  await page.getByTestId('next-case').click()
  await workspace.waitForFirstFrame()
  await expect(page.getByTestId('proposal-version')).toBeVisible()
  await expect(page.getByTestId('overlay')).toHaveValue('uncertainty')
  const legend = page.getByTestId('uncertainty-legend')
  await expect(legend).toBeVisible()
  await expect(legend).toContainText('Uncertainty')
  await expect(legend).toContainText('0')
  await expect(legend).toContainText('1')
  await expect(page.getByTestId('uncertainty-opacity')).toBeVisible()
  // The labels give way to outlines so that their colours and the heat colours stay apart.
  await expect(page.getByTestId('outline-under-heat-map')).toBeVisible()
  await saveScreenshot(page, 'next-case-uncertainty-heat-map')
  await page.getByTestId('uncertainty-opacity').fill('0.2')
  await expect(page.getByTestId('uncertainty-opacity')).toHaveValue('0.2')
  await saveScreenshot(page, 'next-case-uncertainty-heat-map-opacity-20')

  // The heat map is drawn: the axial view changes when it is turned off, and the colour bar goes.
  const withHeat = await workspace.canvas('axial').screenshot()
  await page.getByTestId('overlay').selectOption('none')
  await expect(legend).toHaveCount(0)
  const withoutHeat = await workspace.canvas('axial').screenshot()
  expect(withHeat.equals(withoutHeat)).toBe(false)

  // The setting turns it off for Next case.
  await page.getByTestId('heat-map-on-next').uncheck()
  await page.getByTestId('next-case').click()
  await workspace.waitForFirstFrame()
  await expect(page.getByTestId('overlay')).toHaveValue('none')
  await expect(legend).toHaveCount(0)
  expect(errors).toEqual([])
})
