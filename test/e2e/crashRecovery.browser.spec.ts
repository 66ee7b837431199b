import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { readLabelNifti } from '../../src/node/formats/nifti'
import { startServedApp } from './fixtures/serveApp'
import { saveScreenshot } from './fixtures/screenshots'
import { WorkspacePage } from './fixtures/workspacePage'

test('edits made just before a crash are recovered at the next start, and the user is told', async ({ page }) => {
  test.setTimeout(180_000)
  const home = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-crash-'))
  try {
    const first = await startServedApp({ home })
    await page.goto(first.url)
    const workspace = new WorkspacePage(page)
    await workspace.openDemoCase('demo-02')
    const labelFile = path.join(home, 'demo-project', 'labels', 'demo-02.nii.gz')
    const before = await readLabelNifti(labelFile)

    await page.getByTestId('tool-brush').click()
    await page.keyboard.press('2')
    const start = await workspace.at('axial', 0.35, 0.35)
    const end = await workspace.at('axial', 0.6, 0.4)
    await page.mouse.move(start.x, start.y)
    await page.mouse.down()
    await page.mouse.move(end.x, end.y, { steps: 8 })
    await page.mouse.up()
    // "Safe in the journal" is the acknowledgement: the edit is on disk although not saved.
    await expect.poll(() => workspace.saveState()).toBe('unsaved')
    await first.kill()

    const second = await startServedApp({ home })
    try {
      await page.goto(second.url)
      await page.getByTestId('recent-projects').getByText('Voxloop demo').click()
      await expect(page.getByTestId('recovery-notice')).toContainText('demo-02')
      await saveScreenshot(page, 'recovered-after-crash')
      const after = await readLabelNifti(labelFile)
      let changed = 0
      for (let i = 0; i < after.data.length; i++) if (after.data[i] !== before.data[i]) changed++
      expect(changed).toBeGreaterThan(0)
      await expect(page.getByTestId('recovery-notice')).toContainText(`${changed.toLocaleString('en-US')} voxels`)
    } finally {
      await second.stop()
    }
  } finally {
    await rm(home, { recursive: true, force: true })
  }
})
