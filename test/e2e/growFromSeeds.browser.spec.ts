import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { DEFAULT_DEMO_SEED, generateDemoCase } from '../../src/main/services/demo/createDemoProject'
import { readLabelNifti } from '../../src/node/formats/nifti'
import { buildNiftiGz } from '../helpers/niftiBuilder'
import { startServedApp } from './fixtures/serveApp'
import { saveScreenshot } from './fixtures/screenshots'
import { WorkspacePage } from './fixtures/workspacePage'

/** demo-07 is the demo's 7th case (index 6): unlabelled on disk; its true organ comes from the generator. */
const CASE_ID = 'demo-07'
const demo = generateDemoCase(DEFAULT_DEMO_SEED, 6)
const [NX, NY] = demo.params.dims
const truthAt = (ijk: readonly number[]): number => demo.labels[(ijk[0] ?? 0) + NX * ((ijk[1] ?? 0) + NY * (ijk[2] ?? 0))] ?? 0

interface Probe {
  x: number
  y: number
  ijk: [number, number, number]
  truth: number
}

/** Hovers a grid of points over the axial view and reads the voxel under each (the app's own cursor readout). */
async function probeAxial(page: Page, workspace: WorkspacePage): Promise<Probe[][]> {
  const grid: Probe[][] = []
  for (let row = 0; row < 13; row++) {
    const line: Probe[] = []
    for (let column = 0; column < 13; column++) {
      const point = await workspace.at('axial', 0.2 + column * 0.05, 0.2 + row * 0.05)
      await page.mouse.move(point.x, point.y)
      const info = page.getByTestId('cursor-info')
      await expect(info).not.toHaveAttribute('data-point', '')
      const ijk = ((await page.getByTestId('hover-ijk').textContent()) ?? '').split(',').map((v) => Number(v.trim())) as [number, number, number]
      line.push({ ...point, ijk, truth: truthAt(ijk) })
    }
    grid.push(line)
  }
  return grid
}

/** The label the cursor readout reports at a probe, polled until it is `expected` (the readout follows the pointer). */
async function expectLabelAt(page: Page, probe: Probe, expected: number): Promise<void> {
  await expect
    .poll(async () => {
      await page.mouse.move(probe.x + 1, probe.y)
      await page.mouse.move(probe.x, probe.y)
      return Number(await page.getByTestId('cursor-info').getAttribute('data-label'))
    })
    .toBe(expected)
}

async function dab(page: Page, probe: Probe): Promise<void> {
  await page.mouse.move(probe.x, probe.y)
  await page.mouse.down()
  await page.mouse.move(probe.x + 3, probe.y + 2, { steps: 2 })
  await page.mouse.up()
}

