/**
 * Stop while the training cases are prepared (issue #15 follow-up): the panel offered no Stop between
 * the click and the run's first step (often a minute on a first run), only a disabled Train button.
 * Now Stop is there and enabled from the click on; it ends the run before the next case, no model
 * version is made, and the panel returns to idle with a message saying so.
 */
import { expect, test } from '@playwright/test'
import { callApiJson } from './fixtures/api'
import { saveScreenshot } from './fixtures/screenshots'
import { serveForThisFile } from './fixtures/tinyTraining'
import { WorkspacePage } from './fixtures/workspacePage'

const served = serveForThisFile()
test.use({ actionTimeout: 30_000 })

test('Stop is offered while the cases are prepared, and stops the run there without making a model', async ({ page }) => {
  test.setTimeout(300_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto(served().url)
  await new WorkspacePage(page).createDemo()
  await page.getByTestId('tab-models').click()

  await page.getByTestId('retrain').click()
  // The engine is reading the cases (a fresh project: none is in the cache yet).
  await expect(page.getByTestId('training-preparing-text')).toHaveText(/\d+ of \d+/, { timeout: 60_000 })
  const stop = page.getByTestId('stop-training')
  await expect(stop).toBeVisible()
  await expect(stop).toBeEnabled()
  await expect(stop).toHaveText('Stop')
  await expect(page.getByTestId('retrain')).toHaveCount(0)
  await saveScreenshot(page, 'training-preparing-stop')
  expect(await callApiJson(page, served().token, 'training:status')).toMatchObject({ state: 'starting' })

  await stop.click()
  // Back to idle, saying what happened; Train is offered again.
  await expect(page.getByTestId('training-notice')).toHaveText(/Stopped before training began: no model was made/, { timeout: 60_000 })
  await expect(page.getByTestId('retrain')).toBeEnabled()
  await expect(page.getByTestId('stop-training')).toHaveCount(0)
  await expect(page.getByTestId('training-preparing')).toHaveCount(0)
  await expect(page.getByTestId('training-error')).toHaveCount(0)
  await expect(page.getByTestId('training-live')).toHaveCount(0)
  await saveScreenshot(page, 'training-stopped-while-preparing')
  // No orphan state: the service is idle and no model version (not even an empty folder) was made.
  expect(await callApiJson(page, served().token, 'training:status')).toMatchObject({ state: 'idle', preparing: null, lastResult: { status: 'cancelled', version: '' } })
  expect(await callApiJson(page, served().token, 'models:list')).toEqual([])
  expect(errors).toEqual([])
})
