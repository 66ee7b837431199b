/**
 * Viewer speed in headless Chromium (software GL here), for a generated 512×512×300 int16 volume
 * and a real CT case, with NiiVue loading the same file in the same browser as the baseline for
 * time to first frame. Before the browser: grow from seeds on a 256×256×200 phantom and one label-
 * statistics pass on the 512×512×300 volume, in Node on the renderer's code (bench/viewerTools.ts).
 */
import { execFileSync, spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Page } from '@playwright/test'
import { ProjectStore } from '../../src/main/services/project/ProjectStore'
import { importDataset } from '../../src/main/services/project/importDataset'
import { imageHeaderForGrid } from '../../src/node/formats/nifti/writeImageNifti'
import type { Volume } from '../../src/shared/volume'
import { loadAverage } from '../benchCommon'
import type { Bench, BenchReport, BenchRow } from '../report'
import { growFromSeedsRows, labelStatisticsRow } from '../viewerTools'

const repoRoot = path.resolve(__dirname, '../..')
const sharedData = process.env.VOXLOOP_SHARED_DATA ?? path.resolve(repoRoot, '..', 'shared', 'data')
const CHROMIUM = process.env.VOXLOOP_CHROMIUM ?? '/usr/bin/chromium'
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run']

/** A body-like int16 volume: an ellipsoid of soft tissue with a few organs and noise, in HU. */
function generateLargeVolume(dims: [number, number, number]): Volume {
  const [nx, ny, nz] = dims
  const data = new Int16Array(nx * ny * nz)
  let seed = 12345
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return (seed / 0x7fffffff - 0.5) * 60
  }
  for (let k = 0; k < nz; k++) {
    const z = (k / nz - 0.5) * 2
    for (let j = 0; j < ny; j++) {
      const y = (j / ny - 0.5) * 2
      for (let i = 0; i < nx; i++) {
        const x = (i / nx - 0.5) * 2
        const body = (x * x) / 0.8 + (y * y) / 0.55 + (z * z) / 1.2
        let value = -1000
        if (body < 1) {
          value = 40
          if ((x - 0.3) ** 2 + (y + 0.1) ** 2 + z * z < 0.05) value = 60
          if ((x + 0.35) ** 2 / 0.04 + (y - 0.1) ** 2 / 0.09 + z * z / 0.3 < 1) value = -800
          if ((x * x + (y + 0.45) ** 2) < 0.006) value = 700
        }
        data[i + nx * (j + ny * k)] = value + noise()
      }
    }
  }
  const header = imageHeaderForGrid({
    dims,
    datatype: 'int16',
    rasFromIjk: [
      [-0.8, 0, 0, 200],
      [0, -0.8, 0, 200],
      [0, 0, 1, -150],
      [0, 0, 0, 1]
    ],
    description: 'voxloop bench'
  })
  return { header, data }
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))] as number
}

/** Largest resident set of Chromium's renderer processes (MiB). */
function rendererRssMiB(): number {
  try {
    const out = execFileSync('ps', ['-eo', 'rss,args'], { encoding: 'utf8' })
    const rss = out
      .split('\n')
      .filter((line) => line.includes('--type=renderer'))
      .map((line) => Number.parseInt(line.trim().split(/\s+/)[0] ?? '0', 10))
    return Math.max(0, ...rss) / 1024
  } catch {
    return Number.NaN
  }
}

interface ServeProcess {
  url: string
  stop(): void
}

async function startServe(home: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'voxloop.cjs'), 'serve', '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, VOXLOOP_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /(http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/.exec(output)
      if (match?.[1]) resolve(match[1])
    })
    child.on('exit', (code) => reject(new Error(`voxloop serve exited ${code}`)))
  })
  return { url, stop: () => child.kill() }
}

interface CaseFigures {
  openToFirstFrameMs: number
  scrollFrameP50: number
  scrollFrameP95: number
  scrollLatencyP95: number
  brushP50: number
  brushP95: number
  rendererMiB: number
}