test('grow from seeds on the demo: seeds, preview, apply as one undo step, and the statistics table in mL', async ({ page }) => {
  test.setTimeout(240_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const home = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-grow-'))
  const served = await startServedApp({ home })
  try {
    const workspace = new WorkspacePage(page)
    await page.goto(served.url)
    await workspace.openDemoCase(CASE_ID)
    // An unlabelled case: the statistics say so rather than show an empty table.
    await expect(page.getByTestId('label-statistics-empty')).toBeVisible()

    const grid = await probeAxial(page, workspace)
    const inside = (r: number, c: number): boolean => grid[r]?.[c]?.truth === 1
    // Organ points whose scan neighbours are organ too (well inside), and points two scan steps from any organ point.
    const interior: Probe[] = []
    const outside: Probe[] = []
    for (let r = 0; r < 13; r++) {
      for (let c = 0; c < 13; c++) {
        const probe = grid[r]?.[c] as Probe
        if (inside(r, c) && inside(r - 1, c) && inside(r + 1, c) && inside(r, c - 1) && inside(r, c + 1)) interior.push(probe)
        let near = false
        for (let dr = -2; dr <= 2; dr++) for (let dc = -2; dc <= 2; dc++) near ||= inside(r + dr, c + dc) || grid[r + dr]?.[c + dc]?.truth === 2
        if (!near && probe.truth === 0) outside.push(probe)
      }
    }
    expect(interior.length, 'the middle axial slice crosses the organ well inside').toBeGreaterThanOrEqual(3)
    expect(outside.length).toBeGreaterThanOrEqual(8)

    await page.getByTestId('tool-grow-from-seeds').click()
    await expect(page.getByTestId('grow-settings')).toBeVisible()
    await page.keyboard.press('1')
    await expect(page.getByTestId('grow-status')).toHaveAttribute('data-phase', 'idle')

    // Label seeds: a stroke through the organ's interior points.
    const [first, ...rest] = interior
    await page.mouse.move((first as Probe).x, (first as Probe).y)
    await page.mouse.down()
    for (const probe of rest.slice(0, 4)) await page.mouse.move(probe.x, probe.y, { steps: 4 })
    await page.mouse.up()
    await expect(page.getByTestId('grow-status')).toHaveAttribute('data-phase', 'seeding')
    await expect(page.getByTestId('grow-status')).toContainText('Seed a second kind')

    // Background seeds: dabs spread around, away from the organ.
    await page.getByTestId('grow-seed-background').click()
    const step = Math.max(1, Math.floor(outside.length / 10))
    for (let n = 0; n < outside.length; n += step) await dab(page, outside[n] as Probe)

    // The preview follows the last stroke (auto-update), computed in the worker.
    const status = page.getByTestId('grow-status')
    await expect(status).toHaveAttribute('data-phase', 'preview', { timeout: 60_000 })
    await expect(status).toHaveAttribute('data-stale', 'false')
    const previewVoxels = Number(await status.getAttribute('data-preview-voxels'))
    expect(previewVoxels).toBeGreaterThan(100)
    // An organ point that was not seeded is labelled in the preview; nothing is committed yet.
    const unseeded = interior[interior.length - 1] as Probe
    await expectLabelAt(page, unseeded, 1)
    await expect(page.getByTestId('undo')).toBeDisabled()
    await saveScreenshot(page, 'grow-from-seeds-preview')

    await page.getByTestId('grow-apply').click()
    await expect(status).toHaveAttribute('data-phase', 'idle')
    await expect(page.getByTestId('workspace-message')).toContainText('one undo step')
    await expectLabelAt(page, unseeded, 1)
    // The background seeds were drawn in a marker colour only while the session was open: now 0.
    await expectLabelAt(page, outside[0] as Probe, 0)
    await expect(page.getByTestId('undo')).toBeEnabled()
    await expect(page.getByTestId('label-statistics')).toHaveAttribute('data-computing', 'false', { timeout: 20_000 })
    await saveScreenshot(page, 'grow-from-seeds-applied')

    // Statistics: a row for Organ with its volume in mL, once the edit has settled.
    const mlCell = page.getByTestId('stat-ml-1')
    await expect(mlCell).toBeVisible({ timeout: 20_000 })
    await expect(page.getByTestId('label-statistics')).toHaveAttribute('data-computing', 'false')
    const ml = Number(await mlCell.getAttribute('data-value'))
    expect(ml).toBeGreaterThan(0)
    await saveScreenshot(page, 'label-statistics-after-grow')

    // One undo takes the whole grown region away, seeds included: nothing is left to undo.
    await page.getByTestId('undo').click()
    await expectLabelAt(page, unseeded, 0)
    await expectLabelAt(page, first as Probe, 0)
    await expect(page.getByTestId('undo')).toBeDisabled()
    await expect(page.getByTestId('label-statistics-empty')).toBeVisible({ timeout: 20_000 })
    await expect(page.getByTestId('label-statistics')).toHaveAttribute('data-computing', 'false')
    await expect(page.getByTestId('label-statistics-empty')).toBeVisible()
    await saveScreenshot(page, 'grow-from-seeds-undone')

    // Redo, save, and check the file: the grown organ against the generator's truth, and the table's mL.
    await page.getByTestId('redo').click()
    await expectLabelAt(page, unseeded, 1)
    await page.getByTestId('save').click()
    await expect.poll(() => workspace.saveState()).toBe('saved')
    const saved = await readLabelNifti(path.join(home, 'demo-project', 'labels', `${CASE_ID}.nii.gz`))
    // What the grown voxels are in the generator's truth: organ (1), lesion (2), vessel (3) or neither (0).
    const grownAs = [0, 0, 0, 0]
    let truth = 0
    for (let index = 0; index < saved.data.length; index++) {
      if (demo.labels[index] === 1) truth++
      const as = demo.labels[index] ?? 0
      if (saved.data[index] === 1) grownAs[as] = (grownAs[as] ?? 0) + 1
    }
    const grown = grownAs.reduce((a, b) => a + b, 0)
    const [sx, sy, sz] = demo.params.spacing
    await expect(mlCell).toBeVisible({ timeout: 20_000 })
    expect(Number(await mlCell.getAttribute('data-value'))).toBeCloseTo((grown * sx * sy * sz) / 1000, 6)
    const composition = `${grown} voxels: ${grownAs[1]} organ (${((grownAs[1] ?? 0) / truth).toFixed(3)} of the organ), ${grownAs[3]} vessel, ${grownAs[2]} lesion, ${grownAs[0]} other`
    test.info().annotations.push({ type: 'grown organ', description: composition })
    console.log(`grow from seeds on ${CASE_ID}: ${composition}`)
    // Grown on the image, not painted: it stops at the organ's edge against the darker tissue and the
    // lesion (at most a boundary rim). The vessel is brighter still and touches the organ: with no
    // vessel seed, the organ's seeds reach it more cheaply than background's, so it may join.
    expect(((grownAs[0] ?? 0) + (grownAs[2] ?? 0)) / grown).toBeLessThan(0.1)
    expect((grownAs[1] ?? 0) / grown).toBeGreaterThan(0.6)
    // The preview showed exactly what was applied.
    expect(grown).toBe(previewVoxels)
    expect(errors).toEqual([])
  } finally {
    await served.stop()
    await rm(home, { recursive: true, force: true })
  }
})

/**
 * A volume whose seeds span a box over the two-worker threshold (protocol.ts: 2 M voxels, 8 slices):
 * 256×256×64 at 1 × 1 × 0.5 mm, a bright ellipsoid (radius 40 mm in-plane, 12 mm along z) in
 * textured tissue. Seeds on the middle slice with background dabs near the edges make a box of
 * about 241×241×41 voxels (the 10 mm margin is 20 slices at 0.5 mm), which the page splits over two
 * workers; the unit tests (protocol.test.ts) prove the split's labels equal one worker's, this proves
 * that the split runs in Chromium's workers (module workers, transfers, the plane exchange).
 */
const BIG_DIMS = [256, 256, 64] as const
const BIG_SPACING = [1, 1, 0.5] as const
const inEllipsoid = (i: number, j: number, k: number): boolean => ((i - 128) / 40) ** 2 + ((j - 128) / 40) ** 2 + (((k - 32) * BIG_SPACING[2]) / 12) ** 2 < 1

async function writeBigCase(dir: string): Promise<void> {
  const [nx, ny, nz] = BIG_DIMS
  const image = new Float32Array(nx * ny * nz)
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) image[i + nx * (j + ny * k)] = inEllipsoid(i, j, k) ? 200 + ((i + 2 * j) % 3) : 40 + ((3 * i + j + k) % 3)
    }
  }
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, 'big_001.nii.gz'), buildNiftiGz({ dims: [...BIG_DIMS], pixdim: [1, ...BIG_SPACING], sformCode: 1, datatype: 16 }, image))
}

