/**
 * `voxloop train <project> [options]` and `voxloop evaluate <project> --model <version> [--cases … | --split …]`: the same
 * TrainingService as the app, so the run happens in the engine process, progress arrives as events
 * and the audit log records the model version. Ctrl+C cancels after the current step (the last epoch
 * checkpoint stays; `--resume` continues it); a second Ctrl+C quits at once.
 */
import path from 'node:path'
import type { z } from 'zod'
import { AUGMENTATION_PRESETS, AugmentationPresetSchema, type AugmentationPreset } from '../../../shared/augmentation'
import { VoxloopError } from '../../../shared/errors'
import { CASE_SPLITS, CaseSplitSchema, type CaseSplit } from '../../../shared/project'
import type { EventName } from '../../../shared/contract'
import { ARCHITECTURES, ArchitectureNameSchema, TrainingOptionsSchema, type ArchitectureName, type TrainingEpochEvent, type TrainingOptions, type TrainingPreparing, type TrainingProgress, type TrainingResult, type TrainingStarted } from '../../../shared/training'
import type { VoxloopApp } from '../../app/VoxloopApp'
import type { EvaluationSelection } from '../../services/training/TrainingService'
import { integerFlag, stringFlag, type ParsedArgs } from '../parseArgs'
import { formatEpochLine, formatEvaluation, formatPlan, formatPreparingLine, formatProgressLine, formatTrainingResult } from '../trainingReport'

/** Flag → option, for error messages that name what the user typed. */
const FLAG_OF: Record<string, string> = {
  minutes: '--minutes',
  epochs: '--epochs',
  stepsPerEpoch: '--steps',
  patchSize: '--patch',
  batchSize: '--batch',
  learningRate: '--lr',
  optimizer: '--optimizer',
  schedule: '--schedule',
  plateauPatience: '--plateau-patience',
  loss: '--loss/--dice-weight/--ce-weight/--tversky-alpha/--tversky-beta/--focal-gamma/--focal-alpha',
  validationFraction: '--val',
  seed: '--seed',
  patience: '--patience',
  model: '--architecture/--depth/--base-filters/--[no-]deep-supervision',
  mirrorAxes: '--mirror',
  augmentation: '--augment',
  augment: '--no-augment',
  quarterTurns: '--quarter-turns',
  fromModel: '--from',
  resume: '--resume'
}

function numberFlag(args: ParsedArgs, name: string): number | undefined {
  const value = stringFlag(args, name)
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isFinite(parsed)) throw new VoxloopError('INVALID_ARGUMENT', `--${name} must be a number, got "${value}"`)
  return parsed
}

/** `--patch 32` or `--patch 32x48x32` ([D, H, W] voxels). */
export function parsePatchFlag(value: string | undefined): TrainingOptions['patchSize'] {
  if (value === undefined) return undefined
  const parts = value.toLowerCase().split(/[x,×]/).map(Number)
  if (parts.length === 1 && Number.isInteger(parts[0])) return parts[0] as number
  if (parts.length === 3 && parts.every(Number.isInteger)) return parts as [number, number, number]
  throw new VoxloopError('INVALID_ARGUMENT', `--patch must be N or DxHxW voxels, got "${value}"`)
}

/** `--mirror d,h,w` (any of the three, or `none`) → spatial axes 0–2 of the resampled grid. */
export function parseMirrorFlag(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined
  if (value.trim().toLowerCase() === 'none') return []
  const names = value.toLowerCase().split(/[,\s]+/).filter(Boolean)
  const axes = names.map((name) => ['d', 'h', 'w'].indexOf(name))
  if (!names.length || axes.some((axis) => axis < 0)) throw new VoxloopError('INVALID_ARGUMENT', `--mirror takes axes d, h, w (comma-separated) or none, got "${value}"`)
  return [...new Set(axes)].sort()
}

/** `--augment none|light|medium|heavy` → a preset (`--no-augment` is 'none' and contradicts any other). */
export function parseAugmentFlag(value: string | undefined): AugmentationPreset | undefined {
  if (value === undefined) return undefined
  const parsed = AugmentationPresetSchema.safeParse(value.trim().toLowerCase())
  if (!parsed.success) throw new VoxloopError('INVALID_ARGUMENT', `--augment takes one of ${AUGMENTATION_PRESETS.join(', ')}, got "${value}"`)
  return parsed.data
}

