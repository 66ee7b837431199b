import { describe, expect, it } from 'vitest'
import { ETA_MIN_STEPS, ProgressMeter, STEP_WINDOW, WARMUP_STEPS } from '../../../../src/engine/train/progressMeter'

const meter = (totalSteps = 100): ProgressMeter => new ProgressMeter({ batchSize: 2, stepsPerEpoch: 10, totalSteps })

describe('ProgressMeter', () => {
  it('has no speed or ETA before the first step', () => {
    const m = meter()
    expect(m.secondsPerStepEstimate()).toBeNull()
    expect(m.etaSeconds(0, 0)).toBeNull()
    expect(m.epochOverheadEstimate()).toBeNull()
  })

  it('uses the warm-up steps only while nothing else is measured', () => {
    const m = meter()
    m.recordStep(10)
    expect(m.secondsPerStepEstimate()).toBe(10)
    for (let i = 1; i < WARMUP_STEPS; i++) m.recordStep(10)
    for (let i = 0; i < 5; i++) m.recordStep(1)
    expect(m.secondsPerStepEstimate()).toBeCloseTo(1, 12)
  })

  it('keeps the budget speed steady when single steps swing, while patches/s follows them', () => {
    const m = meter()
    for (let i = 0; i < WARMUP_STEPS; i++) m.recordStep(0.6)
    // Alternating slow and fast steps, then a run of fast ones (another process paused).
    for (let i = 0; i < 60; i++) m.recordStep(i % 2 === 0 ? 0.4 : 0.8)
    for (let i = 0; i < 5; i++) m.recordStep(0.3)
    const steady = m.secondsPerStepEstimate() as number
    expect(steady).toBeGreaterThan(0.55)
    expect(steady).toBeLessThan(0.6)
    // The displayed speed is the recent one: 5 steps of 0.3 s pull it most of the way.
    expect(m.patchesPerSecond()).toBeGreaterThan(2 / 0.45)
  })

  it('follows a lasting change of speed within one window', () => {
    const m = meter()
    for (let i = 0; i < WARMUP_STEPS + STEP_WINDOW; i++) m.recordStep(1)
    for (let i = 0; i < STEP_WINDOW; i++) m.recordStep(2)
    expect(m.secondsPerStepEstimate()).toBeCloseTo(2, 12)
  })

  it("leaves the first epoch's overhead out once later ones are measured", () => {
    const m = meter()
    m.recordEpochOverhead(30)
    expect(m.epochOverheadEstimate()).toBe(30)
    m.recordEpochOverhead(3)
    m.recordEpochOverhead(5)
    expect(m.epochOverheadEstimate()).toBeCloseTo(4, 12)
    for (let i = 0; i < 10; i++) m.recordEpochOverhead(2)
    expect(m.epochOverheadEstimate()).toBeCloseTo(2, 12)
  })

  it('gives no ETA from the first steps alone (issue #15 item 9: "18 min" at step 1 of a 4.5 min run)', () => {
    const m = meter(100)
    // The first step compiles kernels: 30 s, then 0.5 s per step.
    m.recordStep(30)
    expect(m.secondsPerStepEstimate()).toBe(30)
    expect(m.etaSeconds(1, 0)).toBeNull()
    for (let step = 2; step < ETA_MIN_STEPS; step++) {
      m.recordStep(0.5)
      expect(m.etaSeconds(step, 0), `step ${step}`).toBeNull()
    }
    m.recordStep(0.5)
    expect(m.hasEta()).toBe(true)
    // From the steady steps: 94 steps of 0.5 s (no epoch overhead measured yet).
    expect(m.etaSeconds(ETA_MIN_STEPS, 0)).toBeCloseTo((100 - ETA_MIN_STEPS) * 0.5, 9)
    expect(ETA_MIN_STEPS).toBeGreaterThan(WARMUP_STEPS)
  })

  it('counts the steps and epoch ends left', () => {
    const m = meter(100)
    for (let i = 0; i < WARMUP_STEPS; i++) m.recordStep(5)
    for (let i = 0; i < 10; i++) m.recordStep(0.5)
    m.recordEpochOverhead(9)
    m.recordEpochOverhead(2)
    // 50 steps of 0.5 s and 5 epoch ends of 2 s.
    expect(m.etaSeconds(50, 5)).toBeCloseTo(35, 9)
    // After epoch 5's last step, before its validation: its end is still to come (6 of them).
    expect(m.etaSeconds(50, 4)).toBeCloseTo(37, 9)
    expect(m.etaSeconds(100, 9)).toBeCloseTo(2, 9)
    m.setTotalSteps(60)
    expect(m.etaSeconds(50, 5)).toBeCloseTo(10 * 0.5 + 2, 9)
    expect(m.etaSeconds(70, 7)).toBe(0)
  })
  it("adds the work after the last epoch to the ETA: the validations' worth set for it, timed like the overhead", () => {
    const m = meter(100)
    for (let i = 0; i < WARMUP_STEPS; i++) m.recordStep(5)
    for (let i = 0; i < 10; i++) m.recordStep(0.5)
    m.setFinalWork(8)
    // No validation timed yet: nothing to add.
    expect(m.finalSecondsEstimate()).toBe(0)
    expect(m.validationEstimate()).toBeNull()
    m.recordEpochOverhead(9)
    m.recordValidation(8)
    m.recordEpochOverhead(2)
    m.recordValidation(1.5)
    // The first validation (warm-up) is left out once a later one is measured, as for the overhead.
    expect(m.validationEstimate()).toBe(1.5)
    expect(m.finalSecondsEstimate()).toBe(12)
    // 50 steps of 0.5 s, 5 epoch ends of 2 s, then 8 validations of 1.5 s.
    expect(m.etaSeconds(50, 5)).toBeCloseTo(35 + 12, 9)
    expect(m.etaSeconds(100, 10)).toBeCloseTo(12, 9)
    // During that work the ETA counts down from its estimate, never below 0.
    expect(m.finalEtaSeconds(0)).toBeCloseTo(12, 9)
    expect(m.finalEtaSeconds(5)).toBeCloseTo(7, 9)
    expect(m.finalEtaSeconds(20)).toBe(0)
    m.setFinalWork(0)
    expect(m.etaSeconds(50, 5)).toBeCloseTo(35, 9)
  })

  it('counts down the final work of a run stopped early from its estimate alone, not the steps it did not take', () => {
    const m = meter(100)
    expect(m.finalEtaSeconds(0)).toBeNull()
    for (let i = 0; i < ETA_MIN_STEPS; i++) m.recordStep(0.5)
    m.recordEpochOverhead(2)
    m.recordValidation(1.5)
    m.setFinalWork(4)
    // Stopped at step 40 of 100: etaSeconds would still count 60 steps and 6 epoch ends.
    expect(m.etaSeconds(40, 4)).toBeGreaterThan(30)
    expect(m.finalEtaSeconds(1)).toBeCloseTo(5, 9)
  })
})
