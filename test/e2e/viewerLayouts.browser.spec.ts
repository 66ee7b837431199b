import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { SCREENSHOT_DIR, saveScreenshot } from './fixtures/screenshots'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { WorkspacePage } from './fixtures/workspacePage'

/**
 * The viewer items of issue #15: 1×3 layout and a layout button that says what is shown, the 3D
 * view's orientation marker and smoothed label surfaces, PNG screenshots with the orientation
 * letters, captions with a backing clear of the image, a two-tone brush ring, threshold preview.
 */

let served: ServedApp
let base: string

test.beforeAll(async () => {
  served = await startServedApp()
  base = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-viewer-'))
})

test.afterAll(async () => {
  await served?.stop()
  await rm(base, { recursive: true, force: true })
})

type Rgba = [number, number, number, number]

/** Pixels of a view's WebGL canvas (kept with preserveDrawingBuffer) after the next two frames. */
async function canvasPixels(page: Page, view: string, box: { x: number; y: number; w: number; h: number }): Promise<Rgba[]> {
  return page.evaluate(
    async ({ view, box }) => {
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))
      const source = document.querySelector(`.view-${view} canvas`) as HTMLCanvasElement
      const copy = document.createElement('canvas')
      copy.width = source.width
      copy.height = source.height
      const context = copy.getContext('2d') as CanvasRenderingContext2D
      context.drawImage(source, 0, 0)
      const data = context.getImageData(box.x, box.y, box.w, box.h).data
      const out: Array<[number, number, number, number]> = []
      for (let i = 0; i < data.length; i += 4) out.push([data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!])
      return out
    },
    { view, box }
  )
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG')
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
}

/** Decodes a PNG in the page and describes it: distinct colours, grey-level spread, and pixels near `near`. */
async function pngStats(page: Page, bytes: Buffer, near: { x: number; y: number; r: number; color: [number, number, number] } | null) {
  return page.evaluate(
    async ({ base64, near }) => {
      // Decoded from bytes (the app's CSP allows no fetch of data: URLs).
      const blob = new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], { type: 'image/png' })
      const bitmap = await createImageBitmap(blob)
      const canvas = document.createElement('canvas')
      canvas.width = bitmap.width
      canvas.height = bitmap.height
      const context = canvas.getContext('2d') as CanvasRenderingContext2D
      context.drawImage(bitmap, 0, 0)
      const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data
      const colours = new Set<number>()
      let sum = 0
      let sumSq = 0
      const n = data.length / 4
      for (let i = 0; i < data.length; i += 4) {
        colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!)
        const grey = (data[i]! + data[i + 1]! + data[i + 2]!) / 3
        sum += grey
        sumSq += grey * grey
      }
      let matches = 0
      if (near) {
        for (let y = Math.max(0, near.y - near.r); y < Math.min(bitmap.height, near.y + near.r); y++) {
          for (let x = Math.max(0, near.x - near.r); x < Math.min(bitmap.width, near.x + near.r); x++) {
            const o = (y * bitmap.width + x) * 4
            if (Math.abs(data[o]! - near.color[0]) + Math.abs(data[o + 1]! - near.color[1]) + Math.abs(data[o + 2]! - near.color[2]) < 60) matches++
          }
        }
      }
      return { colours: colours.size, sd: Math.sqrt(sumSq / n - (sum / n) ** 2), matches }
    },
    { base64: bytes.toString('base64'), near }
  )
}

async function openDemo(page: Page, id: string): Promise<WorkspacePage> {
  const workspace = new WorkspacePage(page)
  await page.getByTestId(`open-case-${id}`).click()
  await expect(page.getByTestId('case-id')).toHaveText(id)
  await workspace.waitForFirstFrame()
  return workspace
}