test('grow from seeds on a box over 2 M voxels runs on two workers in the browser, and labels the ellipsoid', async ({ page }) => {
  test.setTimeout(300_000)
  const cores = await page.evaluate(() => navigator.hardwareConcurrency)
  test.skip(cores < 2, `Chromium reports ${cores} core(s): grow from seeds stays on one worker there, so the two-worker path cannot be exercised`)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const root = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-grow-big-'))
  const served = await startServedApp({ home: path.join(root, 'home') })
  try {
    await writeBigCase(path.join(root, 'dataset'))
    const workspace = new WorkspacePage(page)
    await page.goto(served.url)
    await workspace.createProject(path.join(root, 'project'), 'Big box')
    await workspace.importPath(path.join(root, 'dataset'), 'Imported 1 case(s)')
    await page.getByTestId('open-case-big_001').click()
    await workspace.waitForFirstFrame()

    // Client points at mm offsets from the axial view's centre (the fitted 256 mm slice, 4 % margin),
    // each read back through the cursor readout, so the probes hold the voxel really under them.
    // The label statistics line below the views settles first (it changes their height), and the
    // canvas is measured again for every probe.
    await expect(page.getByTestId('label-statistics')).toHaveAttribute('data-computing', 'false', { timeout: 20_000 })
    let pxPerMm = 0
    const probeAt = async (dxMm: number, dyMm: number): Promise<Probe> => {
      const box = await workspace.canvas('axial').boundingBox()
      if (!box) throw new Error('no axial canvas')
      pxPerMm = Math.min(box.width, box.height) / (BIG_DIMS[0] * 1.04)
      const x = box.x + box.width / 2 + dxMm * pxPerMm
      const y = box.y + box.height / 2 + dyMm * pxPerMm
      await page.mouse.move(x, y)
      await expect(page.getByTestId('cursor-info')).not.toHaveAttribute('data-point', '')
      const ijk = ((await page.getByTestId('hover-ijk').textContent()) ?? '').split(',').map((v) => Number(v.trim())) as [number, number, number]
      return { x, y, ijk, truth: inEllipsoid(...ijk) ? 1 : 0 }
    }
    const centre = await probeAt(0, 0)
    expect(centre.truth, `the first axial slice shown crosses the ellipsoid (voxel ${centre.ijk.join(', ')})`).toBe(1)
    const inside = await probeAt(25, -20)
    const outside = await probeAt(-75, 60)
    expect([inside.truth, outside.truth]).toEqual([1, 0])
    // Background dab points, probed before painting: a ring 20 mm outside the ellipsoid (as a user
    // paints around a structure) and four near the edges, beside the orientation letters at their
    // middles (the view's corners hold its captions), so that the seeds' box spans about 241 × 241
    // voxels in-plane.
    const backgroundDabs: Probe[] = []
    for (const [dx, dy] of [[0, -60], [42, -42], [60, 0], [42, 42], [0, 60], [-42, 42], [-60, 0], [-42, -42], [20, -110], [-20, 110], [-110, 20], [110, -20]] as const) {
      backgroundDabs.push(await probeAt(dx, dy))
    }
    expect(backgroundDabs.map((p) => p.truth)).not.toContain(1)

    await page.getByTestId('tool-grow-from-seeds').click()
    await page.keyboard.press('1')
    // Label seeds: a short stroke through the centre; then the background dabs.
    await page.mouse.move(centre.x - 10 * pxPerMm, centre.y)
    await page.mouse.down()
    await page.mouse.move(centre.x + 10 * pxPerMm, centre.y, { steps: 6 })
    await page.mouse.up()
    await page.getByTestId('grow-seed-background').click()
    for (const probe of backgroundDabs) await dab(page, probe)

    const status = page.getByTestId('grow-status')
    await expect(status).toHaveAttribute('data-phase', 'preview', { timeout: 120_000 })
    await expect(status).toHaveAttribute('data-stale', 'false')
    await expect(status).toHaveAttribute('data-workers', '2')
    await expect(status).toContainText('on 2 workers')
    await expectLabelAt(page, inside, 1)
    await expectLabelAt(page, outside, 0)
    await saveScreenshot(page, 'grow-from-seeds-two-workers')

    await page.getByTestId('grow-apply').click()
    await expect(status).toHaveAttribute('data-phase', 'idle')
    await expectLabelAt(page, inside, 1)
    await page.getByTestId('save').click()
    await expect.poll(() => workspace.saveState()).toBe('saved')
    // The saved label against the ellipsoid as far as the box reaches: the ellipsoid spans ±12 mm in z,
    // the box the seeds' slice ±10 mm (20 slices), and nothing outside the box can change.
    const saved = await readLabelNifti(path.join(root, 'project', 'labels', 'big_001.nii.gz'))
    let both = 0
    let grown = 0
    let truthInBox = 0
    const [nx, ny] = BIG_DIMS
    for (let index = 0; index < saved.data.length; index++) {
      const k = Math.floor(index / (nx * ny))
      const j = Math.floor((index - k * nx * ny) / nx)
      const i = index - nx * (j + ny * k)
      const truth = inEllipsoid(i, j, k) && Math.abs(k - centre.ijk[2]) <= 20
      if (truth) truthInBox++
      if (saved.data[index] === 1) {
        grown++
        if (truth) both++
      }
    }
    const dice = (2 * both) / (grown + truthInBox)
    console.log(`grow from seeds on two workers: ${grown} voxels grown, Dice ${dice.toFixed(3)} against the ellipsoid within the box; status "${await status.textContent()}"`)
    expect(dice).toBeGreaterThan(0.98)
    expect(errors).toEqual([])
  } finally {
    await served.stop()
    await rm(root, { recursive: true, force: true })
  }
})