/** --architecture, or its short form --arch (not both): a registered network's name, or INVALID_ARGUMENT listing them. */
export function architectureFlag(args: ParsedArgs): ArchitectureName | undefined {
  const long = stringFlag(args, 'architecture')
  const short = stringFlag(args, 'arch')
  if (long !== undefined && short !== undefined && long !== short) throw new VoxloopError('INVALID_ARGUMENT', `--arch is short for --architecture: give one network, got "${short}" and "${long}"`)
  const name = long ?? short
  if (name === undefined) return undefined
  const parsed = ArchitectureNameSchema.safeParse(name)
  if (!parsed.success) throw new VoxloopError('INVALID_ARGUMENT', `--${long !== undefined ? 'architecture' : 'arch'} must be one of ${ARCHITECTURES.join(', ')}, got "${name}"`)
  return parsed.data
}

/**
 * `--loss` and its parameters → TrainingOptions.loss (undefined when none is given). `alpha` is
 * --tversky-alpha or --focal-alpha; a flag for another loss than the one named is refused by the schema.
 */
export function lossOptionsFromFlags(args: ParsedArgs): Record<string, unknown> | undefined {
  const tverskyAlpha = numberFlag(args, 'tversky-alpha')
  const focalAlpha = numberFlag(args, 'focal-alpha')
  if (tverskyAlpha !== undefined && focalAlpha !== undefined) throw new VoxloopError('INVALID_ARGUMENT', '--tversky-alpha and --focal-alpha belong to different losses: give one')
  const kind = stringFlag(args, 'loss')
  if (tverskyAlpha !== undefined && kind !== undefined && kind !== 'tversky') throw new VoxloopError('INVALID_ARGUMENT', `--tversky-alpha applies to --loss tversky, not ${kind}`)
  if (focalAlpha !== undefined && kind !== undefined && kind !== 'focal') throw new VoxloopError('INVALID_ARGUMENT', `--focal-alpha applies to --loss focal, not ${kind}`)
  const loss: Record<string, unknown> = {
    kind,
    diceWeight: numberFlag(args, 'dice-weight'),
    ceWeight: numberFlag(args, 'ce-weight'),
    alpha: tverskyAlpha ?? focalAlpha,
    beta: numberFlag(args, 'tversky-beta'),
    gamma: numberFlag(args, 'focal-gamma')
  }
  for (const key of Object.keys(loss)) if (loss[key] === undefined) delete loss[key]
  return Object.keys(loss).length > 0 ? loss : undefined
}

/** The training options the flags describe (without --resume, which needs the project). */
export function trainingOptionsFromFlags(args: ParsedArgs): TrainingOptions {
  // 1–6 as the options schema (the 2D default for a 512² slice is 6).
  const depth = integerFlag(args, 'depth', { min: 1, max: 6 })
  const baseFilters = integerFlag(args, 'base-filters', { min: 2, max: 64 })
  const architecture = architectureFlag(args)
  const deepSupervision = args.flags.has('deep-supervision') ? true : args.flags.has('no-deep-supervision') ? false : undefined
  const options: Record<string, unknown> = {
    // No default here: the engine's plan gives the same default budget as the Train button.
    minutes: numberFlag(args, 'minutes'),
    epochs: integerFlag(args, 'epochs', { min: 1, max: 10_000 }),
    stepsPerEpoch: integerFlag(args, 'steps', { min: 1, max: 100_000 }),
    patchSize: parsePatchFlag(stringFlag(args, 'patch')),
    batchSize: integerFlag(args, 'batch', { min: 1, max: 64 }),
    learningRate: numberFlag(args, 'lr'),
    optimizer: stringFlag(args, 'optimizer'),
    schedule: stringFlag(args, 'schedule'),
    plateauPatience: integerFlag(args, 'plateau-patience', { min: 1, max: 10_000 }),
    loss: lossOptionsFromFlags(args),
    validationFraction: numberFlag(args, 'val'),
    seed: integerFlag(args, 'seed', { min: 0, max: 0xffffffff }),
    patience: integerFlag(args, 'patience', { min: 1, max: 10_000 }),
    augment: args.flags.has('no-augment') ? false : undefined,
    augmentation: parseAugmentFlag(stringFlag(args, 'augment')),
    quarterTurns: args.flags.has('quarter-turns') ? true : undefined,
    mirrorAxes: parseMirrorFlag(stringFlag(args, 'mirror')),
    model: [architecture, depth, baseFilters, deepSupervision].some((v) => v !== undefined) ? { architecture, depth, baseFilters, deepSupervision } : undefined,
    fromModel: stringFlag(args, 'from')
  }
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key]
  const parsed = TrainingOptionsSchema.safeParse(options)
  if (!parsed.success) {
    // A rule over a whole option (the loss's own checks) repeats what a field's range already said.
    const fieldIssues = parsed.error.issues.filter((issue) => issue.code !== 'custom')
    const issues = parsed.error.issues.filter((issue) => issue.code !== 'custom' || !fieldIssues.some((other) => other.path[0] === issue.path[0]))
    const problems = issues.map((issue) => describeOptionIssue(issue, options, args))
    throw new VoxloopError('INVALID_ARGUMENT', `voxloop train: ${problems.join('; ')}`)
  }
  return parsed.data
}

