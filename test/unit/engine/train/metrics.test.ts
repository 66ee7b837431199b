import { describe, expect, it } from 'vitest'
import { confusionCounts, metricsFromCounts, overlapCounts, pixelAccuracy, segmentationMetrics } from '../../../../src/engine/train/metrics'

const u8 = (...values: number[]): Uint8Array => Uint8Array.from(values)

describe('confusionCounts', () => {
  it('counts TP, FP, FN, TN of one label', () => {
    //                          pred: 1 1 0 2 1 0    ref: 1 0 1 2 1 0
    expect(confusionCounts(u8(1, 1, 0, 2, 1, 0), u8(1, 0, 1, 2, 1, 0), 1)).toEqual({
      truePositives: 2,
      falsePositives: 1,
      falseNegatives: 1,
      trueNegatives: 2
    })
  })

  it('agrees with the one-pass counts for every label, Uint16 included', () => {
    const predicted = Uint16Array.from([0, 300, 300, 2, 1, 0, 2, 2])
    const reference = Uint16Array.from([0, 300, 1, 2, 1, 1, 0, 2])
    const counts = overlapCounts(predicted, reference)
    for (const label of [0, 1, 2, 300]) {
      const fromPass = segmentationMetrics(predicted, reference, { labels: [label] })[0]
      expect(fromPass).toMatchObject(confusionCounts(predicted, reference, label))
    }
    expect(counts.agreeing.length).toBe(301)
  })

  it('rejects maps of different sizes', () => {
    expect(() => confusionCounts(u8(1, 2), u8(1), 1)).toThrow(/differ in size/)
    expect(() => segmentationMetrics(u8(1, 2), u8(1))).toThrow(/differ in size/)
  })
})

describe('segmentationMetrics', () => {
  it.each([
    // name, predicted, reference, label, dice, iou, sensitivity, specificity
    ['partial overlap', u8(1, 1, 0, 0, 1, 0), u8(1, 0, 1, 0, 1, 0), 1, 4 / 6, 2 / 4, 2 / 3, 2 / 3],
    ['perfect', u8(1, 0, 1), u8(1, 0, 1), 1, 1, 1, 1, 1],
    ['disjoint', u8(1, 0, 0), u8(0, 1, 0), 1, 0, 0, 0, 0.5],
    ['both empty: Dice and IoU 1, sensitivity undefined', u8(0, 0, 0), u8(0, 0, 0), 1, 1, 1, null, 1],
    ['reference empty, prediction not: 0, sensitivity undefined', u8(1, 0, 0), u8(0, 0, 0), 1, 0, 0, null, 2 / 3],
    ['prediction empty, reference not: 0', u8(0, 0, 0), u8(1, 1, 0), 1, 0, 0, 0, 1],
    ['reference all label: specificity undefined', u8(1, 1, 0), u8(1, 1, 1), 1, 0.8, 2 / 3, 2 / 3, null]
  ] as const)('%s', (_name, predicted, reference, label, dice, iou, sensitivity, specificity) => {
    const [metrics] = segmentationMetrics(predicted, reference, { labels: [label] })
    expect(metrics?.dice).toBeCloseTo(dice, 12)
    expect(metrics?.iou).toBeCloseTo(iou, 12)
    if (sensitivity === null) expect(metrics?.sensitivity).toBeNull()
    else expect(metrics?.sensitivity).toBeCloseTo(sensitivity, 12)
    if (specificity === null) expect(metrics?.specificity).toBeNull()
    else expect(metrics?.specificity).toBeCloseTo(specificity, 12)
  })

  it('scores labels 1 … max by default (absent ones included) and any labels on request', () => {
    const predicted = u8(0, 1, 1, 3)
    const reference = u8(0, 1, 3, 3)
    expect(segmentationMetrics(predicted, reference).map((m) => [m.label, m.dice])).toEqual([
      [1, 2 / 3],
      [2, 1],
      [3, 2 / 3]
    ])
    expect(segmentationMetrics(predicted, reference, { labels: [0, 7] }).map((m) => [m.label, m.dice])).toEqual([
      [0, 1],
      [7, 1]
    ])
    expect(() => segmentationMetrics(predicted, reference, { labels: [-1] })).toThrow(/label must be an integer/)
  })

  it('Dice = 2·IoU / (1 + IoU) for any counts', () => {
    const metrics = metricsFromCounts(1, { truePositives: 7, falsePositives: 3, falseNegatives: 5, trueNegatives: 100 })
    expect(metrics.dice).toBeCloseTo((2 * metrics.iou) / (1 + metrics.iou), 12)
  })
})

describe('pixelAccuracy', () => {
  it('is the share of voxels whose label agrees, background included', () => {
    // 8 voxels: 6 agree (4 background, 1 of label 1, 1 of label 2), 2 disagree.
    const predicted = Uint8Array.from([0, 0, 0, 0, 1, 1, 2, 0])
    const reference = Uint8Array.from([0, 0, 0, 0, 1, 2, 2, 1])
    expect(pixelAccuracy(predicted, reference)).toBe(6 / 8)
    // An empty prediction of a small structure still scores high: why it complements Dice.
    expect(pixelAccuracy(new Uint8Array(100), Uint8Array.from({ length: 100 }, (_, i) => (i === 0 ? 1 : 0)))).toBe(0.99)
    expect(pixelAccuracy(Uint16Array.from([300, 2]), Uint16Array.from([300, 2]))).toBe(1)
    expect(pixelAccuracy(new Uint8Array(0), new Uint8Array(0))).toBe(1)
  })

  it('rejects maps of different sizes', () => {
    expect(() => pixelAccuracy(new Uint8Array(3), new Uint8Array(4))).toThrow(/differ in size/)
  })
})
