import { afterEach, describe, expect, it, vi } from 'vitest'
import { GrowWorkerClient } from '../../../../../src/renderer/src/tools/growFromSeeds/GrowWorkerClient'
import { buildGrowRequest, type GrowRequest } from '../../../../../src/renderer/src/tools/growFromSeeds/kernel'
import { runGrowJob, type GrowJob, type GrowReply } from '../../../../../src/renderer/src/tools/growFromSeeds/protocol'
import { grid, imageWhere, seedsOf } from './helpers'

/**
 * A stand-in for the browser's Worker that runs the worker's own job function (protocol.ts) on a
 * later task, as the real one answers on a later task; terminate() drops what is in flight.
 */
class InProcessWorker {
  static created = 0
  static terminated = 0
  onmessage: ((event: MessageEvent<GrowReply>) => void) | null = null
  onerror: ((event: ErrorEvent) => void) | null = null
  private alive = true

  constructor(readonly url: URL) {
    InProcessWorker.created++
  }

  postMessage(job: GrowJob, transfer: ArrayBuffer[]): void {
    expect(transfer).toEqual([job.request.image.buffer])
    setTimeout(() => {
      if (!this.alive) return
      const { reply } = runGrowJob(job)
      this.onmessage?.({ data: reply } as MessageEvent<GrowReply>)
    }, 0)
  }

  terminate(): void {
    this.alive = false
    InProcessWorker.terminated++
  }
}

const g = grid([10, 4, 1])
const image = imageWhere(g, (i) => (i < 4 ? 0 : 100))
const request = (): GrowRequest => buildGrowRequest(image, g, seedsOf(g, [[[0, 0, 0], 1], [[9, 3, 0], 2]]), { marginMm: 50, locality: 0 })

afterEach(() => {
  vi.unstubAllGlobals()
  InProcessWorker.created = 0
  InProcessWorker.terminated = 0
})

describe('GrowWorkerClient', () => {
  it('runs a job in the worker script next to it and resolves with its labels', async () => {
    vi.stubGlobal('Worker', InProcessWorker)
    const client = new GrowWorkerClient()
    const { result } = await client.run(request())
    expect(Array.from(result.labels.slice(0, 10))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2, 2])
    // One worker, kept for the next job.
    await client.run(request())
    expect(InProcessWorker.created).toBe(1)
    client.dispose()
    expect(InProcessWorker.terminated).toBe(1)
  })

  it('a new job supersedes the one in flight: the old worker is terminated and its promise rejects CANCELLED', async () => {
    vi.stubGlobal('Worker', InProcessWorker)
    const client = new GrowWorkerClient()
    const first = client.run(request())
    const second = client.run(request())
    await expect(first).rejects.toMatchObject({ code: 'CANCELLED' })
    await expect(second).resolves.toMatchObject({ result: { dims: [10, 4, 1] } })
    expect(InProcessWorker.terminated).toBe(1)
    expect(InProcessWorker.created).toBe(2)
  })

  it('passes the kernel\'s refusal back as the same error', async () => {
    vi.stubGlobal('Worker', InProcessWorker)
    const client = new GrowWorkerClient()
    const bad = { ...request(), seedIndices: new Uint32Array(0), seedValues: new Uint16Array(0) }
    await expect(client.run(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('at least one seed') })
  })
})