/** The flag behind a nested option (`loss.diceWeight` → --dice-weight), where one flag sets it. */
const NESTED_FLAG_OF: Record<string, string> = {
  'loss.kind': '--loss',
  'loss.diceWeight': '--dice-weight',
  'loss.ceWeight': '--ce-weight',
  'loss.beta': '--tversky-beta',
  'loss.gamma': '--focal-gamma',
  'model.architecture': '--architecture',
  'model.depth': '--depth',
  'model.baseFilters': '--base-filters'
}

/**
 * One schema issue in the user's words: the flag they typed, what it takes and what they gave
 * ("--minutes must be above 0, got -1"), not zod's ("--minutes: Too small: expected number to be >0").
 */
function describeOptionIssue(issue: z.core.$ZodIssue, options: Record<string, unknown>, args: ParsedArgs): string {
  const path = issue.path.map(String)
  const key = path.slice(0, 2).join('.')
  // loss.alpha is --tversky-alpha or --focal-alpha: whichever was given.
  const alphaFlag = args.flags.has('focal-alpha') ? '--focal-alpha' : '--tversky-alpha'
  const flag = key === 'loss.alpha' ? alphaFlag : (NESTED_FLAG_OF[key] ?? FLAG_OF[path[0] ?? ''] ?? path.join('.'))
  let value: unknown = options
  for (const part of path) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined
  const given = value === undefined || (typeof value === 'object' && value !== null) ? '' : `, got ${typeof value === 'string' ? `"${value}"` : String(value)}`
  switch (issue.code) {
    case 'too_small':
      return `${flag} must be ${issue.inclusive === false ? 'above' : 'at least'} ${String(issue.minimum)}${given}`
    case 'too_big':
      return `${flag} must be ${issue.inclusive === false ? 'below' : 'at most'} ${String(issue.maximum)}${given}`
    case 'invalid_value':
      return `${flag} takes one of ${issue.values.map(String).join(', ')}${given}`
    default:
      // Its own words: a rule's message already says what it got.
      return `${flag}: ${issue.message}`
  }
}

/** --resume [version]: the named version, or the newest one that can be resumed. */
async function resumeTarget(app: VoxloopApp, flag: string | true): Promise<string> {
  if (flag !== true) return flag
  const versions = await app.training.listModels()
  const latest = versions.filter((v) => v.resumable).at(-1)
  if (!latest) throw new VoxloopError('NOT_FOUND', 'no interrupted training run to resume in this project')
  return latest.version
}

export interface TrainCommandOptions {
  json: boolean
  stderr?: NodeJS.WriteStream
}

