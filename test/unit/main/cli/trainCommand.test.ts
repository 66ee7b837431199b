import { describe, expect, it } from 'vitest'
import { lossOptionsFromFlags, parseAugmentFlag, parseMirrorFlag, parsePatchFlag, trainingOptionsFromFlags, trainingOutput } from '../../../../src/main/cli/commands/trainCommand'
import { parseArgs } from '../../../../src/main/cli/parseArgs'
import { runCli } from '../../../helpers/runCli'
import { formatDuration, formatEpochLine, formatPlan, formatPreparingLine, formatProgressLine, formatScoresTable } from '../../../../src/main/cli/trainingReport'
import { ARCHITECTURE_DESCRIPTIONS, ARCHITECTURES, type TrainingPlan, type TrainingPreparing, type TrainingProgress, type TrainingStarted, type ValidationScores } from '../../../../src/shared/training'

const flags = (...argv: string[]): ReturnType<typeof parseArgs> => parseArgs(['train', 'project', ...argv], ['json', 'no-augment', 'quarter-turns'])

describe('voxloop train flags', () => {
  it('turn into training options, leaving the rest to the data', () => {
    // No options: the same default (a time budget planned from the data) as the app's Train button.
    expect(trainingOptionsFromFlags(flags())).toEqual({})
    expect(trainingOptionsFromFlags(flags('--minutes', '7.5'))).toEqual({ minutes: 7.5 })
    expect(() => trainingOptionsFromFlags(flags('--minutes', '0'))).toThrow('voxloop train: --minutes must be above 0, got 0')
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
    // In the user's words, not the schema's ("Too big: expected number to be <=10").
    expect(() => trainingOptionsFromFlags(flags('--optimizer', 'rmsprop'))).toThrow('voxloop train: --optimizer takes one of adam, sgd, got "rmsprop"')
    expect(() => trainingOptionsFromFlags(flags('--val', '2'))).toThrow(/^voxloop train: --val must be (at most|below) [\d.]+, got 2$/)
    expect(() => trainingOptionsFromFlags(flags('--lr', '50'))).toThrow('voxloop train: --lr must be at most 10, got 50')
    expect(() => trainingOptionsFromFlags(flags('--minutes', '1e9'))).toThrow('voxloop train: --minutes must be at most 10080, got 1000000000')
    expect(() => trainingOptionsFromFlags(flags('--patch', '3'))).toThrow('voxloop train: --patch must be at least 4, got 3')
    expect(() => trainingOptionsFromFlags(flags('--lr', 'fast'))).toThrow(/--lr must be a number/)
    expect(() => trainingOptionsFromFlags(flags('--epochs', '0'))).toThrow(/--epochs must be an integer/)
    expect(() => parsePatchFlag('32x32')).toThrow(/--patch must be N or DxHxW/)
    expect(parsePatchFlag('48')).toBe(48)
  })

  it('--architecture names a registered network; --[no-]deep-supervision sets its extra loss', () => {
    expect(trainingOptionsFromFlags(flags('--architecture', 'plain-unet', '--deep-supervision'))).toEqual({ model: { architecture: 'plain-unet', deepSupervision: true } })
    expect(trainingOptionsFromFlags(flags('--no-deep-supervision'))).toEqual({ model: { deepSupervision: false } })
    expect(trainingOptionsFromFlags(flags('--architecture', 'residual-unet', '--depth', '2'))).toEqual({ model: { architecture: 'residual-unet', depth: 2 } })
    expect(() => trainingOptionsFromFlags(flags('--architecture', 'transformer'))).toThrow(/--architecture must be one of plain-unet, .*unetpp-2d, got "transformer"/)
  })

  it('--arch is short for --architecture, for every registered name; --depth goes up to 6 as the options schema', () => {
    for (const name of ARCHITECTURES) {
      expect(trainingOptionsFromFlags(flags('--arch', name))).toEqual({ model: { architecture: name } })
      expect(trainingOptionsFromFlags(flags(`--architecture=${name}`))).toEqual({ model: { architecture: name } })
    }
    expect(trainingOptionsFromFlags(flags('--arch', 'unetpp-2d', '--architecture', 'unetpp-2d', '--depth', '6'))).toEqual({ model: { architecture: 'unetpp-2d', depth: 6 } })
    expect(() => trainingOptionsFromFlags(flags('--arch', 'unetpp', '--architecture', 'plain-unet'))).toThrow(/--arch is short for --architecture: give one network/)
    expect(() => trainingOptionsFromFlags(flags('--arch', 'unet++'))).toThrow(/--arch must be one of .*, got "unet\+\+"/)
    expect(() => trainingOptionsFromFlags(flags('--depth', '7'))).toThrow(/--depth must be an integer from 1 to 6/)
  })

  it('--help lists every network by name with its description, and --arch', () => {
    const help = runCli(['--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('--architecture A, --arch A')
    for (const name of ARCHITECTURES) expect(help.stdout).toContain(`${name}: ${ARCHITECTURE_DESCRIPTIONS[name]}`)
  })

  it('--loss and its parameters build the loss options; a parameter of another loss is refused, naming the flags', () => {
    expect(trainingOptionsFromFlags(flags('--loss', 'tversky', '--tversky-alpha', '0.2', '--tversky-beta', '0.8', '--ce-weight', '0.5'))).toEqual({
      loss: { kind: 'tversky', alpha: 0.2, beta: 0.8, ceWeight: 0.5 }
    })
    expect(trainingOptionsFromFlags(flags('--loss', 'focal', '--focal-gamma', '1.5', '--focal-alpha', '0.25', '--dice-weight', '0'))).toEqual({
      loss: { kind: 'focal', gamma: 1.5, alpha: 0.25, diceWeight: 0 }
    })
    expect(trainingOptionsFromFlags(flags('--loss', 'dice-bce'))).toEqual({ loss: { kind: 'dice-bce' } })
    // Weights alone: the default loss (or, fine-tuning, the base model's) with these weights.
    expect(trainingOptionsFromFlags(flags('--dice-weight', '2'))).toEqual({ loss: { diceWeight: 2 } })
    expect(lossOptionsFromFlags(flags())).toBeUndefined()
    expect(() => trainingOptionsFromFlags(flags('--loss', 'hinge'))).toThrow('voxloop train: --loss takes one of dice-ce, dice-bce, focal, tversky, got "hinge"')
    expect(() => trainingOptionsFromFlags(flags('--dice-weight', '-1'))).toThrow('voxloop train: --dice-weight must be at least 0, got -1')
    // The field's range alone, not the loss's own rule repeating it.
    expect(() => trainingOptionsFromFlags(flags('--loss', 'focal', '--focal-alpha', '3'))).toThrow(/^voxloop train: --focal-alpha must be (at most|below) 1, got 3$/)
    expect(() => trainingOptionsFromFlags(flags('--loss', 'dice-ce', '--focal-gamma', '2'))).toThrow(/'dice-ce' takes no gamma/)
    expect(() => trainingOptionsFromFlags(flags('--loss', 'focal', '--tversky-alpha', '0.3'))).toThrow(/--tversky-alpha applies to --loss tversky, not focal/)
    expect(() => trainingOptionsFromFlags(flags('--tversky-alpha', '0.3', '--focal-alpha', '0.3'))).toThrow(/belong to different losses/)
    expect(() => trainingOptionsFromFlags(flags('--loss', 'tversky', '--tversky-beta', 'high'))).toThrow(/--tversky-beta must be a number/)
    expect(() => trainingOptionsFromFlags(flags('--loss', 'tversky', '--tversky-beta', '2'))).toThrow('voxloop train: --tversky-beta must be at most 1, got 2')
  })

  it('--schedule plateau with --plateau-patience', () => {
    expect(trainingOptionsFromFlags(flags('--schedule', 'plateau', '--plateau-patience', '4'))).toEqual({ schedule: 'plateau', plateauPatience: 4 })
    expect(() => trainingOptionsFromFlags(flags('--schedule', 'step'))).toThrow('voxloop train: --schedule takes one of poly, cosine, constant, plateau, got "step"')
    expect(() => trainingOptionsFromFlags(flags('--plateau-patience', '0'))).toThrow(/--plateau-patience must be an integer/)
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

describe('voxloop train --augment', () => {
  it.each([
    { argv: ['--augment', 'heavy'], options: { augmentation: 'heavy' } },
    { argv: ['--augment', 'None'], options: { augmentation: 'none' } },
    { argv: ['--augment=light', '--quarter-turns'], options: { augmentation: 'light', quarterTurns: true } },
    { argv: ['--no-augment'], options: { augment: false } },
    { argv: ['--no-augment', '--augment', 'none'], options: { augment: false, augmentation: 'none' } }
  ])('$argv → $options', ({ argv, options }) => {
    expect(trainingOptionsFromFlags(flags(...argv))).toEqual(options)
  })

  it('refuses an unknown preset, a missing one, and --no-augment with another preset, naming the flags', () => {
    expect(() => parseAugmentFlag('extreme')).toThrow(/--augment takes one of none, light, medium, heavy, got "extreme"/)
    expect(() => trainingOptionsFromFlags(flags('--augment', '--seed', '3'))).toThrow(/--augment needs a value/)
    expect(() => trainingOptionsFromFlags(flags('--no-augment', '--augment', 'heavy'))).toThrow(/--no-augment: .*contradicts/)
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

  it("names the plan's loss and schedule (older plans: dice-ce 1/1)", () => {
    const plan = {
      epochs: 4, timeBudgetSeconds: null, stepsPerEpoch: 10, patchSize: [8, 8, 8], batchSize: 2, optimizer: 'adam', learningRate: 0.003, momentum: 0.99, schedule: 'plateau', plateauPatience: 3,
      loss: { kind: 'tversky', diceWeight: 1, ceWeight: 1, alpha: 0.3, beta: 0.7 }, warmupSteps: 2, seed: 1, model: { depth: 3, baseFilters: 8 }, trainingCaseIds: ['a'], validationCaseIds: ['b'],
      targetSpacingMm: [1, 1, 1], modality: 'MR', fromModel: null, backend: 'wasm', architecture: 'plain-unet'
    } as unknown as TrainingPlan
    const started = { runId: 'r', version: 'v1', resumed: false, startEpoch: 1, plan } as TrainingStarted
    const text = formatPlan(started)
    expect(text).toMatch(/adam lr 0\.003 \(plateau: halved after 3 epoch\(s\) without a better validation Dice, 2 warm-up steps\)/)
    expect(text).toMatch(/^ {2}loss Tversky \(α 0\.3, β 0\.7\) \+ CE$/m)
    const { loss: _loss, ...older } = plan
    expect(formatPlan({ ...started, plan: { ...older, schedule: 'poly' } as TrainingPlan })).toMatch(/\(poly, 2 warm-up steps\)[^\n]*\n {2}augmentation none\n {2}loss Dice \+ CE/)
  })

  it('draws a progress bar with loss, rate, speed, ETA and tensors', () => {
    const progress = { phase: 'training', epoch: 2, epochs: 5, stepInEpoch: 5, stepsPerEpoch: 10, loss: 0.51234, learningRate: 0.0008, patchesPerSecond: 1.5, etaSeconds: 125, memory: { numTensors: 321, numBytes: 1 } } as TrainingProgress
    expect(formatProgressLine(progress, 10)).toBe('epoch 2/5 [#####-----] 5/10  loss 0.5123  lr 8.0e-4  1.50 patches/s  ETA 2m05s  tensors 321')
  })

  it('summarises an epoch and tabulates scores (missing values as —)', () => {
    const line = formatEpochLine({ epoch: 3, epochs: 5, trainLoss: 0.4, validation: scores, seconds: 61, improved: true } as Parameters<typeof formatEpochLine>[0])
    expect(line).toBe('epoch 3/5  loss 0.4000  val Dice 0.7500 (Anterior 0.800, Posterior 0.700)  1m01s  * best')
    // With the validation loss recorded (runs since it was added), the line gives it next to the training loss.
    const withLoss = formatEpochLine({ epoch: 4, epochs: 5, trainLoss: 0.35, validation: { ...scores, loss: 0.61234 }, seconds: 5, improved: false } as Parameters<typeof formatEpochLine>[0])
    expect(withLoss).toBe('epoch 4/5  loss 0.3500  val loss 0.6123  val Dice 0.7500 (Anterior 0.800, Posterior 0.700)  5s')
    // With volume ratios (runs since they are counted at every validation): ×predicted/reference after each Dice.
    const ratios = { ...scores, perLabel: scores.perLabel.map((l, i) => ({ ...l, volumeRatio: [1.234, null][i] ?? null })) }
    expect(formatEpochLine({ epoch: 1, epochs: 5, trainLoss: 0.5, validation: ratios, seconds: 5, improved: false } as Parameters<typeof formatEpochLine>[0])).toBe(
      'epoch 1/5  loss 0.5000  val Dice 0.7500 (Anterior 0.800 ×1.23, Posterior 0.700)  5s'
    )
    const table = formatScoresTable(scores).split('\n')
    expect(table[0]).toMatch(/^label\s+Dice\s+IoU\s+sensitivity\s+specificity$/)
    expect(table[3]).toMatch(/^Posterior \(2\)\s+0\.7000\s+0\.5380\s+—\s+0\.9800$/)
    expect(table[4]).toMatch(/^mean\s+0\.7500/)
    // With pixel accuracy (runs since it is measured): after the Dice list, and under the table.
    const accurate = { ...scores, pixelAccuracy: 0.98765 }
    expect(formatEpochLine({ epoch: 1, epochs: 5, trainLoss: 0.5, validation: accurate, seconds: 5, improved: false } as Parameters<typeof formatEpochLine>[0])).toBe(
      'epoch 1/5  loss 0.5000  val Dice 0.7500 (Anterior 0.800, Posterior 0.700)  pixel acc 0.9877  5s'
    )
    expect(formatScoresTable(accurate).split('\n').at(-1)).toBe('pixel accuracy (all voxels, background included) 0.9877')
    expect(formatScoresTable(scores)).not.toMatch(/pixel/)
    expect(formatDuration(7300)).toBe('2h01m')
    expect(formatDuration(null)).toBe('--')
  })
})

describe('voxloop train output while the cases are prepared', () => {
  const preparing = (done: number, total: number, caseId: string | null, stage: TrainingPreparing['stage'] = 'cache'): TrainingPreparing => ({ runId: 'r', stage, done, total, caseId, elapsedSeconds: 62 })
  const ids = Array.from({ length: 26 }, (_, n) => `hippocampus_${String(n + 1).padStart(3, '0')}`)
  /** The events of a 26-case preparation, as the engine sends them: before each case, then once after the last. */
  const stage = (kind: TrainingPreparing['stage']): TrainingPreparing[] => [...ids.map((id, n) => preparing(n, ids.length, id, kind)), preparing(ids.length, ids.length, null, kind)]

  it('names the case being read and counts it', () => {
    expect(formatPreparingLine(preparing(2, 26, 'hippocampus_012'))).toBe('Preparing cases 3/26 (hippocampus_012)…')
    expect(formatPreparingLine(preparing(0, 20, 'hippocampus_001', 'fingerprint'))).toBe('Measuring cases 1/20 (hippocampus_001)…')
    expect(formatPreparingLine(preparing(26, 26, null))).toBe('Prepared 26 case(s) (1m02s since the start)')
  })

  it('a log or pipe gets one line per prepared case, and the step line still only every ten seconds', () => {
    const written: string[] = []
    let clock = 0
    const output = trainingOutput({ isTTY: false, write: (text: string) => written.push(text) }, () => clock)
    for (const event of [...stage('fingerprint'), ...stage('cache')]) output.onEvent('training:preparing', event)
    const lines = written.join('').split('\n').filter(Boolean)
    expect(lines).toHaveLength(2 * 27)
    expect(lines[2]).toBe('Measuring cases 3/26 (hippocampus_003)…')
    expect(lines[27 + 11]).toBe('Preparing cases 12/26 (hippocampus_012)…')
    expect(lines.at(-1)).toBe('Prepared 26 case(s) (1m02s since the start)')
    // No terminal control codes in a log.
    expect(written.join('')).not.toContain('\x1b')

    written.length = 0
    const step = (n: number): TrainingProgress => ({
      runId: 'r',
      version: 'v0001',
      phase: 'training',
      epoch: 1,
      epochs: 1,
      step: n,
      stepInEpoch: n,
      stepsPerEpoch: 50,
      totalSteps: 50,
      loss: 0.5,
      learningRate: 0.001,
      patchesPerSecond: 1,
      etaSeconds: null,
      elapsedSeconds: n,
      memory: { numTensors: 1, numBytes: 1 },
      lastValidation: null
    })
    for (let n = 1; n <= 50; n++) {
      clock += 1000
      output.onEvent('training:progress', step(n))
    }
    expect(written.join('').split('\n').filter(Boolean).length).toBe(5)
  })

  it('a terminal gets the preparing line redrawn in place, and each stage\'s summary kept', () => {
    const written: string[] = []
    const output = trainingOutput({ isTTY: true, write: (text: string) => written.push(text) })
    for (const event of stage('cache')) output.onEvent('training:preparing', event)
    const text = written.join('')
    expect(text.split('\n').filter(Boolean)).toHaveLength(1)
    expect(text).toContain('\r\x1b[2KPreparing cases 26/26 (hippocampus_026)…')
    expect(text.endsWith('\r\x1b[2KPrepared 26 case(s) (1m02s since the start)\n')).toBe(true)
  })
})
