import { describe, expect, it } from 'vitest'
import { MIN_TICKS, niceRange, niceStep, niceTicks, tickLabels } from '../../../../../src/renderer/src/components/training/chartScale'

describe('training chart y axis (issue #15 item 9: the loss chart had one y tick)', () => {
  it('rounds steps up to 1, 2, 2.5 or 5 × 10^k', () => {
    expect([0.3, 0.012, 0.022, 7, 2.2, 1].map(niceStep)).toEqual([0.5, 0.02, 0.025, 10, 2.5, 1])
  })

  it.each([
    ['a loss curve that barely moves', 0.9512, 0.9637],
    ['a loss falling fast', 0.42, 2.31],
    ['one step so far', 1.37, 1.37],
    ['a flat zero line', 0, 0],
    ['a validation loss', 0.08, 0.11]
  ])('gives %s at least three round ticks inside a range that holds every value', (_what, min, max) => {
    const [low, high] = niceRange(min, max)
    expect(low).toBeLessThanOrEqual(min)
    expect(high).toBeGreaterThanOrEqual(max)
    const ticks = niceTicks(low, high)
    expect(ticks.length).toBeGreaterThanOrEqual(MIN_TICKS)
    expect(ticks.length).toBeLessThanOrEqual(11)
    const labels = tickLabels(ticks)
    // Distinct labels: a tick that reads like its neighbour would say nothing.
    expect(new Set(labels).size).toBe(labels.length)
  })

  it('ticks a fixed Dice range 0–1 in round steps', () => {
    expect(tickLabels(niceTicks(0, 1))).toEqual(['0.00', '0.25', '0.50', '0.75', '1.00'])
  })
})