export async function trainCommand(app: VoxloopApp, projectDir: string, args: ParsedArgs, options: TrainCommandOptions): Promise<TrainingResult> {
  const stderr = options.stderr ?? process.stderr
  const trainingOptions = trainingOptionsFromFlags(args)
  await app.project.open(path.resolve(projectDir))
  const resumeFlag = args.flags.get('resume')
  if (resumeFlag !== undefined) trainingOptions.resume = await resumeTarget(app, resumeFlag)

  const output = trainingOutput(stderr)
  const clearLine = output.clearLine
  // A run stopped while its cases are prepared ends without a start: its result comes as this event.
  let finishedEarly: TrainingResult | null = null
  const unsubscribe = app.events.subscribe((name, payload) => {
    if (name === 'training:finished') finishedEarly = payload as TrainingResult
    output.onEvent(name, payload)
  })
  let interrupts = 0
  const onInterrupt = (): void => {
    interrupts++
    if (interrupts > 1) process.exit(130)
    clearLine()
    stderr.write('Cancelling after the current step (Ctrl+C again to quit now)…\n')
    void app.training.cancel()
  }
  process.on('SIGINT', onInterrupt)
  try {
    let started: TrainingStarted
    try {
      started = await app.training.start(TrainingOptionsSchema.parse(trainingOptions))
    } catch (error) {
      // Ctrl+C before the first step: said plainly, with the run's (cancelled, version-less) result.
      if (!(error instanceof VoxloopError && error.code === 'CANCELLED')) throw error
      clearLine()
      stderr.write(`Stopped before training began: ${error.message}\n`)
      const result: TrainingResult = finishedEarly ?? { runId: '', version: '', status: 'cancelled', epochsCompleted: 0, step: 0, bestEpoch: null, best: null, last: null, history: [], seconds: 0, error: null }
      if (options.json) process.stdout.write(`${JSON.stringify({ ...result, metrics: result.best }, null, 2)}\n`)
      return result
    }
    clearLine()
    stderr.write(`${formatPlan(started)}\n`)
    const result = await (app.training.whenFinished() ?? Promise.reject(new VoxloopError('INTERNAL', 'the run ended before it could be followed')))
    clearLine()
    if (options.json) process.stdout.write(`${JSON.stringify({ ...result, metrics: result.best }, null, 2)}\n`)
    else process.stdout.write(formatTrainingResult(result))
    if ((result.status === 'cancelled' || result.status === 'stopped') && result.version) stderr.write(`Resume with: voxloop train ${projectDir} --resume ${result.version}\n`)
    return result
  } finally {
    process.off('SIGINT', onInterrupt)
    unsubscribe()
  }
}

/**
 * What `voxloop train` writes on stderr while it runs. On a terminal the step line and the
 * preparing line are redrawn in place; in a log or pipe the step line comes every ten seconds and
 * the preparing line once per case (a case takes seconds, so that is dozens of lines, not thousands).
 */
export function trainingOutput(stderr: { write(text: string): unknown; isTTY?: boolean }, now: () => number = Date.now): { onEvent(name: EventName, payload: unknown): void; clearLine(): void } {
  const tty = stderr.isTTY === true
  let lastLineAt = -Infinity
  let drawn = false
  const clearLine = (): void => {
    if (tty && drawn) stderr.write('\r\x1b[2K')
    drawn = false
  }
  const draw = (line: string): void => {
    stderr.write(`\r\x1b[2K${line}`)
    drawn = true
  }
  const onEvent = (name: EventName, payload: unknown): void => {
    if (name === 'training:preparing') {
      const preparing = payload as TrainingPreparing
      const line = formatPreparingLine(preparing)
      // The stage's last line stays; the per-case lines are redrawn on a terminal.
      if (tty && preparing.caseId !== null) draw(line)
      else {
        clearLine()
        stderr.write(`${line}\n`)
      }
    } else if (name === 'training:progress') {
      const line = formatProgressLine(payload as TrainingProgress)
      if (tty) draw(line)
      else if (now() - lastLineAt > 10_000) {
        // Logs and pipes get a line every ten seconds instead of a redrawn bar.
        lastLineAt = now()
        stderr.write(`${line}\n`)
      }
    } else if (name === 'training:epoch') {
      clearLine()
      stderr.write(`${formatEpochLine(payload as TrainingEpochEvent)}\n`)
    }
  }
  return { onEvent, clearLine }
}

/** `--split test|validation|train`: one of the project's recorded splits. */
export function parseSplitFlag(value: string | undefined): CaseSplit | undefined {
  if (value === undefined) return undefined
  const parsed = CaseSplitSchema.safeParse(value)
  if (!parsed.success) throw new VoxloopError('INVALID_ARGUMENT', `--split must be one of ${CASE_SPLITS.join(', ')}, got "${value}"`)
  return parsed.data
}

/** `selection`: the cases to score (`--cases`, or `--split`'s curated cases); default every curated case. */
export async function evaluateCommand(app: VoxloopApp, projectDir: string, version: string, json: boolean, selection?: EvaluationSelection): Promise<void> {
  await app.project.open(path.resolve(projectDir))
  const report = await app.training.evaluate(version, selection)
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  else process.stdout.write(formatEvaluation(report))
}
