import { describe, expect, it } from 'vitest'
import { lossChartData } from '../../../../../src/renderer/src/components/training/lossChartData'
import type { ValidationScores } from '../../../../../src/shared/training'

const validation = (loss?: number): ValidationScores => ({ meanForegroundDice: 0.5, perLabel: [], cases: 1, ...(loss === undefined ? {} : { loss }) })

describe('lossChartData', () => {
  it('puts step losses and per-epoch training and validation losses on one step axis, null where a series has no point', () => {
    const data = lossChartData(
      [
        { step: 1, loss: 1.5 },
        { step: 3, loss: 1.2 },
        { step: 4, loss: 1.1 },
        { step: 7, loss: 0.9 }
      ],
      [
        { step: 4, trainLoss: 1.3, validation: validation(1.0) },
        { step: 8, trainLoss: 0.95, validation: validation(0.85) }
      ]
    )
    expect(data.x).toEqual([1, 3, 4, 7, 8])
    expect(data.series.map((s) => s.label)).toEqual(['training, per step', 'training, epoch mean', 'validation'])
    expect(data.series[0]?.values).toEqual([1.5, 1.2, 1.1, 0.9, null])
    expect(data.series[1]?.values).toEqual([null, null, 1.3, null, 0.95])
    expect(data.series[2]?.values).toEqual([null, null, 1.0, null, 0.85])
    // The per-epoch series are drawn with dots: an epoch's value is one point among many steps.
    expect(data.series.map((s) => s.points ?? false)).toEqual([false, true, true])
    for (const series of data.series) expect(series.values).toHaveLength(data.x.length)
  })

  it('leaves the validation series out while no epoch has a validation loss (no held-out case, or an older engine)', () => {
    const data = lossChartData([{ step: 2, loss: 1 }], [{ step: 2, trainLoss: 1, validation: validation() }, { step: 4, trainLoss: 0.9, validation: null }])
    expect(data.series.map((s) => s.label)).toEqual(['training, per step', 'training, epoch mean'])
  })

  it('keeps an epoch without validation as a gap in the validation series', () => {
    const data = lossChartData([], [{ step: 5, trainLoss: 1, validation: validation(0.7) }, { step: 10, trainLoss: 0.8, validation: null }])
    expect(data.x).toEqual([5, 10])
    expect(data.series[2]?.values).toEqual([0.7, null])
  })
})
