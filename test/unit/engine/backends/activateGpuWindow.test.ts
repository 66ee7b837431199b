/**
 * The engine in the desktop app (process.versions.electron set): webgpu is probed through the GPU
 * window's port, and when chosen the engine keeps wasm for itself and hands the GPU work to the
 * window (activeGpuHost). The window is imitated in-process by serveGpuHost over a MessageChannel.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activateBackend } from '../../../../src/engine/backends/activateBackend'
import { activeGpuHost, setActiveGpuHost } from '../../../../src/engine/gpuHost/activeGpuHost'
import { offerGpuWindowPort, type MessagePortMainLike } from '../../../../src/engine/gpuHost/gpuWindowPort'
import { serveGpuHost } from '../../../../src/engine/gpuHost/serveGpuHost'
import type { GpuAdapterSummary } from '../../../../src/shared/backends'

const ARC: GpuAdapterSummary = { name: 'Intel(R) Arc(TM) A770 Graphics', vendor: 'intel', architecture: 'gen-12hp', software: false, maxBufferBytes: 3.5 * 2 ** 30 }

function electronLike(port: MessagePort): MessagePortMainLike {
  return {
    on(event: 'message' | 'close', listener: ((event: { data: unknown }) => void) | (() => void)): void {
      if (event === 'message') port.on('message', (data: unknown) => (listener as (event: { data: unknown }) => void)({ data }))
      else port.on('close', listener as () => void)
    },
    postMessage: (message: unknown) => port.postMessage(message),
    start: () => undefined,
    close: () => port.close()
  }
}

const channel = new MessageChannel()

beforeAll(() => {
  Object.defineProperty(process.versions, 'electron', { value: '33.2.0', configurable: true, enumerable: true })
  serveGpuHost(
    { post: (reply, transfer) => channel.port2.postMessage(reply, transfer), onMessage: (listener) => channel.port2.on('message', listener) },
    { probe: async () => ({ adapter: ARC, reason: `found ${ARC.name}` }), activate: async () => undefined, takeErrors: () => [] }
  )
  offerGpuWindowPort(electronLike(channel.port1))
})

afterAll(() => {
  Reflect.deleteProperty(process.versions, 'electron')
  setActiveGpuHost(null)
  channel.port1.close()
})

describe('activateBackend in the desktop app', () => {
  it("probes webgpu through the GPU window; auto picks its GPU, and the engine's own tensors stay on wasm", async () => {
    const report = await activateBackend('auto')
    const webgpu = report.probes.find((p) => p.id === 'webgpu')
    expect(webgpu).toEqual({ id: 'webgpu', available: true, reason: "GPU adapter Intel(R) Arc(TM) A770 Graphics, max buffer 3.5 GiB, in the desktop app's GPU window (Chromium's WebGPU)", adapter: ARC })
    expect(report).toMatchObject({ chosen: 'webgpu', tfBackend: 'wasm', adapter: ARC })
    expect(report.reason).toMatch(/the GPU window computes the steps and predictions, the engine keeps the optimiser on wasm/)
    expect(tf.getBackend()).toBe('wasm')
    expect(activeGpuHost()).not.toBeNull()
  })

  it('a forced other backend leaves the window alone', async () => {
    setActiveGpuHost(null)
    const report = await activateBackend('cpu')
    expect(report.chosen).toBe('cpu')
    expect(report.probes.find((p) => p.id === 'webgpu')?.reason).toBe('not probed because cpu was forced')
    expect(activeGpuHost()).toBeNull()
  })
})
