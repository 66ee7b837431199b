import { describe, expect, it } from 'vitest'
import { FrameStats } from '../../../../src/renderer/src/viewer/frameStats'

/** The only part of the viewer element FrameStats touches: its data attributes. */
function element(): HTMLElement & { dataset: Record<string, string> } {
  return { dataset: {} } as unknown as HTMLElement & { dataset: Record<string, string> }
}

describe('FrameStats', () => {
  it('measures latency from the oldest input not yet drawn, once per frame', () => {
    const root = element()
    const stats = new FrameStats(root)
    const now = performance.now()
    stats.inputAt(now - 30)
    stats.inputAt(now - 5) // a later input of the same frame does not reset the clock
    stats.frameDrawn(true)
    stats.frameDrawn(true) // nothing pending: no second sample
    const latencies = stats.getInputLatencies()
    expect(latencies).toHaveLength(1)
    expect(latencies[0]).toBeGreaterThanOrEqual(30)
    expect(Number(root.dataset.inputLatencyMs)).toBeGreaterThanOrEqual(30)
  })

  it('drops an input a tool declined', () => {
    const stats = new FrameStats(element())
    stats.inputAt()
    stats.cancelInput()
    stats.frameDrawn(true)
    expect(stats.getInputLatencies()).toHaveLength(0)
  })

  it('reports the first frame of each load once, and only when views exist', () => {
    const root = element()
    const stats = new FrameStats(root)
    stats.loadStarted()
    expect(stats.frameDrawn(false)).toBe(false)
    expect(stats.frameDrawn(true)).toBe(true)
    expect(stats.frameDrawn(true)).toBe(false)
    expect(stats.getFirstFrameMs()).not.toBeNull()
    expect(root.dataset.firstFrameMs).toMatch(/^\d+\.\d$/)
    stats.loadStarted()
    expect(stats.getFirstFrameMs()).toBeNull()
    expect(stats.frameDrawn(true)).toBe(true)
  })

  it('counts frames and their work, and clears the series', () => {
    const root = element()
    const stats = new FrameStats(root)
    stats.frameFinished(performance.now() - 4)
    stats.frameFinished(performance.now())
    expect(stats.getFrameWorkMs()).toHaveLength(2)
    expect(stats.getFrameWorkMs()[0]).toBeGreaterThanOrEqual(4)
    expect(root.dataset.frames).toBe('2')
    stats.clear()
    expect(stats.getFrameWorkMs()).toHaveLength(0)
  })
})