async function measureVoxloopCase(page: Page, caseId: string): Promise<CaseFigures> {
  const openedAt = await page.evaluate((id) => {
    const start = performance.now()
    ;(document.querySelector(`[data-testid="open-case-${id}"]`) as HTMLButtonElement).click()
    return start
  }, caseId)
  await page.waitForFunction(() => document.querySelector('.voxloop-viewer')?.getAttribute('data-first-frame-at'), null, { timeout: 300_000 })
  const firstFrameAt = Number(await page.locator('.voxloop-viewer').getAttribute('data-first-frame-at'))
  await page.waitForTimeout(1500)

  // Scrolling: 60 slice steps in the axial view, one per frame.
  const canvas = page.locator('.view-axial canvas')
  const box = await canvas.boundingBox()
  if (!box) throw new Error('no axial canvas')
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  const scroll = await page.evaluate(async () => {
    type Stats = { clearStatistics(): void; getFrameWorkMs(): readonly number[]; getInputLatencies(): readonly number[] }
    const viewer = (document.querySelector('.voxloop-viewer') as unknown as { voxloopViewer: Stats }).voxloopViewer
    viewer.clearStatistics()
    for (let step = 0; step < 60; step++) {
      window.dispatchEvent(new KeyboardEvent('keydown', { key: step < 30 ? 'ArrowUp' : 'ArrowDown' }))
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))
    }
    return { frames: [...viewer.getFrameWorkMs()], latencies: [...viewer.getInputLatencies()] }
  })

  // Brush: strokes of small pointer moves in the axial view, as a user paints.
  await page.keyboard.press('b')
  await page.evaluate(() => {
    type Stats = { clearStatistics(): void }
    ;(document.querySelector('.voxloop-viewer') as unknown as { voxloopViewer: Stats }).voxloopViewer.clearStatistics()
  })
  for (let stroke = 0; stroke < 4; stroke++) {
    const y = box.y + box.height * (0.35 + stroke * 0.08)
    await page.mouse.move(box.x + box.width * 0.35, y)
    await page.mouse.down()
    for (let s = 1; s <= 30; s++) {
      await page.mouse.move(box.x + box.width * (0.35 + s * 0.01), y)
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))))
    }
    await page.mouse.up()
  }
  const brush = await page.evaluate(() => {
    type Stats = { getInputLatencies(): readonly number[] }
    return [...(document.querySelector('.voxloop-viewer') as unknown as { voxloopViewer: Stats }).voxloopViewer.getInputLatencies()]
  })
  const rendererMiB = rendererRssMiB()
  await page.getByTestId('back-to-cases').click()
  await page.getByTestId('case-table').waitFor()
  return {
    openToFirstFrameMs: firstFrameAt - openedAt,
    scrollFrameP50: percentile(scroll.frames, 50),
    scrollFrameP95: percentile(scroll.frames, 95),
    scrollLatencyP95: percentile(scroll.latencies, 95),
    brushP50: percentile(brush, 50),
    brushP95: percentile(brush, 95),
    rendererMiB
  }
}

