import { describe, expect, it } from 'vitest'
import { INITIAL_PLATEAU, learningRateAt, plateauScale, updatePlateau, type LrScheduleOptions, type PlateauState } from '../../../../src/engine/train/lrSchedule'

const base: LrScheduleOptions = { kind: 'poly', peak: 0.01, totalSteps: 100, warmupSteps: 10 }

describe('learningRateAt', () => {
  it.each(['poly', 'cosine', 'constant'] as const)('%s: warms up linearly from peak/warmup to the peak', (kind) => {
    const options = { ...base, kind }
    expect(learningRateAt(0, options)).toBeCloseTo(0.001, 12)
    expect(learningRateAt(4, options)).toBeCloseTo(0.005, 12)
    expect(learningRateAt(9, options)).toBeCloseTo(0.01, 12)
    expect(learningRateAt(10, options)).toBeCloseTo(0.01, 12)
  })

  it.each([
    // [step, poly (1 − t)^0.9, cosine ½(1 + cos πt)] with t = (step − 10) / 90
    [10, 1, 1],
    [55, 0.5 ** 0.9, 0.5],
    [99, (1 / 90) ** 0.9, 0.5 * (1 + Math.cos((Math.PI * 89) / 90))]
  ])('after the warm-up, step %i: poly and cosine follow their formulas', (step, poly, cosine) => {
    expect(learningRateAt(step, base)).toBeCloseTo(0.01 * poly, 12)
    expect(learningRateAt(step, { ...base, kind: 'cosine' })).toBeCloseTo(0.01 * cosine, 12)
    expect(learningRateAt(step, { ...base, kind: 'constant' })).toBe(0.01)
  })

  it('decreases monotonically after the warm-up, never reaching 0 within the run, and stays at its last value beyond it', () => {
    for (const kind of ['poly', 'cosine'] as const) {
      const rates = Array.from({ length: 100 }, (_, step) => learningRateAt(step, { ...base, kind }))
      for (let s = 11; s < 100; s++) expect(rates[s]).toBeLessThan(rates[s - 1] as number)
      expect(rates[99]).toBeGreaterThan(0)
      expect(learningRateAt(150, { ...base, kind })).toBe(rates[99])
    }
  })

  it('decays towards a floor when one is given', () => {
    const options = { ...base, kind: 'cosine' as const, floorFraction: 0.1 }
    expect(learningRateAt(99, options)).toBeGreaterThan(0.001)
    expect(learningRateAt(99, options)).toBeLessThan(0.00101)
  })

  it('without warm-up starts at the peak; a warm-up as long as the run is clamped', () => {
    expect(learningRateAt(0, { ...base, warmupSteps: 0 })).toBe(0.01)
    expect(learningRateAt(0, { ...base, totalSteps: 5, warmupSteps: 50 })).toBeCloseTo(0.01 / 4, 12)
    expect(learningRateAt(4, { ...base, totalSteps: 5, warmupSteps: 50 })).toBe(0.01)
  })

  it('is a pure function of the step (what makes resuming exact)', () => {
    const first = Array.from({ length: 100 }, (_, step) => learningRateAt(step, base))
    const again = Array.from({ length: 100 }, (_, i) => learningRateAt(99 - i, base)).reverse()
    expect(again).toEqual(first)
  })

  it('refuses a non-positive rate, step or run length', () => {
    expect(() => learningRateAt(0, { ...base, peak: 0 })).toThrow(/learning rate/)
    expect(() => learningRateAt(-1, base)).toThrow(/step/)
    expect(() => learningRateAt(0, { ...base, totalSteps: 0 })).toThrow(/total steps/)
  })
})

describe("the 'plateau' schedule", () => {
  it('halves after `patience` epochs without a strictly better validation Dice, and counts again after each reduction', () => {
    // Validation Dice per epoch: rises, stalls (ties do not count as better), rises, stalls long.
    const scores = [0.5, 0.6, 0.6, 0.59, 0.61, 0.61, 0.6, 0.6, 0.6, 0.6, 0.6]
    let state: PlateauState = INITIAL_PLATEAU
    const decisions = scores.map((score) => {
      const update = updatePlateau(state, score, 2)
      state = update.state
      return update.reduced
    })
    expect(decisions).toEqual([false, false, false, true, false, false, true, false, true, false, true])
    expect(state).toEqual({ reductions: 4, bestScore: 0.61, epochsWithoutImprovement: 0 })
    expect(plateauScale(state)).toBe(0.5 ** 4)
  })

  it('changes nothing without validation cases, and refuses a patience below 1', () => {
    expect(updatePlateau(INITIAL_PLATEAU, null, 2)).toEqual({ state: INITIAL_PLATEAU, reduced: false })
    expect(() => updatePlateau(INITIAL_PLATEAU, 0.5, 0)).toThrow(/patience/)
  })

  it('is the peak times the scale after the warm-up, with the ramp capped by it, and never below peak × 1e-3', () => {
    const options: LrScheduleOptions = { kind: 'plateau', peak: 0.01, totalSteps: 100, warmupSteps: 10 }
    expect(learningRateAt(50, options)).toBe(0.01)
    expect(learningRateAt(50, { ...options, plateauScale: 0.25 })).toBeCloseTo(0.0025, 15)
    // The warm-up ramps as the other schedules, up to the reduced level.
    expect(learningRateAt(0, { ...options, plateauScale: 0.25 })).toBeCloseTo(0.001, 15)
    expect(learningRateAt(5, { ...options, plateauScale: 0.25 })).toBeCloseTo(0.0025, 15)
    const many = { ...INITIAL_PLATEAU, reductions: 30 }
    expect(plateauScale(many)).toBe(1e-3)
    expect(learningRateAt(99, { ...options, plateauScale: plateauScale(many) })).toBeCloseTo(1e-5, 15)
    expect(() => learningRateAt(50, { ...options, plateauScale: 0 })).toThrow(/plateau scale/)
  })
})
