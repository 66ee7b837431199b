import path from 'node:path'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test'
import { findElectronBinary } from './fixtures/electronBinary'
import { startXvfb, type VirtualDisplay } from './fixtures/xvfb'
import { saveScreenshot } from './fixtures/screenshots'

const binary = findElectronBinary()
if (!binary.path) console.log(`[electron tests] skipped: ${binary.reason}`)
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

test('the window is isolated, sandboxed and has no Node', async () => {
  const prefs = await app.evaluate(({ BrowserWindow }) => {
    const window = BrowserWindow.getAllWindows()[0]
    // Not in Electron's typings, but present since v17: the preferences the page really got.
    const web = (window?.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> } | undefined)?.getLastWebPreferences()
    return { contextIsolation: web?.contextIsolation, sandbox: web?.sandbox, nodeIntegration: web?.nodeIntegration }
  })
  expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false })
  const page = await app.firstWindow()
  expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined')
  expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined')
})

test('the start page shows the backend and offers the folder picker', async () => {
  const page = await app.firstWindow()
  await expect(page.getByTestId('start-page')).toBeVisible()
  await expect(page.getByTestId('compute-backend')).toContainText(/Compute: (tfjs-node-gpu|tfjs-node|wasm|cpu)/)
  await expect(page.getByTestId('pick-folder')).toBeVisible()
  await saveScreenshot(page, 'desktop-start-page')
})

test('window.open and navigation away are refused', async () => {
  const page = await app.firstWindow()
  const before = page.url()
  const opened = await page.evaluate(() => window.open('https://example.com') === null)
  expect(opened).toBe(true)
  await page.evaluate(() => {
    window.location.href = 'https://example.com'
  })
  expect(page.url()).toBe(before)
})

test('the API rejects malformed calls through the preload', async () => {
  const page = await app.firstWindow()
  const result = await page.evaluate(async () => {
    const api = (window as unknown as { api: { projects: { open(path: unknown): Promise<{ ok: boolean; error?: { code: string } }> } } }).api
    return api.projects.open(42)
  })
  expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
})
