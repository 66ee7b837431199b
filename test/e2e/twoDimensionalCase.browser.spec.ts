import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { readLabelNifti } from '../../src/node/formats/nifti'
import { makeGrid, segmentFootprint } from '../../src/renderer/src/tools'
import { buildNifti } from '../helpers/niftiBuilder'
import { saveScreenshot } from './fixtures/screenshots'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { WorkspacePage } from './fixtures/workspacePage'

/**
 * Issue #17 item 1, the viewer's part: a one-slice case (a 2D image) opens in the single view that
 * holds its plane, upright, filling the viewer, with the layout chooser off and saying why, and the
 * labelling tools working on it; the next 3D case opens in the user's layout again.
 */

let served: ServedApp
let base: string

test.beforeAll(async () => {
  served = await startServedApp()
  base = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-2d-'))
})

test.afterAll(async () => {
  await served?.stop()
  await rm(base, { recursive: true, force: true })
})

const WIDTH = 256
const HEIGHT = 192
/** The bright square, in image pixels (column, row from the top row of the file). */
const SQUARE = { column: 16, row: 16, size: 48 }
const BRIGHT = 1000
const BACKGROUND = 100

/**
 * A 256 × 192 × 1 image as an image file stores it (row 0 the top row) with the affine ITK gives a
 * 2D image (LPS, identity direction: in RAS, i runs left and j posterior), and a label with a
 * 24 × 16 box of label 1 near the bottom-right corner.
 */
function flatCase(): { image: Uint8Array; label: Uint8Array } {
  const pixels = new Int16Array(WIDTH * HEIGHT).fill(BACKGROUND)
  const label = new Uint8Array(WIDTH * HEIGHT)
  for (let row = 0; row < HEIGHT; row++) {
    for (let column = 0; column < WIDTH; column++) {
      const inSquare = column >= SQUARE.column && column < SQUARE.column + SQUARE.size && row >= SQUARE.row && row < SQUARE.row + SQUARE.size
      if (inSquare) pixels[column + WIDTH * row] = BRIGHT
      if (column >= 210 && column < 234 && row >= 160 && row < 176) label[column + WIDTH * row] = 1
    }
  }
  const srow: [[number, number, number, number], [number, number, number, number], [number, number, number, number]] = [
    [-1, 0, 0, 0],
    [0, -1, 0, 0],
    [0, 0, 1, 0]
  ]
  const header = { dims: [WIDTH, HEIGHT, 1], pixdim: [1, 1, 1, 1], sformCode: 1, srow }
  return {
    image: buildNifti({ ...header, datatype: 4, bitpix: 16 }, pixels),
    label: buildNifti({ ...header, datatype: 2, bitpix: 8 }, label)
  }
}

type Box = { x: number; y: number; width: number; height: number }

/** Where the canvas of a view draws: the box of non-black pixels and the box of white ones, in CSS pixels of the canvas. */
async function drawnBoxes(page: Page, view: string): Promise<{ image: Box; bright: Box; brightCount: number; canvas: { width: number; height: number } }> {
  return page.evaluate(async (view) => {
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))
    const source = document.querySelector(`.view-${view} canvas`) as HTMLCanvasElement
    const copy = document.createElement('canvas')
    copy.width = source.width
    copy.height = source.height
    const context = copy.getContext('2d') as CanvasRenderingContext2D
    context.drawImage(source, 0, 0)
    const data = context.getImageData(0, 0, copy.width, copy.height).data
    const scale = source.width / source.getBoundingClientRect().width
    const boxOf = (test: (r: number, g: number, b: number) => boolean): { box: Box; count: number } => {
      let [x0, y0, x1, y1, count] = [Infinity, Infinity, -Infinity, -Infinity, 0]
      for (let y = 0; y < copy.height; y++) {
        for (let x = 0; x < copy.width; x++) {
          const o = (y * copy.width + x) * 4
          if (!test(data[o]!, data[o + 1]!, data[o + 2]!)) continue
          count++
          x0 = Math.min(x0, x)
          y0 = Math.min(y0, y)
          x1 = Math.max(x1, x)
          y1 = Math.max(y1, y)
        }
      }
      return { box: { x: x0 / scale, y: y0 / scale, width: (x1 - x0 + 1) / scale, height: (y1 - y0 + 1) / scale }, count }
    }
    // The window below draws the background grey (about 25) and the square white; outside the image is black.
    const image = boxOf((r, g, b) => r > 10 && Math.abs(r - g) < 8 && Math.abs(g - b) < 8)
    const bright = boxOf((r, g, b) => r > 240 && g > 240 && b > 240)
    return { image: image.box, bright: bright.box, brightCount: bright.count, canvas: { width: source.width / scale, height: source.height / scale } }
  }, view)
}