test('viewer: 1×3 layout, layout buttons that match the views, 3D marker and smooth surfaces, PNG export', async ({ page }) => {
  test.setTimeout(240_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(served.url)
  await new WorkspacePage(page).createDemo()
  await openDemo(page, 'demo-01')
  const viewer = page.getByTestId('viewer')

  // 1×3: the three slice views side by side, the 3D view hidden, the 1×3 button lit.
  await page.getByTestId('layout-1x3').click()
  await expect(viewer).toHaveAttribute('data-layout', '1x3')
  await expect(page.getByTestId('layout-1x3')).toHaveClass(/active/)
  await expect(page.locator('.viewer-cell.view-3d')).toBeHidden()
  const boxes = await Promise.all(['axial', 'coronal', 'sagittal'].map(async (v) => page.locator(`.viewer-cell.view-${v}`).boundingBox()))
  const [axial, coronal, sagittal] = boxes.map((b) => {
    if (!b) throw new Error('a slice view is not shown in 1×3')
    return b
  }) as [NonNullable<(typeof boxes)[0]>, NonNullable<(typeof boxes)[0]>, NonNullable<(typeof boxes)[0]>]
  expect(Math.abs(axial.y - coronal.y)).toBeLessThan(2)
  expect(Math.abs(axial.y - sagittal.y)).toBeLessThan(2)
  expect(axial.x + axial.width).toBeLessThanOrEqual(coronal.x + 1)
  expect(coronal.x + coronal.width).toBeLessThanOrEqual(sagittal.x + 1)
  expect(axial.height).toBeGreaterThan(axial.width * 0.8) // tall columns, not a squeezed grid
  await saveScreenshot(page, 'viewer-layout-1x3')
  // Its shortcut, from the command table: G gives the 2×2 grid, Shift+G the 1×3 row.
  await page.keyboard.press('g')
  await expect(viewer).toHaveAttribute('data-layout', 'grid')
  await expect(page.getByTestId('layout-grid')).toHaveClass(/active/)
  await page.keyboard.press('Shift+G')
  await expect(viewer).toHaveAttribute('data-layout', '1x3')
  await expect(page.getByTestId('layout-1x3')).toHaveClass(/active/)

  // Defect 4 (part): a single view chosen, then another case opened. The views shown and the lit
  // button must agree (the new viewer used to start in 2×2 while "Axial" stayed lit).
  await page.getByTestId('layout-axial').click()
  await expect(viewer).toHaveAttribute('data-layout', 'axial')
  await page.getByTestId('back-to-cases').click()
  await openDemo(page, 'demo-02')
  await expect(page.getByTestId('layout-axial')).toHaveClass(/active/)
  await expect(viewer).toHaveAttribute('data-layout', 'axial')
  await expect(page.locator('.viewer-cell.view-coronal')).toBeHidden()
  await expect(page.locator('.viewer-layouts button.active, .layouts button.active')).toHaveCount(1)
  await saveScreenshot(page, 'viewer-layout-kept-after-reopen')

  // 2×2: the 3D view shows the labels as smoothed surfaces and an orientation marker.
  await page.getByTestId('layout-grid').click()
  await expect(viewer).toHaveAttribute('data-layout', 'grid')
  const cell3d = page.locator('.viewer-cell.view-3d')
  await expect(cell3d).toHaveAttribute('data-surface-vertices', /^[1-9]\d*$/, { timeout: 60_000 })
  await expect(cell3d).toHaveAttribute('data-surface-smoothing', /^[1-9]\d*$/)
  const surfaceLabels = ((await cell3d.getAttribute('data-surface-labels')) ?? '').split(',').map(Number)
  expect(surfaceLabels).toContain(1)
  await expect(cell3d).toHaveAttribute('data-marker-axes', /^R:-?\d/)
  const markerBefore = await cell3d.getAttribute('data-marker-axes')
  // The surfaces are drawn in their label colours: the organ's orange shows in the 3D canvas.
  const box3d = await page.locator('.view-3d canvas').boundingBox()
  if (!box3d) throw new Error('no 3D canvas')
  const pixels3d = await canvasPixels(page, '3d', { x: 0, y: 0, w: Math.floor(box3d.width), h: Math.floor(box3d.height) })
  const orange = pixels3d.filter(([r, g, b]) => r > 90 && r > b * 1.6 && g > b && r > g)
  expect(orange.length).toBeGreaterThan(200)
  await saveScreenshot(page, 'viewer-3d-surfaces-and-marker')
  // Turning the view turns the marker.
  await page.mouse.move(box3d.x + box3d.width / 2, box3d.y + box3d.height / 2)
  await page.mouse.down()
  await page.mouse.move(box3d.x + box3d.width / 2 + 120, box3d.y + box3d.height / 2 + 40, { steps: 6 })
  await page.mouse.up()
  await expect(cell3d).not.toHaveAttribute('data-marker-axes', markerBefore ?? '')
  await page.locator('.view-3d').screenshot({ path: path.join(SCREENSHOT_DIR, 'viewer-3d-rotated.png') })
  // The cut-away opens the surfaces too (clip planes), as it opens the ray-marched image. With the
  // image hidden, only the surfaces can change the picture when the cut-away is switched on.
  const set3d = (options: { showImage: boolean }): Promise<void> =>
    page.evaluate((o) => {
      type Viewer = { set3dOptions(options: { showImage: boolean }): void }
      ;(document.querySelector('.voxloop-viewer') as unknown as { voxloopViewer: Viewer }).voxloopViewer.set3dOptions(o)
    }, options)
  const whole3d = { x: 0, y: 0, w: Math.floor(box3d.width), h: Math.floor(box3d.height) }
  await set3d({ showImage: false })
  const uncut = await canvasPixels(page, '3d', whole3d)
  await page.getByText('3D: cut away at the crosshair').click()
  const changed = async (): Promise<number> =>
    (await canvasPixels(page, '3d', whole3d)).filter((p, i) => Math.abs(p[0] - uncut[i]![0]) + Math.abs(p[1] - uncut[i]![1]) + Math.abs(p[2] - uncut[i]![2]) > 60).length
  await expect.poll(changed).toBeGreaterThan(300)
  await page.locator('.view-3d').screenshot({ path: path.join(SCREENSHOT_DIR, 'viewer-3d-cut-away.png') })
  await set3d({ showImage: true })
  await page.getByText('3D: cut away at the crosshair').click()

  // Screenshot of the whole layout: a PNG of the views' size, not blank.
  const cellsBox = await page.evaluate(() => {
    const rects = [...document.querySelectorAll('.voxloop-viewer .viewer-cell')].filter((c) => !(c as HTMLElement).hidden).map((c) => c.getBoundingClientRect())
    return { width: Math.max(...rects.map((r) => r.right)) - Math.min(...rects.map((r) => r.left)), height: Math.max(...rects.map((r) => r.bottom)) - Math.min(...rects.map((r) => r.top)) }
  })
  const [layoutDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('screenshot-layout').click()])
  expect(layoutDownload.suggestedFilename()).toMatch(/^voxloop-layout-grid-\d{8}-\d{6}\.png$/)
  const layoutFile = path.join(SCREENSHOT_DIR, 'viewer-export-layout.png')
  await layoutDownload.saveAs(layoutFile)
  const layoutPng = await readFile(layoutFile)
  expect(pngSize(layoutPng)).toEqual({ width: Math.round(cellsBox.width), height: Math.round(cellsBox.height) })
  const layoutStats = await pngStats(page, layoutPng, null)
  expect(layoutStats.colours).toBeGreaterThan(200)
  expect(layoutStats.sd).toBeGreaterThan(10)

  // Screenshot of one view (the coronal, clicked): its size, with the orientation letters drawn in.
  await page.locator('.view-coronal canvas').click({ position: { x: 30, y: 30 } })
  const coronalCell = page.locator('.viewer-cell.view-coronal')
  const coronalBox = await coronalCell.boundingBox()
  const topLetter = await coronalCell.locator('.orientation-letter.top').boundingBox()
  if (!coronalBox || !topLetter) throw new Error('no coronal view or letter')
  const [viewDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('screenshot-view').click()])
  expect(viewDownload.suggestedFilename()).toMatch(/^voxloop-coronal-/)
  const viewFile = path.join(SCREENSHOT_DIR, 'viewer-export-coronal.png')
  await viewDownload.saveAs(viewFile)
  const viewPng = await readFile(viewFile)
  expect(pngSize(viewPng)).toEqual({ width: Math.round(coronalBox.width), height: Math.round(coronalBox.height) })
  const letterAt = { x: Math.round(topLetter.x - coronalBox.x + topLetter.width / 2), y: Math.round(topLetter.y - coronalBox.y + topLetter.height / 2), r: 8 }
  const viewStats = await pngStats(page, viewPng, { ...letterAt, color: [255, 212, 121] })
  expect(viewStats.colours).toBeGreaterThan(100)
  expect(viewStats.matches, 'the orientation letter "S" is drawn into the PNG in its colour').toBeGreaterThan(5)
  expect(errors).toEqual([])
})

