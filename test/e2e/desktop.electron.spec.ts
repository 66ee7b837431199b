import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { listPackage } from '@electron/asar'
import { _electron as electron, chromium, expect, test, type Browser, type ElectronApplication, type Page } from '@playwright/test'
import builderConfig from '../../electron-builder.config'
import { findElectronBinary } from './fixtures/electronBinary'
import { electronDistOf, packWithElectronBuilder, standInElectronDist, type PackedApp } from './fixtures/packagedApp'
import { saveScreenshot } from './fixtures/screenshots'
import { WorkspacePage } from './fixtures/workspacePage'
import { startXvfb, type VirtualDisplay } from './fixtures/xvfb'

const binary = findElectronBinary()
if (!binary.path) console.log(`[electron tests] skipped: ${binary.reason}`)

/** The malformed call every window must refuse through the preload (and so proves IPC reaches main). */
async function callWithBadArgument(page: Page): Promise<unknown> {
  return page.evaluate(async () => {
    const api = (window as unknown as { api: { projects: { open(path: unknown): Promise<{ ok: boolean; error?: { code: string } }> } } }).api
    return api.projects.open(42)
  })
}

test.describe('the desktop app, run from the build', () => {
  test.skip(!binary.path, `Electron tests skipped: ${binary.reason}`)

  let app: ElectronApplication
  let virtualDisplay: VirtualDisplay | null = null

  test.beforeAll(async () => {
    if (binary.xvfb) virtualDisplay = await startXvfb(binary.xvfb)
    app = await electron.launch({
      executablePath: binary.path ?? undefined,
      args: [path.resolve(__dirname, '../..')],
      env: { ...process.env, ...(virtualDisplay ? { DISPLAY: virtualDisplay.display } : {}), VOXLOOP_HOME: mkdtempSync(path.join(os.tmpdir(), 'voxloop-electron-')) }
    })
  })

  test.afterAll(async () => {
    await app?.close()
    virtualDisplay?.stop()
  })

  test('the window is isolated, sandboxed, has no Node and no DevTools, and is served from app://voxloop/', async () => {
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const window = BrowserWindow.getAllWindows().find((w) => w.webContents.getURL() === 'app://voxloop/index.html')
      // Not in Electron's typings, but present since v17: the preferences the page really got.
      const web = (window?.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> } | undefined)?.getLastWebPreferences()
      return { contextIsolation: web?.contextIsolation, sandbox: web?.sandbox, nodeIntegration: web?.nodeIntegration, devTools: web?.devTools }
    })
    // `electron-vite build` output: a production build, so no DevTools even unpackaged.
    expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false, devTools: false })
    const page = await appWindow(app)
    expect(page.url()).toBe('app://voxloop/index.html')
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined')
    expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined')
  })

  test('the GPU window is hidden, isolated, sandboxed, without Node, and answers the engine: webgpu is probed through it', async () => {
    const gpu = await app.evaluate(({ BrowserWindow }) => {
      const window = BrowserWindow.getAllWindows().find((w) => w.webContents.getURL() === 'app://voxloop/gpu-host.html')
      const web = (window?.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> } | undefined)?.getLastWebPreferences()
      return { found: window !== undefined, visible: window?.isVisible(), contextIsolation: web?.contextIsolation, sandbox: web?.sandbox, nodeIntegration: web?.nodeIntegration, devTools: web?.devTools }
    })
    expect(gpu).toEqual({ found: true, visible: false, contextIsolation: true, sandbox: true, nodeIntegration: false, devTools: false })
    const page = await appWindow(app)
    const backends = await page.evaluate(() => (window as unknown as { api: { system: { backends(): Promise<unknown> } } }).api.system.backends())
    // Whatever this machine's GPU: the reason says the window was asked (not Dawn in the engine).
    expect(JSON.stringify(backends)).toMatch(/desktop app's GPU window/)
  })

  test('the start page shows the backend and offers the folder picker', async () => {
    const page = await appWindow(app)
    await expect(page.getByTestId('start-page')).toBeVisible()
    await expect(page.getByTestId('compute-backend')).toContainText(/Compute: (tfjs-node-gpu|tfjs-node|wasm|cpu)/)
    await expect(page.getByTestId('pick-folder')).toBeVisible()
    await saveScreenshot(page, 'desktop-start-page')
  })

  test('window.open and navigation away are refused', async () => {
    const page = await appWindow(app)
    const before = page.url()
    const opened = await page.evaluate(() => window.open('https://example.com') === null)
    expect(opened).toBe(true)
    await page.evaluate(() => {
      window.location.href = 'https://example.com'
    })
    expect(page.url()).toBe(before)
  })

  test('the API rejects malformed calls through the preload', async () => {
    const page = await appWindow(app)
    expect(await callWithBadArgument(page)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
  })

  // The PNG export is an <a download> on a blob: URL. In the app that must reach Electron's download
  // routine (session 'will-download'), not the will-navigate guard, which would swallow it silently.
  test('a view exported as PNG reaches the download routine and is saved at its pixel size', async () => {
    test.setTimeout(180_000)
    const page = await appWindow(app)
    await showDemoCaseInGrid(page)
    const saveDir = mkdtempSync(path.join(os.tmpdir(), 'voxloop-electron-png-'))
    try {
      const savePath = path.join(saveDir, 'view.png')
      // Without a save path Electron asks with the system dialog, which no test can answer; main sets
      // the path here instead and records how the download ended.
      await app.evaluate(({ session }, target) => {
        const record = globalThis as unknown as { voxloopDownload?: { file: string; url: string; state: string } }
        delete record.voxloopDownload
        session.defaultSession.once('will-download', (_event, item) => {
          item.setSavePath(target)
          item.once('done', (_done, state) => {
            record.voxloopDownload = { file: item.getFilename(), url: item.getURL(), state }
          })
        })
      }, savePath)

      // The coronal view, selected by a click as in the browser spec; the PNG is the cell's size in device pixels.
      await page.locator('.view-coronal canvas').click({ position: { x: 30, y: 30 } })
      const size = await page.locator('.viewer-cell.view-coronal').evaluate((cell) => {
        const rect = cell.getBoundingClientRect()
        return { width: Math.round(rect.width * window.devicePixelRatio), height: Math.round(rect.height * window.devicePixelRatio) }
      })
      expect(size.width).toBeGreaterThan(0)
      await page.getByTestId('screenshot-view').click()
      await expect
        .poll(() => app.evaluate(() => (globalThis as unknown as { voxloopDownload?: { file: string; url: string; state: string } }).voxloopDownload ?? null), { timeout: 30_000 })
        .toEqual({ file: expect.stringMatching(/^voxloop-coronal-\d{8}-\d{6}\.png$/), url: expect.stringMatching(/^blob:app:\/\/voxloop\//), state: 'completed' })
      expect(pngSize(readFileSync(savePath))).toEqual(size)
      // The download did not navigate the window away from the app.
      expect(page.url()).toBe('app://voxloop/index.html')
    } finally {
      rmSync(saveDir, { recursive: true, force: true })
    }
  })

  // Label surfaces are meshed in a module worker loaded from app://voxloop/assets/; were it refused
  // (scheme privileges, MIME type, worker-src), SurfaceJobs would end it and mesh on the main thread.
  test('smoothed label surfaces are meshed by a module worker served from app://voxloop/', async () => {
    test.setTimeout(180_000)
    const page = await appWindow(app)
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await showDemoCaseInGrid(page)
    const cell3d = page.locator('.viewer-cell.view-3d')
    await expect(cell3d).toHaveAttribute('data-surface-vertices', /^[1-9]\d*$/, { timeout: 60_000 })
    await expect(cell3d).toHaveAttribute('data-surface-smoothing', /^[1-9]\d*$/)
    expect(((await cell3d.getAttribute('data-surface-labels')) ?? '').split(',').map(Number)).toContain(1)
    // The worker is still alive after delivering: a worker that failed to load is terminated.
    const surfaceWorker = page.workers().find((worker) => /\/surfaceWorker-[\w-]+\.js$/.test(worker.url()))
    expect(surfaceWorker?.url()).toMatch(/^app:\/\/voxloop\/assets\//)
    expect(await surfaceWorker?.evaluate(() => self.location.protocol)).toBe('app:')
    await saveScreenshot(page, 'desktop-3d-surfaces')
    expect(errors).toEqual([])
  })
})

/** From wherever the shared window is: the demo project's first case, drawn, in the 2×2 layout. */
async function showDemoCaseInGrid(page: Page): Promise<void> {
  const workspace = new WorkspacePage(page)
  if (await page.getByTestId('start-page').isVisible()) await workspace.createDemo()
  if (!(await page.getByTestId('viewer').isVisible())) await workspace.openCase('demo-01')
  await workspace.waitForFirstFrame()
  await page.getByTestId('layout-grid').click()
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-layout', 'grid')
}

/** Width and height from a PNG's IHDR chunk (after the 8-byte signature and the chunk's length and type). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR')
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
}

test.describe('the installed app (electron-builder --dir)', () => {
  test.skip(!binary.path, `Packaged-app test skipped: ${binary.reason}`)

  let workDir = ''
  let child: ChildProcess | null = null
  let browser: Browser | null = null
  let virtualDisplay: VirtualDisplay | null = null

  test.afterAll(async () => {
    await browser?.close()
    child?.kill()
    virtualDisplay?.stop()
    if (workDir) rmSync(workDir, { recursive: true, force: true })
  })

  test('is packed with its fuses flipped, starts from app://voxloop/ and ignores the environment that would subvert it', async () => {
    test.setTimeout(600_000)
    workDir = mkdtempSync(path.join(os.tmpdir(), 'voxloop-packaged-'))
    const packed = packWithElectronBuilder({ workDir, electronDist: electronDistOf(binary.path ?? '') })
    await assertFusesAsConfigured(packed)

    // Started as an installed app is: with ELECTRON_RUN_AS_NODE, NODE_OPTIONS and ELECTRON_RENDERER_URL
    // set, each of which would break or hijack it if honoured. Chromium's own debugging port (not a
    // Node inspector, which the fuse turns off) lets the test drive the page.
    if (binary.xvfb) virtualDisplay = await startXvfb(binary.xvfb)
    const port = await freePort()
    child = spawn(packed.executable, [`--remote-debugging-port=${port}`, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])], {
      stdio: 'ignore',
      env: {
        ...process.env,
        ...(virtualDisplay ? { DISPLAY: virtualDisplay.display } : {}),
        VOXLOOP_HOME: path.join(workDir, 'home'),
        ELECTRON_RUN_AS_NODE: '1',
        NODE_OPTIONS: `--require=${path.join(workDir, 'does-not-exist.js')}`,
        ELECTRON_RENDERER_URL: 'http://127.0.0.1:9/'
      }
    })
    browser = await connectWhenListening(port, 60_000)
    const page = await firstAppPage(browser, 60_000)
    expect(page.url()).toBe('app://voxloop/index.html')
    await expect(page.getByTestId('start-page')).toBeVisible()
    // The engine (a utilityProcess running out/main/engine.js from inside app.asar) answered.
    await expect(page.getByTestId('compute-backend')).toContainText(/Compute: (tfjs-node-gpu|tfjs-node|wasm|cpu)/)
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined')
    // Main's IPC sender check accepts the app:// page.
    expect(await callWithBadArgument(page)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    const served = await page.evaluate(async () => {
      const index = await fetch('/index.html')
      const escape = await fetch('/..%2F..%2Fpackage.json')
      return { index: index.status, csp: index.headers.get('content-security-policy'), escape: escape.status }
    })
    expect(served).toMatchObject({ index: 200, escape: 404 })
    expect(served.csp).toContain("default-src 'none'")
    await saveScreenshot(page, 'desktop-packaged-start-page')
    assertAsarHoldsTheApp(packed)
  })
})

test.describe('packing without Electron (a stand-in binary)', () => {
  test.skip(process.platform !== 'linux', 'the stand-in Electron has the Linux layout; the installed-app test covers the other platforms where Electron runs')

  test('electron-builder accepts the config, flips the fuses and packs every built file and the wasm binaries into app.asar', async () => {
    test.setTimeout(600_000)
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'voxloop-pack-'))
    try {
      const packed = packWithElectronBuilder({ workDir, electronDist: standInElectronDist(path.join(workDir, 'electron')) })
      await assertFusesAsConfigured(packed)
      assertAsarHoldsTheApp(packed)
    } finally {
      rmSync(workDir, { recursive: true, force: true })
    }
  })
})

/** The fuse wire in the packed executable, fuse by fuse, against electron-builder.config.ts. */
async function assertFusesAsConfigured(packed: PackedApp): Promise<void> {
  const { getCurrentFuseWire, FuseState, FuseV1Options } = await import('@electron/fuses')
  const wire = await getCurrentFuseWire(packed.executable)
  const fuses = Object.entries(builderConfig.electronFuses ?? {})
  expect(fuses.length).toBeGreaterThanOrEqual(6)
  for (const [option, enabled] of fuses) {
    // electron-builder's option names are @electron/fuses' enum names with a lower-case first letter.
    const fuse = FuseV1Options[(option[0].toUpperCase() + option.slice(1)) as keyof typeof FuseV1Options]
    expect(fuse, `fuse ${option}`).toBeDefined()
    expect(wire[fuse], `fuse ${option}`).toBe(enabled ? FuseState.ENABLE : FuseState.DISABLE)
  }
}

/** app.asar holds the built app and tfjs's wasm files, no source maps, and nothing is unpacked beside it. */
function assertAsarHoldsTheApp(packed: PackedApp): void {
  const entries = new Set(listPackage(packed.asar, { isPack: false }).map((entry) => entry.split(path.sep).join('/')))
  const required = [
    '/package.json',
    '/out/main/index.js',
    '/out/main/engine.js',
    '/out/main/gradientWorker.js',
    '/out/preload/index.js',
    '/out/preload/gpuHost.js',
    '/out/renderer/index.html',
    '/out/renderer/gpu-host.html',
    '/node_modules/@tensorflow/tfjs/dist/tf.node.js',
    '/node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
    '/node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js',
    '/node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm',
    '/node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js'
  ]
  expect(required.filter((entry) => !entries.has(entry))).toEqual([])
  expect([...entries].some((entry) => entry.startsWith('/out/renderer/assets/') && entry.endsWith('.js'))).toBe(true)
  expect([...entries].filter((entry) => entry.endsWith('.map') || entry === '/out/main/cli.js' || entry.startsWith('/src/'))).toEqual([])
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

async function connectWhenListening(port: number, timeoutMs: number): Promise<Browser> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await chromium.connectOverCDP(`http://127.0.0.1:${port}`)
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the packaged app opened no debugging port in ${timeoutMs} ms: ${String(error)}`)
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
}

/** The app's own window (the hidden GPU window may have opened first). */
async function appWindow(app: ElectronApplication, timeoutMs = 60_000): Promise<Page> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const page = app.windows().find((candidate) => candidate.url() === 'app://voxloop/index.html')
    if (page) return page
    if (Date.now() > deadline) throw new Error(`no app://voxloop/index.html window in ${timeoutMs} ms: ${app.windows().map((p) => p.url()).join(', ') || 'no windows'}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

async function firstAppPage(browser: Browser, timeoutMs: number): Promise<Page> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    // The app's window, not the hidden GPU window (app://voxloop/gpu-host.html).
    const page = browser.contexts().flatMap((context) => context.pages()).find((candidate) => candidate.url() === 'app://voxloop/index.html')
    if (page) return page
    if (Date.now() > deadline) throw new Error(`no app:// page in ${timeoutMs} ms: ${browser.contexts().flatMap((c) => c.pages()).map((p) => p.url()).join(', ') || 'no pages'}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
