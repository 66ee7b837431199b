import { existsSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { chromium, expect, test, type Browser, type Page } from '@playwright/test'
import { CHROMIUM_PATH } from '../../playwright.config'
import { buildUNet3d } from '../../src/engine/model'
import { batchLossFunction } from '../../src/engine/train/batchLoss'
import { respondToAppRequest } from '../../src/main/electron/appProtocol'
import { DEFAULT_LOSS } from '../../src/shared/training'
import { relativeError } from '../helpers/seededTensors'

/**
 * Issue #16 item 2: the desktop app's GPU window. Electron cannot run here, so its page (the built
 * out/renderer/gpu-host.html, served with the app:// protocol's own responses and CSP) runs in
 * Debian's Chromium with WebGPU on SwiftShader's Vulkan driver. The test takes the engine's part:
 * it hands the page a port the way the window's preload does and speaks the engine's protocol
 * (gpuHostProtocol.ts), comparing the page's prediction and gradients with the cpu backend here.
 */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'
const RENDERER_DIR = path.resolve(__dirname, '..', '..', 'out', 'renderer')
const OPTIONS = { inputChannels: 1, numClasses: 3, depth: 2, baseFilters: 4, residualUnits: 1, seed: 21 }
const EDGE = 8
const TOLERANCE = 1e-4

let server: http.Server | undefined
let browser: Browser | undefined

test.afterEach(async () => {
  await browser?.close()
  browser = undefined
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

/** out/renderer over loopback http, each answer exactly what the app:// protocol handler gives. */
async function serveRendererDir(): Promise<string> {
  server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    void respondToAppRequest(RENDERER_DIR, { method: request.method ?? 'GET', url: `app://voxloop${url.pathname}` }).then(async (answer) => {
      response.writeHead(answer.status, Object.fromEntries(answer.headers.entries()))
      response.end(Buffer.from(await answer.arrayBuffer()))
    })
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Hands the page a port as the GPU window's preload does, and keeps the engine's end as `ask`. */
async function connect(page: Page): Promise<void> {
  await page.evaluate(() => {
    const channel = new MessageChannel()
    const waiting = new Map<number, (reply: unknown) => void>()
    channel.port1.onmessage = (event: MessageEvent) => {
      const id = (event.data as { id: number }).id
      waiting.get(id)?.(event.data)
      waiting.delete(id)
    }
    ;(window as unknown as { ask: (message: { id: number }) => Promise<unknown> }).ask = (message) =>
      new Promise((resolve) => {
        waiting.set(message.id, resolve)
        channel.port1.postMessage(message)
      })
    window.postMessage('voxloop:gpu-host-port', '*', [channel.port2])
  })
}

type Reply = { kind: string; id: number; [key: string]: unknown }

/** A request with its typed arrays given as plain arrays (page.evaluate's arguments are JSON). */
async function ask(page: Page, message: Record<string, unknown>, float32: string[] = [], arrays: Record<string, 'f32' | 'u8' | 'f32[]'> = {}): Promise<Reply> {
  return page.evaluate(
    async ({ message, arrays }) => {
      const request: Record<string, unknown> = { ...message }
      for (const [key, kind] of Object.entries(arrays)) {
        const value = request[key] as number[] | number[][]
        request[key] = kind === 'f32' ? new Float32Array(value as number[]) : kind === 'u8' ? new Uint8Array(value as number[]) : (value as number[][]).map((v) => new Float32Array(v))
      }
      const reply = (await (window as unknown as { ask: (m: unknown) => Promise<Record<string, unknown>> }).ask(request)) as Record<string, unknown>
      // Typed arrays back as plain ones.
      const plain = (v: unknown): unknown => (v instanceof Float32Array ? Array.from(v) : Array.isArray(v) ? v.map(plain) : v)
      return Object.fromEntries(Object.entries(reply).map(([k, v]) => [k, plain(v)])) as Reply
    },
    { message, arrays: { ...Object.fromEntries(float32.map((k) => [k, 'f32' as const])), ...arrays } }
  )
}

test("the GPU window's page serves the engine's protocol on Chromium's WebGPU: probe, prediction and gradients as on cpu", async () => {
  // Shader compilation on SwiftShader (CPU emulation) takes most of this; a busy 2-core machine more.
  test.setTimeout(420_000)
  test.skip(!existsSync(SWIFTSHADER_ICD), `no SwiftShader Vulkan driver at ${SWIFTSHADER_ICD} (Debian's chromium package)`)
  expect(existsSync(path.join(RENDERER_DIR, 'gpu-host.html')), 'out/renderer/gpu-host.html: run `npm run build` first').toBe(true)

  // The engine's side, on cpu: a small residual U-Net (instance norm, the engine's custom layers).
  await tf.setBackend('cpu')
  const model = buildUNet3d(OPTIONS)
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
  const random = (i: number): number => Math.sin(i * 12.9898) * 0.5
  const voxels = 2 * EDGE ** 3
  const image = Float32Array.from({ length: voxels }, (_, i) => random(i) + (Math.floor((i % EDGE ** 3) / EDGE ** 2) < 4 ? 0 : 1))
  const labels = Uint8Array.from({ length: voxels }, (_, i) => (Math.floor((i % EDGE ** 3) / EDGE ** 2) < 4 ? 0 : (i % EDGE) < 4 ? 1 : 2))
  const shape: [number, number, number, number, number] = [2, EDGE, EDGE, EDGE, 1]
  const expectedProbabilities = tf.tidy(() => (model.predict(tf.tensor5d(image, shape)) as tf.Tensor).dataSync() as Float32Array)
  const { value, grads } = tf.tidy(() => tf.variableGrads(batchLossFunction(model, 3, { image, label: labels, shape }, DEFAULT_LOSS), variables))
  const expectedLoss = (await value.data())[0] as number
  const expectedGradients = variables.flatMap((v) => Array.from(grads[v.name]?.dataSync() ?? []))

  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    // What the desktop app's main sets on Linux (src/main/index.ts); no --disable-gpu here.
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan'],
    env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: '/tmp' }
  })
  const page = await browser.newPage()
  const cspViolations: string[] = []
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text())
  })
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.goto(`${await serveRendererDir()}/gpu-host.html`)
  await connect(page)
  await expect(page).toHaveTitle('Voxloop GPU (1 engine)')

  const probed = await ask(page, { kind: 'probe', id: 1 })
  expect(probed).toMatchObject({ kind: 'probed', id: 1 })
  test.skip(probed.adapter === null, `Chromium found no WebGPU adapter here: ${String(probed.reason)}`)
  expect(probed.adapter).toMatchObject({ vendor: 'google', architecture: 'swiftshader', software: true })

  // A malformed request is answered as such, and the page goes on serving.
  expect(await ask(page, { kind: 'step', id: 2, key: 1 })).toMatchObject({ kind: 'failed', id: 2, code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^malformed request: /) })

  const weights = model.weights.map((w) => Array.from(w.read().dataSync()))
  const load = { kind: 'load', id: 3, key: 1, modelTopology: JSON.stringify(model.toJSON(null, false)), numClasses: 3, loss: DEFAULT_LOSS, weights }
  expect(await ask(page, load, [], { weights: 'f32[]' })).toEqual({ kind: 'loaded', id: 3, key: 1 })
  const predicted = await ask(page, { kind: 'predict', id: 4, key: 1, input: Array.from(image), shape, mirrorAxes: [] }, ['input'])
  expect(predicted.kind, JSON.stringify(predicted).slice(0, 300)).toBe('predicted')
  expect(relativeError(predicted.probabilities as number[], expectedProbabilities)).toBeLessThan(TOLERANCE)

  const trainable = variables.map((v) => Array.from(v.dataSync()))
  const stepped = await ask(page, { kind: 'step', id: 5, key: 1, weights: trainable, image: Array.from(image), labels: Array.from(labels), shape }, ['image'], { weights: 'f32[]', labels: 'u8' })
  expect(stepped.kind, JSON.stringify(stepped).slice(0, 300)).toBe('stepped')
  expect(Math.abs((stepped.loss as number) - expectedLoss)).toBeLessThan(TOLERANCE * expectedLoss)
  expect(relativeError((stepped.gradients as number[][]).flat(), expectedGradients)).toBeLessThan(TOLERANCE)

  expect(cspViolations).toEqual([])
  expect(pageErrors).toEqual([])
  tf.dispose([value, ...Object.values(grads)])
  model.dispose()
})
