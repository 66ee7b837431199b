import { afterEach, describe, expect, it, vi } from 'vitest'
import { GrowWorkerClient } from '../../../../../src/renderer/src/tools/growFromSeeds/GrowWorkerClient'
import { buildGrowRequest, growFromSeeds, type GrowRequest } from '../../../../../src/renderer/src/tools/growFromSeeds/kernel'
import { createGrowWorkerHandler, type GrowMessage, type GrowReply } from '../../../../../src/renderer/src/tools/growFromSeeds/protocol'
import { grid, imageWhere, randomVolume, seedsOf, type Case } from './helpers'

/**
 * A stand-in for the browser's Worker that runs the worker's own handler (protocol.ts, what
 * grow.worker.ts runs) on a later task, as the real one answers on a later task. Messages and replies
 * go through structuredClone with their transfer lists, as postMessage does. terminate() drops what
 * is in flight. `failOn` makes the n-th worker created fail (onerror) on its first message.
 */
class InProcessWorker {
  static created = 0
  static terminated = 0
  static failOn = 0
  static kinds: GrowMessage['kind'][] = []
  onmessage: ((event: MessageEvent<GrowReply>) => void) | null = null
  onerror: ((event: ErrorEvent) => void) | null = null
  private alive = true
  private readonly handle = createGrowWorkerHandler()
  private readonly number: number

  constructor(readonly url: URL) {
    this.number = ++InProcessWorker.created
  }

  postMessage(message: GrowMessage, transfer: ArrayBuffer[]): void {
    InProcessWorker.kinds.push(message.kind)
    const received = structuredClone(message, { transfer })
    setTimeout(() => {
      if (!this.alive) return
      if (this.number === InProcessWorker.failOn) {
        this.onerror?.({ message: 'out of memory' } as ErrorEvent)
        return
      }
      const { reply, transfer: back } = this.handle(received)
      this.onmessage?.({ data: structuredClone(reply, { transfer: back }) } as MessageEvent<GrowReply>)
    }, 0)
  }

  terminate(): void {
    this.alive = false
    InProcessWorker.terminated++
  }
}

const g = grid([10, 4, 1])
const image = imageWhere(g, (i) => (i < 4 ? 0 : 100))
const small = (): GrowRequest => buildGrowRequest(image, g, seedsOf(g, [[[0, 0, 0], 1], [[9, 3, 0], 2]]), { marginMm: 50, locality: 0 })

/** A 24×20×16 random volume: split over two workers when the client's threshold allows it. */
const CASE: Case = { seed: 90, dims: [24, 20, 16], spacing: [1, 1, 1.5], levels: 4, noise: 1, perClass: 3, classes: 3, locality: 0 }
const volume = randomVolume(CASE)
const big = (): GrowRequest =>
  buildGrowRequest(volume.image, grid(CASE.dims, CASE.spacing), { indices: volume.indices, values: volume.values }, { marginMm: 1000, locality: 0 })
const TWO = { cores: 2, minParallelVoxels: 1000 }

afterEach(() => {
  vi.unstubAllGlobals()
  InProcessWorker.created = 0
  InProcessWorker.terminated = 0
  InProcessWorker.failOn = 0
  InProcessWorker.kinds = []
})

describe('GrowWorkerClient', () => {
  it('runs a small job on one worker next to it and resolves with its labels; the worker is kept', async () => {
    vi.stubGlobal('Worker', InProcessWorker)
    const client = new GrowWorkerClient(TWO)
    const request = small()
    const { result } = await client.run(request)
    expect(Array.from(result.labels.slice(0, 10))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2, 2])
    // The cropped image was handed over, not copied.
    expect(request.image.byteLength).toBe(0)
    await client.run(small())
    expect(InProcessWorker.created).toBe(1)
    expect(InProcessWorker.kinds).toEqual(['grow', 'grow'])
    client.dispose()
    expect(InProcessWorker.terminated).toBe(1)
  })

  it('splits a big job over two workers, with the labels of one, and keeps both for the next job', async () => {
    vi.stubGlobal('Worker', InProcessWorker)
    const client = new GrowWorkerClient(TWO)
    const expected = growFromSeeds(big()).labels
    const first = await client.run(big())
    expect(first.result.labels).toEqual(expected)
    expect(InProcessWorker.kinds.slice(0, 2)).toEqual(['slab', 'slab'])
    expect(InProcessWorker.kinds.slice(-2)).toEqual(['finish', 'finish'])
    const second = await client.run(big())
    expect(second.result.labels).toEqual(expected)
    expect(InProcessWorker.created).toBe(2)
    expect(InProcessWorker.terminated).toBe(0)
    client.dispose()
    expect(InProcessWorker.terminated).toBe(2)
  })

  it('on one core a big job stays on one worker', async () => {
    vi.stubGlobal('Worker', InProcessWorker)
    const client = new GrowWorkerClient({ cores: 1, minParallelVoxels: 1000 })
    const { result } = await client.run(big())
    expect(result.labels).toEqual(growFromSeeds(big()).labels)
    expect(InProcessWorker.kinds).toEqual(['grow'])
    expect(InProcessWorker.created).toBe(1)
  })

  it('a new job supersedes the one in flight: both workers are terminated and its promise rejects CANCELLED', async () => {
    vi.stubGlobal('Worker', InProcessWorker)
    const client = new GrowWorkerClient(TWO)
    const first = client.run(big())
    const second = client.run(big())
    await expect(first).rejects.toMatchObject({ code: 'CANCELLED' })
    await expect(second).resolves.toMatchObject({ result: { dims: CASE.dims } })
    expect(InProcessWorker.terminated).toBe(2)
    expect(InProcessWorker.created).toBe(4)
  })

  it('a worker that fails rejects the job with INTERNAL naming that worker; the next job starts afresh', async () => {
    vi.stubGlobal('Worker', InProcessWorker)
    InProcessWorker.failOn = 2
    const client = new GrowWorkerClient(TWO)
    await expect(client.run(big())).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('worker 2 of 2 failed: out of memory') })
    expect(InProcessWorker.terminated).toBe(2)
    const { result } = await client.run(big())
    expect(result.labels).toEqual(growFromSeeds(big()).labels)
  })

  it("passes the kernel's refusal back as the same error", async () => {
    vi.stubGlobal('Worker', InProcessWorker)
    const client = new GrowWorkerClient(TWO)
    const bad = { ...small(), seedIndices: new Uint32Array(0), seedValues: new Uint16Array(0) }
    await expect(client.run(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('at least one seed') })
    const badSlab = { ...big(), quantum: 0 }
    await expect(client.run(badSlab)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('quantum') })
  })
})
