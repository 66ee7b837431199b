import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { readLabelNifti } from '../../src/node/formats/nifti'
import { buildNiftiGz } from '../helpers/niftiBuilder'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { saveScreenshot } from './fixtures/screenshots'
import { WorkspacePage } from './fixtures/workspacePage'

/**
 * Label ids above 255 (issue #14): a TotalSegmentator-sized table (117 labels) plus ids 256, 300 and
 * 65535, a case whose 16-bit label map holds four of them, and a case saved as 8-bit. The viewer must
 * draw each id in its own colour (256 used to show as background), the label panel must list the
 * case's labels first and filter by name or id, and the brush must paint id 300 into the 8-bit case.
 */

const DIMS = [48, 48, 12] as const
const PRESENT = [1, 256, 300, 65535] as const
const ORGANS = ['spleen', 'kidney_right', 'kidney_left', 'gallbladder', 'liver', 'stomach', 'pancreas', 'adrenal_gland_right']

let served: ServedApp
let root: string
let projectDir: string

function labelNames(): Record<string, string> {
  const names: Record<string, string> = { '0': 'background' }
  for (let id = 1; id <= 117; id++) names[String(id)] = ORGANS[id - 1] ?? `structure_${String(id).padStart(3, '0')}`
  names['256'] = 'tumour_core'
  names['300'] = 'oedema'
  names['65535'] = 'last_id'
  return names
}

/** Quadrant squares 16 voxels wide on every slice: 1, 256, 300, 65535 (or only 1 for the 8-bit case). */
function quadrantLabels(values: readonly number[], wide: boolean): Uint8Array | Uint16Array {
  const [nx, ny, nz] = DIMS
  const labels = wide ? new Uint16Array(nx * ny * nz) : new Uint8Array(nx * ny * nz)
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const inX = i >= 4 && i < 20 ? 0 : i >= 28 && i < 44 ? 1 : -1
        const inY = j >= 4 && j < 20 ? 0 : j >= 28 && j < 44 ? 1 : -1
        if (inX < 0 || inY < 0) continue
        const value = values[inY * 2 + inX]
        if (value !== undefined) labels[i + nx * (j + ny * k)] = value
      }
    }
  }
  return labels
}

