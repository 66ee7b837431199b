/**
 * The training panel as a new user meets it (issue #15, served app in Chromium, real engine):
 * - item 7: a label added before training and painted nowhere ("Cyst") is named before training,
 *   left out of the model and recorded as left out;
 * - item 9: a bar while the cases are prepared (before the first step), a step bar while it trains,
 *   "estimating…" instead of an ETA from the first steps, and a loss chart with several y ticks;
 * - item 4: the finished panel shows the finished state, not the last phase and CPU load;
 * - polish: "Predict", not "Re-predict", while nothing was predicted; the backend menu disables the
 *   backends the engine found unusable, with the reason;
 * - item 8: after a label is deleted, the panel says why the active model cannot be fine-tuned and
 *   offers "Train a new model" in the message; the server refuses to make the old model active again,
 *   and its Make-active button is off with the reason.
 */
import { expect, test, type Page } from '@playwright/test'
import { callApi } from './fixtures/api'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { saveScreenshot } from './fixtures/screenshots'
import { WorkspacePage } from './fixtures/workspacePage'

let served: ServedApp
// An action that cannot happen fails where it is, rather than at the test's 10-minute limit.
test.use({ actionTimeout: 30_000 })

test.beforeAll(async () => {
  served = await startServedApp()
})

test.afterAll(async () => {
  await served?.stop()
})

interface LabelDef {
  id: number
  name: string
  color: string
}

/** Changes the label table through the API, then reopens the project so that the page reads it afresh. */
async function replaceLabels(page: Page, change: (labels: LabelDef[]) => LabelDef[]): Promise<void> {
  const current = JSON.parse((await callApi(page, served.token, 'projects:current')).body) as { path: string; manifest: { labels: LabelDef[] } }
  const answer = await callApi(page, served.token, 'projects:updateLabels', [change(current.manifest.labels)])
  expect(answer.status, answer.body).toBe(200)
  await new WorkspacePage(page).reopenProject(current.path)
}

interface Seen {
  preparing: boolean
  preparingCounted: boolean
  stepBar: boolean
  estimating: boolean
  numericEta: boolean
}

/**
 * Starts a run with `click` and watches the panel until the run has ended, noting what it showed. A
 * MutationObserver in the page notes each state as the DOM changes: a 3-step run can show its step bar
 * for less time than one round of polling from the test takes (a polled check missed it in CI).
 */
async function watchRun(page: Page, click: () => Promise<void>, screenshot: string): Promise<Seen> {
  await page.evaluate(() => {
    const scope = window as unknown as { voxloopSeen?: Seen; voxloopSeenObserver?: MutationObserver }
    scope.voxloopSeenObserver?.disconnect()
    const seen: Seen = { preparing: false, preparingCounted: false, stepBar: false, estimating: false, numericEta: false }
    const shown = (id: string): HTMLElement | null => {
      const element = document.querySelector<HTMLElement>(`[data-testid="${id}"]`)
      return element && element.offsetParent !== null ? element : null
    }
    const check = (): void => {
      if (shown('training-preparing')) {
        seen.preparing = true
        if (/\d+ of \d+/.test(shown('training-preparing-text')?.textContent ?? '')) seen.preparingCounted = true
      }
      if (shown('training-progress-bar')) seen.stepBar = true
      const eta = shown('training-eta')?.textContent ?? ''
      if (eta === 'estimating…') seen.estimating = true
      if (/\d+ (s|min)/.test(eta)) seen.numericEta = true
    }
    scope.voxloopSeen = seen
    scope.voxloopSeenObserver = new MutationObserver(check)
    scope.voxloopSeenObserver.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true })
  })
  await click()
  // The previous run's result (or the one read back after a reload) goes as the new run starts.
  await expect(page.getByTestId('training-result')).toBeHidden({ timeout: 10_000 })
  let shot = false
  const until = Date.now() + 240_000
  while (Date.now() < until) {
    if (!shot && (await page.getByTestId('training-preparing').isVisible())) {
      const text = (await page.getByTestId('training-preparing-text').textContent().catch(() => '')) ?? ''
      if (/\d+ of \d+/.test(text)) {
        await saveScreenshot(page, `${screenshot}-preparing`)
        shot = true
      }
    }
    if (await page.getByTestId('training-result').isVisible()) break
    await page.waitForTimeout(100)
  }
  await expect(page.getByTestId('training-result')).toContainText(/completed|early-stopped/, { timeout: 10_000 })
  return page.evaluate(() => {
    const scope = window as unknown as { voxloopSeen?: Seen; voxloopSeenObserver?: MutationObserver }
    scope.voxloopSeenObserver?.disconnect()
    if (!scope.voxloopSeen) throw new Error('the page lost the observer (it reloaded during the run)')
    return scope.voxloopSeen
  })
}

