/**
 * The engine's end of the GPU window's channel as the utilityProcess gets it: Electron's
 * MessagePortMain, imitated over a Node MessagePort (its events carry { data }, as Electron's do).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { gpuWindowHost, offerGpuWindowPort, type MessagePortMainLike } from '../../../../src/engine/gpuHost/gpuWindowPort'

function electronLike(port: MessagePort): MessagePortMainLike & { started: boolean } {
  const like = {
    started: false,
    on(event: 'message' | 'close', listener: ((event: { data: unknown }) => void) | (() => void)): void {
      if (event === 'message') port.on('message', (data: unknown) => (listener as (event: { data: unknown }) => void)({ data }))
      else port.on('close', listener as () => void)
    },
    postMessage: (message: unknown) => port.postMessage(message),
    start: () => {
      like.started = true
    },
    close: () => port.close()
  }
  return like
}

describe('gpuWindowPort', () => {
  it('waits for main’s port up to the timeout, then says there is none', async () => {
    const started = Date.now()
    await expect(gpuWindowHost(150)).resolves.toBeNull()
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('hands the port to whoever waits, starts it, and requests go out on it', async () => {
    const { port1, port2 } = new MessageChannel()
    const waiting = gpuWindowHost(5_000)
    const engineEnd = electronLike(port1)
    offerGpuWindowPort(engineEnd)
    const host = await waiting
    expect(host).not.toBeNull()
    expect(engineEnd.started).toBe(true)
    // Later callers get the same client at once.
    await expect(gpuWindowHost(0)).resolves.toBe(host)
    const request = new Promise<unknown>((resolve) => port2.once('message', resolve))
    const probing = host?.probe(5_000)
    expect(await request).toEqual({ kind: 'probe', id: 1 })
    port2.postMessage({ kind: 'probed', id: 1, adapter: null, reason: "Chromium's WebGPU is off in this window" })
    await expect(probing).resolves.toEqual({ adapter: null, reason: "Chromium's WebGPU is off in this window" })
    port1.close()
  })
})
