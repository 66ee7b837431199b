/**
 * The learning rate as a pure function of the step, so that a resumed run continues on exactly the
 * same curve without any schedule state in its checkpoint.
 *
 *   warm-up   steps [0, warmupSteps): linear from peak/warmupSteps up to the peak (never 0: a step
 *             with rate 0 would be wasted work)
 *   then      poly:     peak · (1 − t)^power             (nnU-Net; power 0.9)
 *             cosine:   floor + (peak − floor) · ½(1 + cos πt)
 *             constant: peak
 *   with t = (step − warmupSteps) / (totalSteps − warmupSteps) ∈ [0, 1).
 */
import { VoxloopError } from '../../shared/errors'
import type { LrScheduleKind } from '../../shared/training'

export interface LrScheduleOptions {
  kind: LrScheduleKind
  /** Highest rate, reached at the end of the warm-up. > 0. */
  peak: number
  /** All optimiser steps of the run. ≥ 1. */
  totalSteps: number
  /** Steps of linear warm-up. 0 ≤ warmupSteps < totalSteps (clamped). */
  warmupSteps: number
  /** Exponent of 'poly'; default 0.9. */
  power?: number
  /** Lowest rate 'poly' and 'cosine' decay towards, as a fraction of the peak; default 0. */
  floorFraction?: number
}

export const DEFAULT_POLY_POWER = 0.9

/** Rate for the optimiser step with 0-based index `step`. Steps past the end keep the last rate. */
export function learningRateAt(step: number, options: LrScheduleOptions): number {
  const { kind, peak, totalSteps } = options
  if (!(peak > 0) || !Number.isFinite(peak)) throw new VoxloopError('INVALID_ARGUMENT', `learning rate must be > 0, got ${peak}`)
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1)) throw new VoxloopError('INVALID_ARGUMENT', `total steps must be a positive integer, got ${totalSteps}`)
  if (!(Number.isInteger(step) && step >= 0)) throw new VoxloopError('INVALID_ARGUMENT', `step must be an integer ≥ 0, got ${step}`)
  const warmup = Math.min(Math.max(0, Math.floor(options.warmupSteps)), totalSteps - 1)
  if (step < warmup) return (peak * (step + 1)) / warmup
  const floor = peak * (options.floorFraction ?? 0)
  const decaySteps = totalSteps - warmup
  const t = Math.min(step - warmup, decaySteps - 1) / decaySteps
  switch (kind) {
    case 'constant':
      return peak
    case 'poly':
      return floor + (peak - floor) * (1 - t) ** (options.power ?? DEFAULT_POLY_POWER)
    case 'cosine':
      return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * t))
  }
}
