/**
 * Losses by name and the 'plateau' schedule in the served app (real Chromium, real engine): the
 * training form offers a loss select that shows only the chosen loss's parameters, refuses
 * dice-bce on the demo's three labels with the labels named, and a tiny Tversky + plateau run
 * records both in its plan; the model table names the loss of a version not trained with the default.
 */
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { callApiJson } from './fixtures/api'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { SCREENSHOT_DIR, saveScreenshot } from './fixtures/screenshots'
import { WorkspacePage } from './fixtures/workspacePage'

let served: ServedApp

test.beforeAll(async () => {
  served = await startServedApp()
})

test.afterAll(async () => {
  await served?.stop()
})

const PARAMETER_FIELDS = ['train-dice-weight', 'train-ce-weight', 'train-tversky-alpha', 'train-tversky-beta', 'train-focal-gamma', 'train-focal-alpha'] as const

test('loss select with its own parameters, dice-bce refused for three labels, a Tversky run on the plateau schedule recorded and shown', async ({ page }) => {
  test.setTimeout(420_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(served.url)
  await new WorkspacePage(page).createDemo()
  await page.getByTestId('tab-models').click()
  await page.locator('button[title="Training settings"]').click()

  const visibleFields = async (): Promise<string[]> => {
    const shown: string[] = []
    for (const id of PARAMETER_FIELDS) if (await page.getByTestId(id).isVisible()) shown.push(id)
    return shown
  }
  // The default loss shows no parameters; each loss shows its two weights and its own parameters only.
  await expect(page.getByTestId('train-loss')).toHaveValue('')
  expect(await visibleFields()).toEqual([])
  await page.getByTestId('train-loss').selectOption('focal')
  expect(await visibleFields()).toEqual(['train-dice-weight', 'train-ce-weight', 'train-focal-gamma', 'train-focal-alpha'])
  await page.getByTestId('train-loss').selectOption('dice-ce')
  expect(await visibleFields()).toEqual(['train-dice-weight', 'train-ce-weight'])
  await page.getByTestId('train-loss').selectOption('tversky')
  expect(await visibleFields()).toEqual(['train-dice-weight', 'train-ce-weight', 'train-tversky-alpha', 'train-tversky-beta'])

  await page.getByTestId('train-epochs').fill('2')
  await page.getByTestId('train-steps').fill('3')
  await page.getByTestId('train-patch').fill('32')

  // dice-bce is for one foreground label: the demo has three, and the refusal names them.
  await page.getByTestId('train-loss').selectOption('dice-bce')
  await page.getByTestId('retrain').click()
  await expect(page.getByTestId('training-error')).toContainText("'dice-bce' is for one foreground label; this model has 3")
  await expect(page.getByTestId('training-error')).toContainText('Organ')

  await page.getByTestId('train-loss').selectOption('tversky')
  await page.getByTestId('train-tversky-alpha').fill('0.2')
  await page.getByTestId('train-schedule').selectOption('plateau')
  await page.getByTestId('training-settings').screenshot({ path: path.join(SCREENSHOT_DIR, 'loss-0-training-settings.png') })
  await page.getByTestId('retrain').click()
  await expect(page.getByTestId('training-result')).toContainText(/completed|early-stopped/, { timeout: 300_000 })
  const version = ((await page.getByTestId('training-result').locator('strong').textContent()) ?? '').trim()

  const status = (await callApiJson(page, served.token, 'training:status')) as { started: { version: string; plan: { loss: unknown; schedule: string; plateauPatience: number } } }
  expect(status.started.version).toBe(version)
  expect(status.started.plan.loss).toEqual({ kind: 'tversky', diceWeight: 1, ceWeight: 1, alpha: 0.2, beta: 0.7 })
  expect(status.started.plan).toMatchObject({ schedule: 'plateau', plateauPatience: 7 })
  const versions = (await callApiJson(page, served.token, 'models:list')) as Array<{ version: string; loss: string; metrics: { pixelAccuracy?: number } | null }>
  const listed = versions.find((v) => v.version === version)
  expect(listed?.loss).toBe('Tversky (α 0.2, β 0.7) + CE')
  expect(listed?.metrics?.pixelAccuracy).toBeGreaterThan(0)

  // The loss chart names the run's loss.
  await expect(page.getByTestId('loss-chart').locator('.u-title')).toHaveText('Loss: Tversky (α 0.2, β 0.7) + CE')
  const row = page.getByTestId('model-versions').locator(`tr[data-version="${version}"]`)
  await expect(row.getByTestId(`loss-${version}`)).toHaveText('Tversky (α 0.2, β 0.7) + CE')
  const table = page.getByTestId('model-versions')
  await table.scrollIntoViewIfNeeded()
  await table.screenshot({ path: path.join(SCREENSHOT_DIR, 'loss-1-model-table.png') })
  expect(await table.evaluate((section) => section.scrollWidth - section.clientWidth)).toBeLessThanOrEqual(0)
  await saveScreenshot(page, 'loss-2-training-panel')
  expect(errors).toEqual([])
})