/**
 * drawnBoxes once the view has stopped changing (two reads 200 ms apart agree): right after the
 * import the view can still be fitting itself, and a box read mid-fit put the cursor check 5 voxels off.
 */
async function settledBoxes(page: Page, view: string): ReturnType<typeof drawnBoxes> {
  let last = await drawnBoxes(page, view)
  for (let attempt = 0; attempt < 25; attempt++) {
    await page.waitForTimeout(200)
    const next = await drawnBoxes(page, view)
    if (JSON.stringify(next) === JSON.stringify(last)) return next
    last = next
  }
  throw new Error(`the ${view} view kept changing for 5 s`)
}

test('a one-slice case opens in one upright view that fills the viewer, is labelled and saved; a 3D case then has its 2×2 layout back', async ({ page }) => {
  test.setTimeout(240_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const source = path.join(base, 'source')
  for (const folder of ['imagesTr', 'labelsTr']) await mkdir(path.join(source, folder), { recursive: true })
  const files = flatCase()
  await writeFile(path.join(source, 'imagesTr', 'flat2d.nii'), files.image)
  await writeFile(path.join(source, 'labelsTr', 'flat2d.nii'), files.label)
  const projectDir = path.join(base, 'project')
  const workspace = new WorkspacePage(page)
  await page.goto(served.url)
  await workspace.createProject(projectDir, 'Flat images')
  await workspace.importPath(source, 'Imported 1 case(s)')
  await workspace.openCase('flat2d')
  const viewer = page.getByTestId('viewer')

  // One view, the axial (the plane that holds i and j), alone and filling the viewer.
  await expect(viewer).toHaveAttribute('data-single-slice', 'axial')
  await expect(viewer).toHaveAttribute('data-layout', 'axial')
  await expect(page.locator('.voxloop-viewer .viewer-cell:visible')).toHaveCount(1)
  await expect(page.locator('.viewer-cell.view-3d')).toBeHidden()
  // Polled: right after the case opens the cell was once measured 36 px short of the viewer (fresh-clone
  // CI, 2026-12-07, also at 77dc8fe), a layout that had not settled yet; what matters is where it settles.
  const misfit = async (): Promise<number> => {
    const viewerBox = await viewer.boundingBox()
    const cellBox = await page.locator('.viewer-cell.view-axial').boundingBox()
    if (!viewerBox || !cellBox) return Infinity
    return Math.max(Math.abs(cellBox.width - viewerBox.width), Math.abs(cellBox.height - viewerBox.height))
  }
  await expect.poll(misfit).toBeLessThan(2)
  // No orientation letters (an image file's affine is a convention, not a measured orientation) and a caption with its size.
  await expect(page.locator('.voxloop-viewer .orientation-letter')).toHaveCount(0)
  await expect(page.locator('.view-axial .slice-label')).toHaveText('2D image 256 × 192')

  // Drawn upright: the bright square at the top-left of the image, the image at its aspect, as large as the view allows.
  await page.evaluate(() => {
    type Viewer = { setWindow(window: { center: number; width: number }): void }
    ;(document.querySelector('.voxloop-viewer') as unknown as { voxloopViewer: Viewer }).voxloopViewer.setWindow({ center: 500, width: 1000 })
  })
  const drawn = await settledBoxes(page, 'axial')
  expect(drawn.image.width / drawn.image.height).toBeCloseTo(WIDTH / HEIGHT, 1)
  // Fitted: the limiting side spans the view less the bands kept for the caption (under 60 px in all).
  expect(Math.max(drawn.canvas.width - drawn.image.width, 0) < 60 || Math.max(drawn.canvas.height - drawn.image.height, 0) < 60).toBe(true)
  const fraction = (at: number, from: number, span: number): number => (at - from) / span
  expect(fraction(drawn.bright.x, drawn.image.x, drawn.image.width)).toBeCloseTo(SQUARE.column / WIDTH, 1)
  expect(fraction(drawn.bright.y, drawn.image.y, drawn.image.height)).toBeCloseTo(SQUARE.row / HEIGHT, 1)
  expect(fraction(drawn.bright.x + drawn.bright.width, drawn.image.x, drawn.image.width)).toBeCloseTo((SQUARE.column + SQUARE.size) / WIDTH, 1)
  expect(fraction(drawn.bright.y + drawn.bright.height, drawn.image.y, drawn.image.height)).toBeCloseTo((SQUARE.row + SQUARE.size) / HEIGHT, 1)
  // The cursor readout agrees: the square's middle is voxel (40, 40, 0), value 1000.
  const canvasBox = await workspace.canvas('axial').boundingBox()
  if (!canvasBox) throw new Error('no axial canvas')
  const squareMiddle = {
    x: canvasBox.x + drawn.image.x + ((SQUARE.column + SQUARE.size / 2) / WIDTH) * drawn.image.width,
    y: canvasBox.y + drawn.image.y + ((SQUARE.row + SQUARE.size / 2) / HEIGHT) * drawn.image.height
  }
  const hovered = await workspace.hover(squareMiddle)
  expect(Math.round(hovered.point[0])).toBeGreaterThanOrEqual(38)
  expect(Math.round(hovered.point[0])).toBeLessThanOrEqual(41)
  expect(Math.round(hovered.point[1])).toBeGreaterThanOrEqual(38)
  expect(Math.round(hovered.point[1])).toBeLessThanOrEqual(41)
  expect(hovered.point[2]).toBe(0)
  await expect(page.getByTestId('hover-value')).toHaveText(String(BRIGHT))
  await saveScreenshot(page, 'two-dimensional-case-opened')

  // A panel beside the view changing size (the label statistics do, as they recount) resizes the
  // canvas, which clears it: the view is drawn again before the browser paints, not a frame later
  // (a black flash, caught once in a screenshot). Read in the same resize batch as the viewer's own.
  const litAfterResize = await page.evaluate(async () => {
    const root = document.querySelector('.voxloop-viewer') as HTMLElement
    const canvas = root.querySelector('.view-axial canvas') as HTMLCanvasElement
    const lit = new Promise<number>((resolve) => {
      const observer = new ResizeObserver(() => {
        observer.disconnect()
        const copy = document.createElement('canvas')
        copy.width = canvas.width
        copy.height = canvas.height
        const context = copy.getContext('2d') as CanvasRenderingContext2D
        context.drawImage(canvas, 0, 0)
        const data = context.getImageData(0, 0, copy.width, copy.height).data
        let count = 0
        for (let i = 0; i < data.length; i += 4) if (data[i]! > 10) count++
        resolve(count)
      })
      observer.observe(root)
    })
    root.style.flex = '0 0 480px'
    const count = await lit
    root.style.flex = ''
    return count
  })
  expect(litAfterResize, 'pixels of the image drawn right after a resize').toBeGreaterThan(10_000)
  await expect.poll(async () => (await drawnBoxes(page, 'axial')).image.width).toBeCloseTo(drawn.image.width, 0)

  // The layout chooser is off and says why; its keys leave the layout (and the saved choice) alone.
  await expect(page.getByTestId('layout-single-slice')).toHaveText('2D image: one view')
  for (const id of ['grid', '1x3', 'axial', 'coronal', 'sagittal', '3d']) {
    await expect(page.getByTestId(`layout-${id}`)).toBeDisabled()
    await expect(page.getByTestId(`layout-${id}`)).toHaveAttribute('title', /^2D image: one view/)
  }
  await page.keyboard.press('Shift+G')
  await expect(page.getByTestId('workspace-message')).toContainText('2D image: one slice')
  await expect(viewer).toHaveAttribute('data-layout', 'axial')
  // Slice keys say so too, and leave the one slice shown.
  await page.keyboard.press('ArrowUp')
  await expect(page.locator('.view-axial .slice-label')).toHaveText('2D image 256 × 192')
  // Interpolation between slices is off, with its reason as the tooltip.
  await expect(page.getByTestId('action-interpolate')).toBeDisabled()
  await expect(page.getByTestId('action-interpolate')).toHaveAttribute('title', /this 2D image has one slice/)
  await page.getByTestId('tool-brush').click()
  await saveScreenshot(page, 'two-dimensional-case-chooser-off')

  // The plain wheel zooms (there is no slice to scroll to); Reset view fits the image again.
  await page.mouse.move(squareMiddle.x, squareMiddle.y)
  await page.mouse.wheel(0, -100)
  await expect.poll(async () => (await drawnBoxes(page, 'axial')).brightCount).toBeGreaterThan(drawn.brightCount * 1.2)
  await page.keyboard.press('r')
  await expect.poll(async () => (await drawnBoxes(page, 'axial')).brightCount).toBeLessThan(drawn.brightCount * 1.1)

  // Paint a stroke with the brush across the middle of the image, then save.
  await page.keyboard.press('1')
  await page.getByTestId('brush-radius').fill('5')
  const samples: Array<{ x: number; y: number }> = []
  for (let s = 0; s <= 6; s++) {
    samples.push({ x: canvasBox.x + drawn.image.x + drawn.image.width * (0.4 + s * 0.04), y: canvasBox.y + drawn.image.y + drawn.image.height * 0.6 })
  }
  const points: Array<[number, number, number]> = []
  for (const sample of samples) points.push((await workspace.hover(sample)).point)
  await page.mouse.move(samples[0]!.x, samples[0]!.y)
  await page.mouse.down()
  for (const sample of samples.slice(1)) await page.mouse.move(sample.x, sample.y)
  await page.mouse.up()
  await expect.poll(() => workspace.saveState()).toBe('unsaved')
  await saveScreenshot(page, 'two-dimensional-case-painted')
  await page.getByTestId('save').click()
  await expect.poll(() => workspace.saveState()).toBe('saved')

  // On disk: the imported box and exactly the brush's footprint of those samples, in the one slice.
  const saved = await readLabelNifti(path.join(projectDir, 'labels', 'flat2d.nii.gz'))
  expect(saved.header.dims).toEqual([WIDTH, HEIGHT, 1])
  const grid = makeGrid(saved.header.dims, saved.header.spacing)
  const expected = new Uint8Array(WIDTH * HEIGHT)
  for (let row = 160; row < 176; row++) for (let column = 210; column < 234; column++) expected[column + WIDTH * row] = 1
  for (let s = 0; s < points.length - 1; s++) {
    for (const index of segmentFootprint(grid, { fromIjk: points[s]!, toIjk: points[s + 1]!, radiusMm: 5, shape: 'disk', axis: 'axial' })) expected[index] = 1
  }
  const mismatches: number[] = []
  let painted = 0
  for (let i = 0; i < expected.length; i++) {
    if (saved.data[i] !== expected[i]) mismatches.push(i)
    if (saved.data[i] === 1 && !(i % WIDTH >= 210 && i % WIDTH < 234 && Math.floor(i / WIDTH) >= 160 && Math.floor(i / WIDTH) < 176)) painted++
  }
  expect(mismatches).toEqual([])
  expect(painted).toBeGreaterThan(200)
  // The stroke ran along row 0.6 · 192 of the file: the painted voxels lie around j = 115, i from about 102 to 169.
  const paintedRows = new Set<number>()
  for (let i = 0; i < saved.data.length; i++) if (saved.data[i] === 1 && Math.floor(i / WIDTH) < 150) paintedRows.add(Math.floor(i / WIDTH))
  expect(Math.min(...paintedRows)).toBeGreaterThan(100)
  expect(Math.max(...paintedRows)).toBeLessThan(130)

  // Grow from seeds works on the one slice: a stroke inside the square and background dabs around
  // it label the whole square (its unseeded corner too) and nothing of the background.
  const clientAt = (column: number, row: number): { x: number; y: number } => ({
    x: canvasBox.x + drawn.image.x + ((column + 0.5) / WIDTH) * drawn.image.width,
    y: canvasBox.y + drawn.image.y + ((row + 0.5) / HEIGHT) * drawn.image.height
  })
  const labelAt = async (column: number, row: number): Promise<number> => (await workspace.hover(clientAt(column, row))).label
  await page.getByTestId('tool-grow-from-seeds').click()
  await expect(page.getByTestId('grow-status')).toHaveAttribute('data-phase', 'idle')
  await page.mouse.move(clientAt(30, 40).x, clientAt(30, 40).y)
  await page.mouse.down()
  await page.mouse.move(clientAt(50, 40).x, clientAt(50, 40).y, { steps: 4 })
  await page.mouse.up()
  await expect(page.getByTestId('grow-status')).toHaveAttribute('data-phase', 'seeding')
  await page.getByTestId('grow-seed-background').click()
  for (const [column, row] of [[90, 30], [90, 90], [30, 100], [150, 40], [8, 8]] as const) {
    await page.mouse.move(clientAt(column, row).x, clientAt(column, row).y)
    await page.mouse.down()
    await page.mouse.up()
  }
  await expect(page.getByTestId('grow-status')).toHaveAttribute('data-phase', 'preview', { timeout: 60_000 })
  await expect(page.getByTestId('grow-status')).toHaveAttribute('data-stale', 'false')
  await page.getByTestId('grow-apply').click()
  await expect(page.getByTestId('grow-status')).toHaveAttribute('data-phase', 'idle')
  expect(await labelAt(SQUARE.column + 2, SQUARE.row + 2)).toBe(1)
  expect(await labelAt(SQUARE.column + SQUARE.size - 3, SQUARE.row + SQUARE.size - 3)).toBe(1)
  expect(await labelAt(SQUARE.column + SQUARE.size + 6, SQUARE.row + 10)).toBe(0)
  expect(await labelAt(100, 60)).toBe(0)
  await saveScreenshot(page, 'two-dimensional-case-grown')

  // A 3D case afterwards: the 2×2 layout the user had, with its chooser back on.
  await page.getByTestId('back-to-cases').click()
  await page.getByTestId('close-project').click()
  await workspace.createDemo()
  await workspace.openCase('demo-01')
  await expect(viewer).toHaveAttribute('data-layout', 'grid')
  await expect(viewer).not.toHaveAttribute('data-single-slice', /./)
  await expect(page.locator('.voxloop-viewer .viewer-cell:visible')).toHaveCount(4)
  await expect(page.getByTestId('layout-grid')).toHaveClass(/active/)
  await expect(page.getByTestId('layout-grid')).toBeEnabled()
  await expect(page.getByTestId('layout-single-slice')).toHaveCount(0)
  await expect(page.locator('.view-axial .orientation-letter')).toHaveCount(4)
  await saveScreenshot(page, 'two-dimensional-then-3d-grid')
  expect(errors).toEqual([])
})

test('an RGB one-slice case opens in its single view, in colour, and shows one channel at a time in grey (the Channel choice)', async ({ page }) => {
  test.setTimeout(180_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  // nnU-Net v2 layout: one file per channel (<case>_0000 …), the channels named in dataset.json.
  const source = path.join(base, 'rgb-source')
  for (const folder of ['imagesTr', 'labelsTr']) await mkdir(path.join(source, folder), { recursive: true })
  await writeFile(
    path.join(source, 'dataset.json'),
    JSON.stringify({ channel_names: { 0: 'R', 1: 'G', 2: 'B' }, labels: { background: 0, spot: 1 }, numTraining: 1, file_ending: '.nii' })
  )
  const header = {
    dims: [WIDTH, HEIGHT, 1],
    pixdim: [1, 1, 1, 1],
    sformCode: 1,
    srow: [
      [-1, 0, 0, 0],
      [0, -1, 0, 0],
      [0, 0, 1, 0]
    ] as [[number, number, number, number], [number, number, number, number], [number, number, number, number]]
  }
  // R: a bright square at the top-left; G: one at the bottom-right; B: flat.
  const channel = (inside: (column: number, row: number) => boolean): Uint8Array => {
    const data = new Uint8Array(WIDTH * HEIGHT)
    for (let row = 0; row < HEIGHT; row++) for (let column = 0; column < WIDTH; column++) data[column + WIDTH * row] = inside(column, row) ? 200 : 20
    return buildNifti({ ...header, datatype: 2, bitpix: 8 }, data)
  }
  await writeFile(path.join(source, 'imagesTr', 'rgb2d_0000.nii'), channel((c, r) => c < 64 && r < 64))
  await writeFile(path.join(source, 'imagesTr', 'rgb2d_0001.nii'), channel((c, r) => c >= WIDTH - 64 && r >= HEIGHT - 64))
  await writeFile(path.join(source, 'imagesTr', 'rgb2d_0002.nii'), channel(() => false))
  await writeFile(path.join(source, 'labelsTr', 'rgb2d.nii'), buildNifti({ ...header, datatype: 2, bitpix: 8 }, new Uint8Array(WIDTH * HEIGHT)))
  const workspace = new WorkspacePage(page)
  await page.goto(served.url)
  await workspace.createProject(path.join(base, 'rgb-project'), 'Colour images')
  await workspace.importPath(source, 'Imported 1 case(s)')
  await workspace.openCase('rgb2d')
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-single-slice', 'axial')
  await expect(page.locator('.voxloop-viewer .viewer-cell:visible')).toHaveCount(1)

  const setWindow = (): Promise<void> =>
    page.evaluate(() => {
      type Viewer = { setWindow(window: { center: number; width: number }): void }
      ;(document.querySelector('.voxloop-viewer') as unknown as { voxloopViewer: Viewer }).voxloopViewer.setWindow({ center: 100, width: 200 })
    })
  const brightCentre = async (): Promise<{ fx: number; fy: number }> => {
    const drawn = await drawnBoxes(page, 'axial')
    return { fx: (drawn.bright.x + drawn.bright.width / 2 - drawn.image.x) / drawn.image.width, fy: (drawn.bright.y + drawn.bright.height / 2 - drawn.image.y) / drawn.image.height }
  }
  // Channels named R, G, B make a colour picture: it opens in colour (colourPicture.browser.spec.ts
  // checks the colours); unticked, one channel is shown in grey.
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-colour', 'rgb')
  await page.getByTestId('colour-display').uncheck()
  await expect(page.getByTestId('viewer')).not.toHaveAttribute('data-colour', /./)
  // Channel R (the first) is shown: its square at the top-left.
  await expect(page.getByTestId('channel').locator('option')).toHaveText(['R', 'G', 'B'])
  await setWindow()
  const red = await brightCentre()
  expect(red.fx).toBeLessThan(0.3)
  expect(red.fy).toBeLessThan(0.4)
  await saveScreenshot(page, 'two-dimensional-rgb-channel-r')
  // Channel G: the same view, now its square at the bottom-right, in grey like any channel.
  await page.getByTestId('channel').selectOption({ label: 'G' })
  await setWindow()
  await expect.poll(async () => (await brightCentre()).fx).toBeGreaterThan(0.7)
  expect((await brightCentre()).fy).toBeGreaterThan(0.6)
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-layout', 'axial')
  await saveScreenshot(page, 'two-dimensional-rgb-channel-g')
  expect(errors).toEqual([])
})
