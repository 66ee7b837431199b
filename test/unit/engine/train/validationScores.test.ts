/**
 * Per-case scores with and without the case's grid (evaluation adds HD95, NSD and the volume ratio
 * in mm; training validation does not pay for distance transforms), and their means over cases.
 */
import { describe, expect, it } from 'vitest'
import { averageScores, caseScores } from '../../../../src/engine/train/validationScores'
import type { TrainingClass } from '../../../../src/shared/training'

const CLASSES: TrainingClass[] = [
  { index: 1, labelId: 5, name: 'anterior' },
  { index: 2, labelId: 9, name: 'posterior' }
]

/** A 4×1×1 row of class indices. */
const row = (...values: number[]): Uint8Array => Uint8Array.from(values)
const grid = { dims: [4, 1, 1] as [number, number, number], spacingMm: [2, 1, 1] as [number, number, number], toleranceMm: 2 }

describe('caseScores', () => {
  it('adds HD95, NSD and the volume ratio in mm when given the grid, per class with its label id', () => {
    // Class 1: predicted at 0–1, reference at 0 → its surfaces are 2 mm apart at most; class 2 absent from both.
    const [first, second] = caseScores(row(1, 1, 0, 0), row(1, 0, 0, 0), CLASSES, grid)
    expect(first).toMatchObject({ labelId: 5, name: 'anterior', dice: 2 / 3, volumeRatio: 2, hd95Mm: 2 * 0.95, surfaceDice: 1 })
    expect(second).toMatchObject({ labelId: 9, dice: 1, hd95Mm: 0, surfaceDice: 1, volumeRatio: null })
  })

  it('leaves the surface metrics out without the grid (training validation), but counts the volume ratio', () => {
    const [first] = caseScores(row(1, 1, 0, 0), row(1, 0, 0, 0), CLASSES)
    expect(first).not.toHaveProperty('hd95Mm')
    expect(first).not.toHaveProperty('surfaceDice')
    // Two voxels predicted, one in the reference: over-segmented twice over, visible at every epoch.
    expect(first?.volumeRatio).toBe(2)
    const averaged = averageScores([caseScores(row(1, 1, 0, 0), row(1, 0, 0, 0), CLASSES), caseScores(row(0, 0, 0, 0), row(1, 1, 0, 0), CLASSES)], CLASSES)
    expect(averaged.perLabel[0]?.volumeRatio).toBe(1) // (2 + 0) / 2
    expect(averaged.perLabel[0]).not.toHaveProperty('hd95Mm')
  })
})

describe('averageScores', () => {
  it('averages the surface metrics over cases, the volume ratio over the cases whose reference has the label', () => {
    const perCase = [
      caseScores(row(1, 1, 0, 0), row(1, 0, 0, 0), CLASSES, grid),
      caseScores(row(1, 0, 0, 2), row(1, 0, 0, 0), CLASSES, grid),
      caseScores(row(0, 1, 0, 0), row(0, 1, 0, 2), CLASSES, grid)
    ]
    const mean = averageScores(perCase, CLASSES)
    const [first, second] = mean.perLabel
    expect(first?.hd95Mm).toBeCloseTo((1.9 + 0 + 0) / 3, 12)
    expect(first?.volumeRatio).toBeCloseTo((2 + 1 + 1) / 3, 12)
    expect(first?.surfaceDice).toBeCloseTo(1, 12)
    // Class 2: spurious in case 2 (no ratio), missed in case 3 (ratio 0, HD95 the 8-mm diagonal of the row).
    const diagonal = Math.hypot(8, 1, 1)
    expect(second?.volumeRatio).toBe(0)
    expect(second?.hd95Mm).toBeCloseTo((0 + 2 * diagonal) / 3, 12)
    expect(second?.surfaceDice).toBeCloseTo(1 / 3, 12)
  })

  it('averages the pixel accuracies given, one per case, and leaves the field out without them', () => {
    const perCase = [caseScores(row(1, 1, 0, 0), row(1, 0, 0, 0), CLASSES), caseScores(row(0, 0, 0, 0), row(1, 1, 0, 0), CLASSES)]
    expect(averageScores(perCase, CLASSES, [0.75, 0.5]).pixelAccuracy).toBe(0.625)
    expect(averageScores(perCase, CLASSES)).not.toHaveProperty('pixelAccuracy')
  })

  it('has no surface means when the cases were scored without them', () => {
    const mean = averageScores([caseScores(row(1, 0, 0, 0), row(1, 0, 0, 0), CLASSES)], CLASSES)
    expect(mean.perLabel[0]).not.toHaveProperty('hd95Mm')
    expect(mean.perLabel[0]?.dice).toBe(1)
  })
})