test('viewer: captions have a backing and stay off the image; the brush ring shows on bright tissue; threshold preview tints', async ({ page }) => {
  test.setTimeout(180_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(served.url)
  await new WorkspacePage(page).createDemo()
  const workspace = await openDemo(page, 'demo-03')
  await page.getByTestId('layout-grid').click()

  // Captions: a dark backing, and at zoom 1 outside the image (pointing at one finds no voxel).
  for (const view of ['axial', 'coronal', 'sagittal'] as const) {
    const caption = page.locator(`.viewer-cell.view-${view} .slice-label`)
    const backing = await caption.evaluate((element) => getComputedStyle(element).backgroundColor)
    const alpha = Number(/rgba?\((?:[^,]+,){3}\s*([\d.]+)\)/.exec(backing)?.[1] ?? (backing.startsWith('rgb(') ? '1' : '0'))
    // Soft: on failure the overlap and ring checks below still run and report.
    expect.soft(alpha, `${view} caption backing ${backing}`).toBeGreaterThan(0.4)
    const box = await caption.boundingBox()
    if (!box) throw new Error(`no ${view} caption`)
    for (const [fx, fy] of [[0.05, 0.1], [0.5, 0.1], [0.95, 0.1], [0.95, 0.5]]) {
      await workspace.hover(await workspace.at(view, 0.5, 0.5))
      await page.mouse.move(box.x + box.width * fx!, box.y + box.height * fy!)
      await expect.soft(page.getByTestId('cursor-info'), `${view} caption covers the image at ${fx},${fy}`).toHaveAttribute('data-point', '')
    }
  }
  await saveScreenshot(page, 'viewer-captions')

  // The brush ring on an image windowed to white (labels hidden): its dark outline still shows.
  await page.getByTestId('tool-brush').click()
  await page.evaluate(() => {
    type Viewer = { setWindow(window: { center: number; width: number }): void; setLabelStyle(opacity: number, outline: boolean): void }
    const viewer = (document.querySelector('.voxloop-viewer') as unknown as { voxloopViewer: Viewer }).voxloopViewer
    viewer.setLabelStyle(0, false)
    viewer.setWindow({ center: -1e6, width: 1 })
  })
  const canvasBox = await workspace.canvas('axial').boundingBox()
  if (!canvasBox) throw new Error('no axial canvas')
  const cx = Math.round(canvasBox.width * 0.5)
  const cy = Math.round(canvasBox.height * 0.5)
  await page.mouse.move(canvasBox.x + cx + 3, canvasBox.y + cy + 3)
  await page.mouse.move(canvasBox.x + cx, canvasBox.y + cy)
  const around = await canvasPixels(page, 'axial', { x: cx - 40, y: cy - 40, w: 80, h: 80 })
  const white = around.filter(([r, g, b]) => r > 230 && g > 230 && b > 230).length
  const dark = around.filter(([r, g, b]) => r < 60 && g < 60 && b < 60).length
  expect(white, 'the image around the cursor is white').toBeGreaterThan(around.length * 0.5)
  expect.soft(dark, 'the ring has a dark outline on white').toBeGreaterThan(10)
  await page.locator('.view-axial').screenshot({ path: path.join(SCREENSHOT_DIR, 'viewer-brush-ring-on-bright.png') })
  // And on black, its white ring.
  await page.evaluate(() => {
    type Viewer = { setWindow(window: { center: number; width: number }): void }
    ;(document.querySelector('.voxloop-viewer') as unknown as { voxloopViewer: Viewer }).voxloopViewer.setWindow({ center: 1e6, width: 1 })
  })
  await page.mouse.move(canvasBox.x + cx + 1, canvasBox.y + cy)
  const onBlack = await canvasPixels(page, 'axial', { x: cx - 40, y: cy - 40, w: 80, h: 80 })
  expect(onBlack.filter(([r, g, b]) => r > 200 && g > 200 && b > 200).length, 'the ring is white on black').toBeGreaterThan(10)
  await page.locator('.view-axial').screenshot({ path: path.join(SCREENSHOT_DIR, 'viewer-brush-ring-on-dark.png') })

  // Threshold preview: voxels in range are tinted; null removes the tint.
  await page.evaluate(() => {
    type Viewer = { autoWindow(): void; getIntensityRange(): [number, number]; setThresholdPreview(range: { min: number; max: number } | null): void }
    const viewer = (document.querySelector('.voxloop-viewer') as unknown as { voxloopViewer: Viewer }).voxloopViewer
    viewer.autoWindow()
    const [low, high] = viewer.getIntensityRange()
    viewer.setThresholdPreview({ min: low + (high - low) * 0.3, max: high })
  })
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-threshold-preview', /^[-\d.e+]+,[-\d.e+]+$/)
  const full = { x: 0, y: 0, w: Math.floor(canvasBox.width), h: Math.floor(canvasBox.height) }
  const tinted = (pixels: Rgba[]): number => pixels.filter(([r, g, b]) => g > r + 40 && b > r + 40).length
  const withPreview = tinted(await canvasPixels(page, 'axial', full))
  await page.locator('.view-axial').screenshot({ path: path.join(SCREENSHOT_DIR, 'viewer-threshold-preview.png') })
  await page.evaluate(() => {
    type Viewer = { setThresholdPreview(range: null): void }
    ;(document.querySelector('.voxloop-viewer') as unknown as { voxloopViewer: Viewer }).voxloopViewer.setThresholdPreview(null)
  })
  await expect(page.getByTestId('viewer')).not.toHaveAttribute('data-threshold-preview', /./)
  const withoutPreview = tinted(await canvasPixels(page, 'axial', full))
  expect(withPreview).toBeGreaterThan(500)
  expect(withoutPreview).toBeLessThan(withPreview / 10)

  // Through the tool panel: editing the range shows the preview for a moment, then it goes.
  const [rangeLow, rangeHigh] = await page.evaluate(() => {
    type Viewer = { getIntensityRange(): [number, number] }
    return (document.querySelector('.voxloop-viewer') as unknown as { voxloopViewer: Viewer }).voxloopViewer.getIntensityRange()
  })
  const chosenMin = Math.round(rangeLow + (rangeHigh - rangeLow) * 0.35)
  await page.getByTestId('threshold-min').fill(String(chosenMin))
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-threshold-preview', new RegExp(`^${chosenMin},`))
  await page.locator('.voxloop-viewer').screenshot({ path: path.join(SCREENSHOT_DIR, 'viewer-threshold-preview-from-panel.png') })
  expect(tinted(await canvasPixels(page, 'axial', full))).toBeGreaterThan(500)
  await expect(page.getByTestId('viewer')).not.toHaveAttribute('data-threshold-preview', /./, { timeout: 10_000 })
  expect(errors).toEqual([])
})