/** NiiVue's time from loadVolumes() to its first multiplanar frame, same file, same browser. */
async function measureNiivue(page: Page, file: string): Promise<number> {
  // NiiVue's self-contained build exports its whole ESM source as one URL-encoded string.
  const wrapper = await readFile(path.join(repoRoot, 'node_modules', '@niivue', 'niivue', 'build', 'index.min.js'), 'utf8')
  const niivue = decodeURIComponent(wrapper.slice(wrapper.indexOf('"') + 1, wrapper.lastIndexOf('"')))
  const volume = await readFile(file)
  const html = `<!doctype html><html><body style="margin:0;background:#000"><canvas id="gl" width="1100" height="800"></canvas>
<script type="module">
import { Niivue } from '/niivue.js'
const nv = new Niivue({ isResizeCanvas: false })
await nv.attachTo('gl')
nv.setSliceType(nv.sliceTypeMultiplanar)
const start = performance.now()
await nv.loadVolumes([{ url: '/volume.nii.gz' }])
nv.drawScene()
await new Promise((resolve) => requestAnimationFrame(resolve))
window.niivueFirstFrameMs = performance.now() - start
</script></body></html>`
  const server = createServer((request, response) => {
    if (request.url === '/niivue.js') return response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(niivue)
    if (request.url === '/volume.nii.gz') return response.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(volume)
    response.writeHead(200, { 'Content-Type': 'text/html' }).end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    await page.waitForFunction(() => (window as unknown as { niivueFirstFrameMs?: number }).niivueFirstFrameMs !== undefined, null, { timeout: 300_000 })
    return page.evaluate(() => (window as unknown as { niivueFirstFrameMs: number }).niivueFirstFrameMs)
  } finally {
    server.close()
  }
}

async function run(): Promise<BenchReport> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'voxloop-bench-viewer-'))
  const home = path.join(work, 'home')
  const projectDir = path.join(work, 'project')
  const rows: BenchRow[] = []
  const notes: string[] = []
  try {
    // The tools' kernels first, in Node on the renderer's code, before Chromium competes for the cores.
    const loadBefore = loadAverage()
    const growVolume = generateLargeVolume([256, 256, 200])
    rows.push(...(await growFromSeedsRows({ data: growVolume.data, dims: growVolume.header.dims, spacing: growVolume.header.spacing }, '256×256×200 int16')))
    const large = generateLargeVolume([512, 512, 300])
    rows.push(labelStatisticsRow({ data: large.data, dims: large.header.dims, spacing: large.header.spacing }, '512×512×300 int16'))
    notes.push(`Load average (1/5/15 min) before the tool rows: ${loadBefore}; after them: ${loadAverage()}.`)
    if (process.env.VOXLOOP_BENCH_VIEWER_TOOLS_ONLY === '1') return toolsOnlyReport(rows, notes)

    const store = await ProjectStore.create(projectDir, { name: 'Viewer bench', modality: 'CT' })
    await store.addCase({ id: 'large', image: large, sourceFile: 'generated 512×512×300 int16' })
    const realSource = path.join(work, 'real')
    await mkdir(realSource)
    await copyFile(path.join(sharedData, 'labeled', 'msd_task09_spleen_crop', 'imagesTr', 'spleen_2.nii.gz'), path.join(realSource, 'spleen_2.nii.gz'))
    await importDataset(store, realSource)
    await store.dispose()

    const serve = await startServe(home)
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS })
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
      await page.goto(serve.url)
      await page.getByTestId('project-path').fill(projectDir)
      await page.getByTestId('open-path').click()
      await page.getByTestId('case-table').waitFor()
      for (const [caseId, label] of [
        ['large', '512×512×300 int16'],
        ['spleen_2', 'spleen_2 CT 164×166×26']
      ] as const) {
        const figures = await measureVoxloopCase(page, caseId)
        const file = path.join(projectDir, 'images', `${caseId}.nii.gz`)
        const niivueMs = await measureNiivue(await browser.newPage({ viewport: { width: 1440, height: 900 } }), file)
        rows.push(
          { name: `NiiVue open → first frame, ${label}`, value: niivueMs, unit: 'ms' },
          { name: `Voxloop open → first frame, ${label}`, value: figures.openToFirstFrameMs, unit: 'ms', baselineOf: `NiiVue open → first frame, ${label}` },
          { name: `scroll frame time p50, ${label}`, value: figures.scrollFrameP50, unit: 'ms' },
          { name: `scroll frame time p95, ${label}`, value: figures.scrollFrameP95, unit: 'ms' },
          { name: `scroll key → frame drawn p95, ${label}`, value: figures.scrollLatencyP95, unit: 'ms' },
          { name: `brush pointer → texture drawn p50, ${label}`, value: figures.brushP50, unit: 'ms' },
          { name: `brush pointer → texture drawn p95, ${label}`, value: figures.brushP95, unit: 'ms' },
          { name: `renderer process RSS, ${label}`, value: figures.rendererMiB, unit: 'MiB' }
        )
      }
    } finally {
      await browser.close()
      serve.stop()
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  notes.push(`Load average (1/5/15 min) at the end: ${loadAverage()}.`)
  const value = (name: string): number => rows.find((r) => r.name === name)?.value ?? Number.NaN
  notes.push('Chromium runs headless with --disable-gpu (SwiftShader software GL) on this machine; a GPU makes every frame cheaper.')
  notes.push('Brush latency runs from the pointer event\'s timestamp to the end of the WebGL draw of the updated slice (the viewer draws strokes from the pointer handler); the compositor shows it at the next vsync, as for any app.')
  notes.push('Open → first frame includes reading and sending the volume from the engine side (serve mode, HTTP) for Voxloop and fetching + decompressing for NiiVue.')
  return {
    name: 'viewer',
    rows,
    notes,
    targets: [
      { description: 'brush latency p95 under one frame (16 ms) on the 512×512×300 volume', met: value('brush pointer → texture drawn p95, 512×512×300 int16') < 16 },
      {
        description: 'grow from seeds on the whole 256×256×200 volume within a few seconds (5 s)',
        met: value(GROW_WHOLE_ROW) < 5000
      },
      {
        description: 'first frame no slower than NiiVue on the 512×512×300 volume',
        met: value('Voxloop open → first frame, 512×512×300 int16') <= value('NiiVue open → first frame, 512×512×300 int16')
      }
    ]
  }
}

const GROW_WHOLE_ROW = 'grow from seeds, whole-volume box, 256×256×200 int16: page request + worker job'

/** VOXLOOP_BENCH_VIEWER_TOOLS_ONLY=1: the tool rows alone (seconds, no browser), for working on the tools. */
function toolsOnlyReport(rows: BenchRow[], notes: string[]): BenchReport {
  notes.push('VOXLOOP_BENCH_VIEWER_TOOLS_ONLY=1: browser rows (first frame, scroll, brush latency) not measured.')
  const grow = rows.find((r) => r.name === GROW_WHOLE_ROW)?.value ?? Number.NaN
  return { name: 'viewer', rows, notes, targets: [{ description: 'grow from seeds on the whole 256×256×200 volume within a few seconds (5 s)', met: grow < 5000 }] }
}

export const bench: Bench = {
  name: 'viewer',
  description: 'open, scroll, brush and memory in headless Chromium vs NiiVue; grow from seeds and label statistics',
  run
}