test('training feedback, empty labels and a changed label table', async ({ page }) => {
  test.setTimeout(600_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto(served.url)
  await new WorkspacePage(page).createDemo()

  // The backend menu offers only what this machine's engine found usable; the others say why.
  const report = JSON.parse((await callApi(page, served.token, 'system:backends')).body) as { probes: Array<{ id: string; available: boolean; reason: string }> }
  for (const probe of report.probes) {
    const option = page.getByTestId(`backend-option-${probe.id}`)
    if (probe.available) await expect(option).toBeEnabled()
    else {
      await expect(option).toBeDisabled()
      await expect(option).toHaveAttribute('title', `Not available: ${probe.reason}`)
    }
  }

  // A label added before training and painted on no case.
  await replaceLabels(page, (labels) => [...labels, { id: 4, name: 'Cyst', color: '#d0d020' }])
  await expect(page.getByTestId('empty-labels-warning')).toContainText('Cyst (4)')
  await expect(page.getByTestId('empty-labels-warning')).toContainText('leaves it out')

  // The smallest run the other specs use.
  await page.locator('button[title="Training settings"]').click()
  await page.getByTestId('train-epochs').fill('1')
  await page.getByTestId('train-steps').fill('3')
  await page.getByTestId('train-patch').fill('32')
  const first = await watchRun(page, () => page.getByTestId('retrain').click(), 'training-feedback-1')
  expect(first.preparing, 'a bar while the cases are prepared').toBe(true)
  expect(first.preparingCounted, 'the preparing bar counts cases').toBe(true)
  expect(first.stepBar, 'a step bar while it trains').toBe(true)
  // Three steps are fewer than the engine times before it gives an ETA.
  expect(first.estimating).toBe(true)
  expect(first.numericEta).toBe(false)

  // Finished: its end, not the last phase; no live CPU figure; the ETA says finished.
  await expect(page.getByTestId('training-phase')).toHaveText(/^(completed|early-stopped)$/)
  await expect(page.getByTestId('cpu-load')).toHaveCount(0)
  await expect(page.getByTestId('training-eta')).toHaveText('finished')
  await expect(page.getByTestId('training-preparing')).toHaveCount(0)
  await expect(page.getByTestId('excluded-labels')).toContainText('Cyst (4)')
  // The loss chart reads: at least three y ticks.
  const ticks = ((await page.getByTestId('loss-chart').locator('.line-chart').getAttribute('data-y-ticks')) ?? '').split(' ').filter((t) => t)
  expect(ticks.length, `y ticks: ${ticks.join(', ')}`).toBeGreaterThanOrEqual(3)
  const version = ((await page.getByTestId('training-result').locator('strong').textContent()) ?? '').trim()
  await page.getByTestId('activate-new-model').click()
  await expect(page.getByTestId('model-versions').locator(`tr[data-version="${version}"] [data-testid="active-badge"]`)).toBeVisible()
  // Nothing predicted yet: the button predicts, it does not "re-predict".
  await expect(page.getByTestId('repredict')).toHaveText(/^\s*Predict 4 cases not done\s*$/)
  await saveScreenshot(page, 'training-feedback-1-finished')

  // Delete "Lesion": the active model predicts a label the project no longer has.
  await replaceLabels(page, (labels) => labels.filter((l) => l.name !== 'Lesion'))
  await expect(page.getByTestId('fine-tune-blocked')).toContainText('Lesion (2)')
  await expect(page.getByTestId('retrain')).toHaveText(/Train a new model/)
  // Nor does it predict: its labels would be written under a label that no longer exists.
  await expect(page.getByTestId('predict-cases')).toBeDisabled()
  await expect(page.getByTestId('predict-cases')).toHaveAttribute('title', /Lesion \(2\)/)
  await saveScreenshot(page, 'training-feedback-2-labels-changed')
  // The server refuses to make it active again, whatever a page sends.
  const refused = await callApi(page, served.token, 'models:activate', [version])
  expect(refused.status).toBeGreaterThanOrEqual(400)
  expect(refused.body).toContain('Lesion (2)')

  // The way out is in the message itself.
  await page.locator('button[title="Training settings"]').click()
  await page.getByTestId('train-epochs').fill('1')
  await page.getByTestId('train-steps').fill('3')
  await page.getByTestId('train-patch').fill('32')
  await watchRun(page, () => page.getByTestId('train-new-model').click(), 'training-feedback-2')
  const second = ((await page.getByTestId('training-result').locator('strong').textContent()) ?? '').trim()
  expect(second).not.toBe(version)
  await page.getByTestId('activate-new-model').click()
  await expect(page.getByTestId('model-versions').locator(`tr[data-version="${second}"] [data-testid="active-badge"]`)).toBeVisible()
  // The old version cannot be made active: its button is off and says why.
  const oldActivate = page.getByTestId(`activate-${version}`)
  await expect(oldActivate).toBeDisabled()
  await expect(oldActivate).toHaveAttribute('title', /Lesion \(2\)/)
  await expect(page.getByTestId(`label-mismatch-${version}`)).toBeVisible()
  await expect(page.getByTestId('fine-tune-blocked')).toHaveCount(0)
  await saveScreenshot(page, 'training-feedback-3-new-model')
  expect(errors).toEqual([])
})