async function writeDataset(dir: string): Promise<void> {
  const [nx, ny, nz] = DIMS
  const image = new Float32Array(nx * ny * nz)
  for (let n = 0; n < image.length; n++) image[n] = 100 + ((n % nx) + Math.floor(n / nx) % ny) * 2
  await mkdir(path.join(dir, 'imagesTr'), { recursive: true })
  await mkdir(path.join(dir, 'labelsTr'), { recursive: true })
  const geometry = { dims: [...DIMS], pixdim: [1, 1, 1, 1], sformCode: 1 }
  for (const caseId of ['wide_001', 'narrow_002']) {
    await writeFile(path.join(dir, 'imagesTr', `${caseId}.nii.gz`), buildNiftiGz({ ...geometry, datatype: 16 }, image))
  }
  await writeFile(path.join(dir, 'labelsTr', 'wide_001.nii.gz'), buildNiftiGz({ ...geometry, datatype: 512 }, quadrantLabels(PRESENT, true)))
  await writeFile(path.join(dir, 'labelsTr', 'narrow_002.nii.gz'), buildNiftiGz({ ...geometry, datatype: 2 }, quadrantLabels([1], false)))
  await writeFile(
    path.join(dir, 'dataset.json'),
    JSON.stringify({
      name: 'WideIds',
      modality: { '0': 'MRI' },
      labels: labelNames(),
      training: ['wide_001', 'narrow_002'].map((id) => ({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` }))
    })
  )
}

/** Client points at the centres of the four quadrant squares of the axial view (1 mm voxels, fitted). */
async function quadrantCentres(workspace: WorkspacePage): Promise<Array<{ x: number; y: number }>> {
  const box = await workspace.canvas('axial').boundingBox()
  if (!box) throw new Error('no axial canvas')
  // SliceView fits the 48 mm slice with a 4 % margin, keeping square pixels.
  const pxPerMm = Math.min(box.width, box.height) / (DIMS[0] * 1.04)
  const cx = box.x + box.width / 2
  const cy = box.y + box.height / 2
  return [-12, 12].flatMap((dy) => [-12, 12].map((dx) => ({ x: cx + dx * pxPerMm, y: cy + dy * pxPerMm })))
}

/** The axial canvas's pixel under a client point (the WebGL canvas keeps its drawing buffer). */
async function pixelAt(page: Page, point: { x: number; y: number }): Promise<[number, number, number]> {
  return page.evaluate(({ x, y }) => {
    const canvas = document.querySelector('.view-axial canvas') as HTMLCanvasElement
    const rect = canvas.getBoundingClientRect()
    const copy = document.createElement('canvas')
    copy.width = canvas.width
    copy.height = canvas.height
    const context = copy.getContext('2d') as CanvasRenderingContext2D
    context.drawImage(canvas, 0, 0)
    const px = Math.floor(((x - rect.left) / rect.width) * canvas.width)
    const py = Math.floor(((y - rect.top) / rect.height) * canvas.height)
    const [r, g, b] = context.getImageData(px, py, 1, 1).data
    return [r ?? 0, g ?? 0, b ?? 0] as [number, number, number]
  }, point)
}

const hexToRgb = (hex: string): [number, number, number] => {
  const v = Number.parseInt(hex.slice(1), 16)
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255]
}

test.beforeAll(async () => {
  served = await startServedApp()
  root = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-wide-ids-'))
  projectDir = path.join(root, 'project')
  await writeDataset(path.join(root, 'dataset'))
})

test.afterAll(async () => {
  await served?.stop()
  if (root) await rm(root, { recursive: true, force: true })
})

test('ids 256, 300 and 65535: drawn in their own colours, listed first, found by the label search; 300 painted into an 8-bit case', async ({ page }) => {
  test.setTimeout(240_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const workspace = new WorkspacePage(page)

  await page.goto(served.url)
  await workspace.createProject(projectDir, 'Wide ids')
  await workspace.importPath(path.join(root, 'dataset'), 'Imported 2 case(s)')

  await page.getByTestId('open-case-wide_001').click()
  await workspace.waitForFirstFrame()

  // The panel: all 120 labels, the four in this case first (with their voxel counts).
  const table = page.getByTestId('label-table')
  await expect(table).toHaveAttribute('data-counts-fresh', 'true')
  const rows = table.locator('li[data-label-id]')
  await expect(rows).toHaveCount(120)
  const firstIds = async (n: number): Promise<string[]> => {
    const out: string[] = []
    for (let r = 0; r < n; r++) out.push((await rows.nth(r).getAttribute('data-label-id')) ?? '')
    return out
  }
  expect(await firstIds(5)).toEqual(['1', '256', '300', '65535', '2'])
  for (const id of PRESENT) await expect(table.locator(`li[data-label-id="${id}"]`)).toHaveAttribute('data-present', 'true')
  await expect(table.locator('li[data-label-id="300"] .count')).toHaveText((16 * 16 * DIMS[2]).toLocaleString('en-US'))

  // The viewer: each quadrant shows its id under the pointer and, at full label opacity, exactly its
  // table colour — 256 is not background, and no two ids share a colour.
  await page.getByTestId('label-opacity').fill('1')
  const colours = new Map<number, [number, number, number]>()
  for (const point of await quadrantCentres(workspace)) {
    const { label } = await workspace.hover(point)
    await page.mouse.move(1, 1)
    await expect(page.getByTestId('cursor-info')).toHaveAttribute('data-point', '')
    const colour = await table.locator(`li[data-label-id="${label}"] input[type="color"]`).inputValue()
    // At opacity 1 the pixel is the palette entry itself (no colour-space conversion on either side).
    const expected = hexToRgb(colour)
    await expect
      .poll(async () => Math.max(...(await pixelAt(page, point)).map((c, n) => Math.abs(c - (expected[n] as number)))))
      .toBeLessThanOrEqual(2)
    colours.set(label, hexToRgb(colour))
  }
  expect([...colours.keys()].sort((a, b) => a - b)).toEqual([...PRESENT])
  expect(new Set([...colours.values()].map((c) => c.join())).size).toBe(4)
  await saveScreenshot(page, 'wide-label-ids-opened')

  // The search: by name, by id (the exact id first), and nothing found; the label being painted
  // stays named above the list whatever the search hides.
  const search = page.getByTestId('label-search')
  await expect(search).toHaveAttribute('aria-label', 'Search labels by name or id')
  await page.getByTestId('label-active-256').check()
  await expect(page.getByTestId('active-label')).toHaveAttribute('data-label-id', '256')
  await search.fill('KIDNEY')
  await expect(rows).toHaveCount(2)
  expect(await firstIds(2)).toEqual(['2', '3'])
  await expect(page.getByTestId('active-label')).toContainText('tumour_core')
  await expect(page.getByTestId('active-label')).toContainText('not in the list')
  await search.fill('30')
  await expect(rows).toHaveCount(2)
  expect(await firstIds(2)).toEqual(['30', '300'])
  await search.fill('#300')
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toHaveAttribute('data-label-id', '300')
  await search.fill('tum')
  await expect(rows).toHaveCount(1)
  await expect(page.getByTestId('label-search-summary')).toHaveText('1 of 120 labels')
  await saveScreenshot(page, 'wide-label-ids-search')
  await search.fill('no such organ')
  await expect(page.getByTestId('label-search-empty')).toBeVisible()
  await search.fill('')
  await expect(rows).toHaveCount(120)

  // An 8-bit case in a table with id 300: the brush paints 300 and the saved label holds it.
  await page.getByTestId('back-to-cases').click()
  await page.getByTestId('open-case-narrow_002').click()
  await workspace.waitForFirstFrame()
  await page.getByTestId('tool-brush').click()
  await page.getByTestId('label-active-300').check()
  await page.getByTestId('brush-radius').fill('3')
  // Only one quadrant holds label 1: paint 300 into an empty one.
  let point: { x: number; y: number } | null = null
  for (const centre of await quadrantCentres(workspace)) if (point === null && (await workspace.hover(centre)).label === 0) point = centre
  if (!point) throw new Error('no empty quadrant in the axial view')
  await page.mouse.move(point.x, point.y)
  await page.mouse.down()
  await page.mouse.up()
  await expect.poll(() => workspace.saveState()).toBe('unsaved')
  await page.mouse.move(1, 1)
  expect((await workspace.hover(point)).label).toBe(300)
  await saveScreenshot(page, 'wide-label-ids-painted-8bit-case')

  await page.getByTestId('save').click()
  await expect.poll(() => workspace.saveState()).toBe('saved')
  const saved = await readLabelNifti(path.join(projectDir, 'labels', 'narrow_002.nii.gz'))
  expect(saved.data).toBeInstanceOf(Uint16Array)
  expect(saved.data.includes(300)).toBe(true)
  expect(saved.data.includes(1)).toBe(true)
  expect(errors).toEqual([])
})
