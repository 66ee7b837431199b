import { existsSync } from 'node:fs'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { SCREENSHOT_DIR, saveScreenshot } from './fixtures/screenshots'

/**
 * Issue #16: `voxloop serve --backend webgpu` computes on the machine's WebGPU adapter and the status
 * bar names it. Without a GPU, SwiftShader's Vulkan driver (Debian's chromium package) gives a
 * software adapter, which auto passes over but --backend webgpu uses.
 */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'

let served: ServedApp | undefined

test.afterEach(async () => {
  await served?.stop()
  served = undefined
})

test('served with --backend webgpu, the status bar names the GPU adapter and its largest buffer', async ({ page }) => {
  // Loading TensorFlow.js, probing and starting the device take seconds alone, a minute on a busy machine.
  test.setTimeout(240_000)
  test.skip(!existsSync(SWIFTSHADER_ICD), `no SwiftShader Vulkan driver at ${SWIFTSHADER_ICD} (Debian's chromium package)`)
  served = await startServedApp({ backend: 'webgpu', env: { VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: '/tmp' } })
  await page.goto(served.url)
  const backend = page.getByTestId('compute-backend')
  await expect(backend).toContainText(/Compute: (webgpu|failed)/, { timeout: 180_000 })
  if ((await backend.textContent())?.includes('failed')) {
    // Forced but unavailable: the engine says why. Only a missing adapter is a reason to skip.
    const why = (await backend.getAttribute('title')) ?? ''
    expect(why).toMatch(/^Backend "webgpu" was requested but is not available: /)
    test.skip(true, `no WebGPU adapter could be created here: ${why}`)
  }
  await expect(backend).toContainText('Compute: webgpu')
  await expect(page.getByTestId('compute-adapter-name')).toHaveText(/^SwiftShader/)
  await expect(page.getByTestId('compute-adapter')).toContainText(/· max buffer \d+\.\d GiB$/)
  await expect(page.getByTestId('compute-adapter')).toHaveAttribute('title', /^WebGPU adapter: SwiftShader.*\nVendor google.*\nLargest buffer: .*\nA software adapter: CPU emulation/s)
  await expect(page.getByTestId('compute-reason')).toContainText('forced by setting or --backend')
  // The menu shows the backend --backend pinned for this run, and cannot change it; webgpu is offered
  // (it works here), and the GPU item does not claim training runs on the CPU.
  await expect(page.getByTestId('backend-choice')).toHaveValue('webgpu')
  await expect(page.getByTestId('backend-choice')).toBeDisabled()
  await expect(page.getByTestId('backend-choice')).toHaveAttribute('title', "This run's backend was set with --backend webgpu; the saved choice (auto) applies when Voxloop starts without it")
  await expect(page.getByTestId('backend-option-webgpu')).not.toHaveAttribute('disabled')
  await expect(page.getByTestId('gpu')).toHaveAttribute('title', /through WebGPU/)
  await page.getByTestId('status-bar').screenshot({ path: path.join(SCREENSHOT_DIR, 'webgpu-status-bar.png') })
  await saveScreenshot(page, 'webgpu-start-page')
})
