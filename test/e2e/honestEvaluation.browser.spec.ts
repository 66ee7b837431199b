/**
 * Honest evaluation in the served app (real Chromium, real engine): a case moved to the test split
 * with the case table's split control (which first says what the move makes incomparable) stays
 * out of training; the training panel's loss chart plots the validation loss beside the training
 * loss; the model table shows training, validation and test figures apart, and marks the test
 * figures once the test split has changed.
 */
import path from 'node:path'
import { expect, test, type Page } from '@playwright/test'
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

const TEST_CASE = 'demo-06'

/** Picks a split in the case table; a move that needs confirming shows why, and `answer` says yes or no. */
async function chooseSplit(page: Page, caseId: string, split: string, answer: 'move' | 'cancel'): Promise<void> {
  await page.getByTestId(`split-${caseId}`).selectOption(split)
  const confirm = page.getByTestId('split-confirm')
  await expect(confirm).toBeVisible()
  await page.getByTestId(answer === 'move' ? 'split-confirm-move' : 'split-confirm-cancel').click()
  await expect(confirm).toBeHidden()
}

test('split control, validation loss curve and the model table with training, validation and test figures apart', async ({ page }) => {
  test.setTimeout(420_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(served.url)
  await new WorkspacePage(page).createDemo()

  // No run has used the cases yet: no split. Moving one to validation asks first, and Cancel keeps it.
  await expect(page.getByTestId(`split-${TEST_CASE}`)).toHaveValue('')
  await page.getByTestId('split-demo-05').selectOption('validation')
  await expect(page.getByTestId('split-confirm')).toContainText('validation figures of versions trained before are not comparable')
  await page.getByTestId('split-confirm-cancel').click()
  await expect(page.getByTestId('split-demo-05')).toHaveValue('')

  // Moving a case to test says that earlier test figures stop comparing; confirmed, it is recorded.
  await page.getByTestId(`split-${TEST_CASE}`).selectOption('test')
  await expect(page.getByTestId('split-confirm')).toContainText(`Move ${TEST_CASE} from no split to test?`)
  await expect(page.getByTestId('split-confirm')).toContainText('test figures measured before (voxloop evaluate --split test) are not comparable')
  await saveScreenshot(page, 'honest-0-split-confirm')
  await page.getByTestId('split-confirm-move').click()
  await expect(page.getByTestId(`split-${TEST_CASE}`)).toHaveValue('test')
  const cases = (await callApiJson(page, served.token, 'cases:list')) as Array<{ id: string; split: string | null }>
  expect(cases.find((c) => c.id === TEST_CASE)?.split).toBe('test')

  // A tiny run of two epochs: the loss chart gets a validation series beside the training loss.
  await page.getByTestId('tab-models').click()
  await page.locator('button[title="Training settings"]').click()
  await page.getByTestId('train-epochs').fill('2')
  await page.getByTestId('train-steps').fill('3')
  await page.getByTestId('train-patch').fill('32')
  // The network by name, from the registry's list: the default is nnU-Net's plain U-Net with deep
  // supervision; the residual U-Net has one output, so deep supervision cannot be asked of it.
  await expect(page.getByTestId('train-deep-supervision')).toBeChecked()
  await page.getByTestId('train-architecture').selectOption('residual-unet')
  await expect(page.getByTestId('train-deep-supervision')).toBeDisabled()
  await page.getByTestId('train-architecture').selectOption('plain-unet')
  await expect(page.getByTestId('train-deep-supervision')).toBeEnabled()
  await page.getByTestId('retrain').click()
  await expect(page.getByTestId('training-result')).toContainText(/completed|early-stopped/, { timeout: 300_000 })
  const version = ((await page.getByTestId('training-result').locator('strong').textContent()) ?? '').trim()
  // The phase says how the run ended, not what its last progress event was doing.
  await expect(page.getByTestId('training-phase')).toHaveText(/^(completed|early-stopped)$/)
  const chart = page.getByTestId('loss-chart')
  await expect(chart.locator('.u-legend')).toContainText('training, per step')
  await expect(chart.locator('.u-legend')).toContainText('training, epoch mean')
  await expect(chart.locator('.u-legend')).toContainText('validation')
  await chart.scrollIntoViewIfNeeded()
  await chart.screenshot({ path: path.join(SCREENSHOT_DIR, 'honest-1-loss-chart.png') })
  await saveScreenshot(page, 'honest-1-training-panel')

  // The run left the test case out, and the version's figures sit in their own columns.
  const versions = (await callApiJson(page, served.token, 'models:list')) as Array<{ version: string; trainLoss: number; metrics: { loss: number; perLabel: Array<{ name: string; dice: number }> }; trainingCases: number; validationCases: number }>
  const listed = versions.find((v) => v.version === version)
  // Six curated demo cases, one of them in test: the other five train or validate.
  expect((listed?.trainingCases ?? 0) + (listed?.validationCases ?? 0)).toBe(5)
  expect(listed?.validationCases).toBeGreaterThanOrEqual(1)
  const row = page.getByTestId('model-versions').locator(`tr[data-version="${version}"]`)
  await expect(row.getByTestId(`network-${version}`)).toHaveText('plain-unet + DS')
  await expect(row.getByTestId(`train-cases-${version}`)).toHaveText(String(listed?.trainingCases))
  await expect(row.getByTestId(`cases-${version}`)).toContainText(`${listed?.validationCases} fixed`)
  await expect(row.getByTestId(`train-loss-${version}`)).toHaveText((listed?.trainLoss ?? NaN).toFixed(3))
  await expect(row.getByTestId(`val-loss-${version}`)).toHaveText((listed?.metrics.loss ?? NaN).toFixed(3))
  await expect(row.getByTestId(`metrics-${version}`)).toContainText(`Organ ${(listed?.metrics.perLabel.find((l) => l.name === 'Organ')?.dice ?? NaN).toFixed(3)}`)
  await expect(row.getByTestId(`test-metrics-${version}`)).toHaveText('not measured')

  // evaluate --split test (the API the CLI uses): the report becomes the version's test figures.
  const report = (await callApiJson(page, served.token, 'models:evaluate', [{ version, split: 'test' }])) as { cases: Array<{ caseId: string }>; mean: { perLabel: Array<{ name: string; dice: number }> } }
  expect(report.cases.map((c) => c.caseId)).toEqual([TEST_CASE])
  await page.getByTestId('tab-cases').click()
  await page.getByTestId('tab-models').click()
  await expect(row.getByTestId(`test-cases-${version}`)).toHaveText('1')
  for (const label of report.mean.perLabel) await expect(row.getByTestId(`test-metrics-${version}`)).toContainText(`${label.name} ${label.dice.toFixed(3)}`)
  await expect(row.getByTestId('test-split-changed')).toHaveCount(0)
  await expect(row.getByTestId('test-seen')).toHaveCount(0)
  const table = page.getByTestId('model-versions')
  await table.scrollIntoViewIfNeeded()
  await table.screenshot({ path: path.join(SCREENSHOT_DIR, 'honest-2-model-table.png') })

  // Moving the test case back to train: the stored test figures are marked as from another split.
  await page.getByTestId('tab-cases').click()
  await chooseSplit(page, TEST_CASE, 'train', 'move')
  await expect(page.getByTestId(`split-${TEST_CASE}`)).toHaveValue('train')
  await page.getByTestId('tab-models').click()
  await expect(row.getByTestId('test-split-changed')).toContainText('other test split')
  // At 1440 × 900 the table fits its card: no column (the caveat, the action button) is cut off.
  expect(await table.evaluate((section) => section.scrollWidth - section.clientWidth)).toBeLessThanOrEqual(0)
  await table.screenshot({ path: path.join(SCREENSHOT_DIR, 'honest-3-model-table-split-changed.png') })
  expect(errors).toEqual([])
})
