import { describe, expect, it } from 'vitest'
import { parseMirrorFlag, parsePatchFlag, trainingOptionsFromFlags } from '../../../../src/main/cli/commands/trainCommand'
import { parseArgs } from '../../../../src/main/cli/parseArgs'
import { formatDuration, formatEpochLine, formatProgressLine, formatScoresTable } from '../../../../src/main/cli/trainingReport'
import type { TrainingProgress, ValidationScores } from '../../../../src/shared/training'

const flags = (...argv: string[]): ReturnType<typeof parseArgs> => parseArgs(['train', 'project', ...argv], ['json', 'no-augment'])

describe('voxloop train flags', () => {
  it('turn into training options, leaving the rest to the data', () => {
    // No options: the same default (a time budget planned from the data) as the app's Train button.
    expect(trainingOptionsFromFlags(flags())).toEqual({})
    expect(trainingOptionsFromFlags(flags('--minutes', '7.5'))).toEqual({ minutes: 7.5 })
    expect(() => trainingOptionsFromFlags(flags('--minutes', '0'))).toThrow(/--minutes/)
    expect(
      trainingOptionsFromFlags(flags('--epochs', '3', '--steps', '20', '--patch', '32x48x32', '--batch', '4', '--lr', '3e-4', '--optimizer', 'sgd', '--val', '0.25', '--seed', '7', '--no-augment', '--depth', '2', '--base-filters', '4', '--from', 'v0001-20250101-000000'))
    ).toEqual({
      epochs: 3,
      stepsPerEpoch: 20,
      patchSize: [32, 48, 32],
      batchSize: 4,
      learningRate: 3e-4,
      optimizer: 'sgd',
      validationFraction: 0.25,
      seed: 7,
      augment: false,
      model: { depth: 2, baseFilters: 4 },
      fromModel: 'v0001-20250101-000000'
    })
  })

  it('name the flag at fault', () => {
    expect(() => trainingOptionsFromFlags(flags('--optimizer', 'rmsprop'))).toThrow(/--optimizer/)
    expect(() => trainingOptionsFromFlags(flags('--val', '2'))).toThrow(/--val/)
    expect(() => trainingOptionsFromFlags(flags('--lr', 'fast'))).toThrow(/--lr must be a number/)
    expect(() => trainingOptionsFromFlags(flags('--epochs', '0'))).toThrow(/--epochs must be an integer/)
    expect(() => parsePatchFlag('32x32')).toThrow(/--patch must be N or DxHxW/)
    expect(parsePatchFlag('48')).toBe(48)
  })

  it('--mirror names axes d, h, w (or none); anything else is refused', () => {
    expect(parseMirrorFlag('w')).toEqual([2])
    expect(parseMirrorFlag('w,d,w')).toEqual([0, 2])
    expect(parseMirrorFlag('none')).toEqual([])
    expect(parseMirrorFlag(undefined)).toBeUndefined()
    expect(() => parseMirrorFlag('x')).toThrow(/--mirror takes axes d, h, w/)
    expect(trainingOptionsFromFlags(flags('--mirror', 'h,w'))).toMatchObject({ mirrorAxes: [1, 2] })
  })
})

describe('training report text', () => {
  const scores: ValidationScores = {
    meanForegroundDice: 0.75,
    cases: 2,
    perLabel: [
      { labelId: 1, name: 'Anterior', dice: 0.8, iou: 0.667, sensitivity: 0.9, specificity: 0.99 },
      { labelId: 2, name: 'Posterior', dice: 0.7, iou: 0.538, sensitivity: null, specificity: 0.98 }
    ]
  }

  it('draws a progress bar with loss, rate, speed, ETA and tensors', () => {
    const progress = { phase: 'training', epoch: 2, epochs: 5, stepInEpoch: 5, stepsPerEpoch: 10, loss: 0.51234, learningRate: 0.0008, patchesPerSecond: 1.5, etaSeconds: 125, memory: { numTensors: 321, numBytes: 1 } } as TrainingProgress
    expect(formatProgressLine(progress, 10)).toBe('epoch 2/5 [#####-----] 5/10  loss 0.5123  lr 8.0e-4  1.50 patches/s  ETA 2m05s  tensors 321')
  })

  it('summarises an epoch and tabulates scores (missing values as —)', () => {
    const line = formatEpochLine({ epoch: 3, epochs: 5, trainLoss: 0.4, validation: scores, seconds: 61, improved: true } as Parameters<typeof formatEpochLine>[0])
    expect(line).toBe('epoch 3/5  loss 0.4000  val Dice 0.7500 (Anterior 0.800, Posterior 0.700)  1m01s  * best')
    const table = formatScoresTable(scores).split('\n')
    expect(table[0]).toMatch(/^label\s+Dice\s+IoU\s+sensitivity\s+specificity$/)
    expect(table[3]).toMatch(/^Posterior \(2\)\s+0\.7000\s+0\.5380\s+—\s+0\.9800$/)
    expect(table[4]).toMatch(/^mean\s+0\.7500/)
    expect(formatDuration(7300)).toBe('2h01m')
    expect(formatDuration(null)).toBe('--')
  })
})
