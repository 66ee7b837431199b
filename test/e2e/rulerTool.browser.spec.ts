import { expect, test } from '@playwright/test'
import type { Vec3 } from '../../src/shared/volume'
import { distanceMm } from '../../src/renderer/src/tools/ruler/ruler'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { saveScreenshot } from './fixtures/screenshots'
import { WorkspacePage } from './fixtures/workspacePage'

let served: ServedApp | null = null

test.afterEach(async () => {
  await served?.stop()
  served = null
})

test('the ruler measures in mm between two points of a slice, stays over other tools, and goes with Esc', async ({ page }) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  served = await startServedApp()
  await page.goto(served.url)
  const workspace = new WorkspacePage(page)
  await workspace.openDemoCase('demo-03')
  const spacing = (await page.evaluate(() => {
    const root = document.querySelector('.voxloop-viewer') as (HTMLElement & { voxloopViewer?: { header: { spacing: number[] } | null } }) | null
    return root?.voxloopViewer?.header?.spacing ?? null
  })) as Vec3 | null
  expect(spacing).not.toBeNull()

  await page.keyboard.press('m')
  await expect(page.getByTestId('tool-ruler')).toHaveClass(/active/)
  const from = await workspace.at('axial', 0.3, 0.4)
  const to = await workspace.at('axial', 0.7, 0.6)
  const a = (await workspace.hover(from)).point
  const b = (await workspace.hover(to)).point
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move(to.x, to.y, { steps: 6 })
  await page.mouse.up()
  const ruler = page.locator('.view-axial [data-testid="ruler"]')
  await expect(ruler).toBeVisible()
  const expected = distanceMm(a, b, spacing!)
  expect(Number(await ruler.getAttribute('data-length-mm'))).toBeCloseTo(expected, 1)
  await expect(ruler.getByTestId('ruler-length')).toHaveText(`${expected.toFixed(1)} mm`)
  await expect(page.getByTestId('workspace-message')).toHaveText(`Ruler: ${expected.toFixed(1)} mm`)
  // The line is drawn where the points are: its ends are the pointer positions, relative to the view.
  const cell = await page.locator('.viewer-cell.view-axial').boundingBox()
  // The layer covers the view (inline style attributes are refused by the app's CSP: a layer styled
  // that way stays a 300×150 box in a corner, drawn but not where the points are).
  const layer = await ruler.boundingBox()
  expect(layer?.width).toBeCloseTo(cell!.width, 0)
  expect(layer?.height).toBeCloseTo(cell!.height, 0)
  const line = ruler.locator('line').last()
  expect(Number(await line.getAttribute('x1')) + cell!.x).toBeCloseTo(from.x, -0.5)
  expect(Number(await line.getAttribute('y2')) + cell!.y).toBeCloseTo(to.y, -0.5)
  await saveScreenshot(page, 'ruler-measurement')

  // Two clicks measure too, replacing the last measurement.
  const third = await workspace.at('axial', 0.5, 0.3)
  const c = (await workspace.hover(third)).point
  await page.mouse.down()
  await page.mouse.up()
  await page.mouse.move(to.x, to.y)
  await page.mouse.down()
  await page.mouse.up()
  await expect(ruler.getByTestId('ruler-length')).toHaveText(`${distanceMm(c, b, spacing!).toFixed(1)} mm`)

  // Another tool: the measurement stays; another slice hides it; Esc removes it.
  await page.keyboard.press('n')
  await expect(ruler).toBeVisible()
  await page.keyboard.press('ArrowUp')
  await expect(ruler).toBeHidden()
  await page.keyboard.press('ArrowDown')
  await expect(ruler).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(ruler).toHaveCount(0)

  // A measurement belongs to its case: it goes when another case opens in the same viewer.
  await page.keyboard.press('m')
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move(to.x, to.y, { steps: 4 })
  await page.mouse.up()
  await expect(ruler).toBeVisible()
  await page.getByTestId('next-case').click()
  await expect(page.getByTestId('case-id')).not.toHaveText('demo-03')
  await workspace.waitForFirstFrame()
  await expect(page.locator('[data-testid="ruler"]')).toHaveCount(0)
  expect(errors).toEqual([])
})
