/**
 * The learning rate as a pure function of the step (and, for 'plateau', of the plateau state the
 * checkpoint holds), so that a resumed run continues on exactly the same curve.
 *
 *   warm-up   steps [0, warmupSteps): linear from peak/warmupSteps up to the peak (never 0: a step
 *             with rate 0 would be wasted work)
 *   then      poly:     peak · (1 − t)^power             (nnU-Net; power 0.9)
 *             cosine:   floor + (peak − floor) · ½(1 + cos πt)
 *             constant: peak
 *             plateau:  peak · max(0.5^reductions, 1e-3), the warm-up ramp capped by it; a
 *                       reduction comes after `patience` epochs without a better mean foreground
 *                       validation Dice (updatePlateau, fed by the epoch loop), and the count of
 *                       epochs starts again after it (as Keras' ReduceLROnPlateau)
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
  /** 'plateau': the share of the peak the reductions leave (plateauScale); default 1. */
  plateauScale?: number
}

/** 'plateau': each reduction multiplies the rate by this. */
export const PLATEAU_FACTOR = 0.5
/** 'plateau': the rate never goes below peak × this (ten reductions reach it). */
export const PLATEAU_FLOOR_FRACTION = 1e-3

/** The 'plateau' schedule's memory: plain data, stored in the checkpoint. */
export interface PlateauState {
  /** Reductions so far. */
  reductions: number
  /** Best mean foreground validation Dice so far (null before the first validation). */
  bestScore: number | null
  /** Epochs since the best score or the last reduction, whichever is later. */
  epochsWithoutImprovement: number
}

export const INITIAL_PLATEAU: PlateauState = Object.freeze({ reductions: 0, bestScore: null, epochsWithoutImprovement: 0 })

/**
 * The plateau state after an epoch whose validation scored `score` (null: no validation cases,
 * nothing changes). Strictly higher than the best is an improvement; after `patience` epochs
 * without one the rate is reduced and the count starts again.
 */
export function updatePlateau(state: PlateauState, score: number | null, patience: number): { state: PlateauState; reduced: boolean } {
  if (!(Number.isInteger(patience) && patience >= 1)) throw new VoxloopError('INVALID_ARGUMENT', `plateau patience must be an integer ≥ 1, got ${patience}`)
  if (score === null) return { state, reduced: false }
  if (state.bestScore === null || score > state.bestScore) return { state: { ...state, bestScore: score, epochsWithoutImprovement: 0 }, reduced: false }
  const waited = state.epochsWithoutImprovement + 1
  if (waited < patience) return { state: { ...state, epochsWithoutImprovement: waited }, reduced: false }
  return { state: { ...state, reductions: state.reductions + 1, epochsWithoutImprovement: 0 }, reduced: true }
}

/** The share of the peak the plateau state leaves: 0.5^reductions, at least PLATEAU_FLOOR_FRACTION. */
export function plateauScale(state: PlateauState): number {
  return Math.max(PLATEAU_FACTOR ** state.reductions, PLATEAU_FLOOR_FRACTION)
}

export const DEFAULT_POLY_POWER = 0.9

/** Rate for the optimiser step with 0-based index `step`. Steps past the end keep the last rate. */
export function learningRateAt(step: number, options: LrScheduleOptions): number {
  const { kind, peak, totalSteps } = options
  if (!(peak > 0) || !Number.isFinite(peak)) throw new VoxloopError('INVALID_ARGUMENT', `learning rate must be > 0, got ${peak}`)
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1)) throw new VoxloopError('INVALID_ARGUMENT', `total steps must be a positive integer, got ${totalSteps}`)
  if (!(Number.isInteger(step) && step >= 0)) throw new VoxloopError('INVALID_ARGUMENT', `step must be an integer ≥ 0, got ${step}`)
  const warmup = Math.min(Math.max(0, Math.floor(options.warmupSteps)), totalSteps - 1)
  if (kind === 'plateau') {
    const scale = options.plateauScale ?? 1
    if (!(scale > 0 && scale <= 1)) throw new VoxloopError('INVALID_ARGUMENT', `plateau scale must be in (0, 1], got ${scale}`)
    const level = peak * Math.max(scale, PLATEAU_FLOOR_FRACTION)
    return step < warmup ? Math.min(level, (peak * (step + 1)) / warmup) : level
  }
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
