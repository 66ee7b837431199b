/**
 * The training form's augmentation preset (served app, real engine): the select shows 'medium' by
 * default with the transforms it expands to beneath; another preset shows its own list, quarter
 * turns add their transform and 'none' empties the list and disables them; a run started with a
 * preset records that preset and exactly the listed transforms in its plan.
 */
import { expect, test } from '@playwright/test'
import { augmentationTransforms, describeAugmentationTransform } from '../../src/shared/augmentation'
import type { TrainingStatus } from '../../src/shared/training'
import { callApiJson } from './fixtures/api'
import { saveScreenshot } from './fixtures/screenshots'
import { serveForThisFile } from './fixtures/tinyTraining'
import { WorkspacePage } from './fixtures/workspacePage'

const served = serveForThisFile()

test('augmentation preset select, its transform list, and the plan of a run trained with it', async ({ page }) => {
  test.setTimeout(300_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(served().url)
  await new WorkspacePage(page).createDemo()
  await page.getByTestId('tab-models').click()
  await page.locator('button[title="Training settings"]').click()

  const select = page.getByTestId('train-augmentation')
  const list = page.getByTestId('train-augmentation-list').locator('li')
  const turns = page.getByTestId('train-quarter-turns')
  await expect(select).toHaveValue('medium')
  await expect(list).toHaveText(augmentationTransforms({ preset: 'medium' }).map(describeAugmentationTransform))
  await expect(list.first()).toHaveText('rotate 20%: ±15° in plane')
  await expect(turns).not.toBeChecked()

  await select.selectOption('heavy')
  await expect(list).toHaveText(augmentationTransforms({ preset: 'heavy' }).map(describeAugmentationTransform))
  await expect(page.getByTestId('train-augmentation-list')).toContainText('elastic 20%: α 0–2 voxels on a 10-voxel grid')
  await saveScreenshot(page, 'augmentation-1-heavy')

  await select.selectOption('none')
  await expect(turns).toBeDisabled()
  await expect(list).toHaveText(['no augmentation: every patch as cut from the case'])

  await select.selectOption('light')
  await turns.check()
  const lightWithTurns = augmentationTransforms({ preset: 'light', quarterTurns: true })
  await expect(list).toHaveText(lightWithTurns.map(describeAugmentationTransform))
  await expect(list.first()).toHaveText('rot90 50%: 1–3 quarter turns in the H×W plane')

  // A tiny run with 'light' + quarter turns: its plan records the preset and the list shown.
  await page.getByTestId('train-epochs').fill('1')
  await page.getByTestId('train-steps').fill('3')
  await page.getByTestId('train-patch').fill('32')
  await page.getByTestId('retrain').click()
  await expect(page.getByTestId('training-result')).toContainText(/completed|early-stopped/, { timeout: 240_000 })
  const status = (await callApiJson(page, served().token, 'training:status')) as TrainingStatus
  expect(status.started?.plan.augment).toBe(true)
  expect(status.started?.plan.augmentation).toEqual({ preset: 'light', quarterTurns: true, transforms: lightWithTurns })
  await saveScreenshot(page, 'augmentation-2-after-run')
  expect(errors).toEqual([])
})
