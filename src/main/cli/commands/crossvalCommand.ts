/**
 * `voxloop crossval <project> --folds K [--minutes N] [--seed N] [--architecture|--arch A] [--[no-]deep-supervision] [--json]`: k-fold cross-validation
 * of the default training path on the project's curated cases outside its test split
 * (crossValidation.ts). Progress on stderr (one line per epoch and per fold), the report on stdout.
 * Ctrl+C cancels the fold under way and ends the command; a second Ctrl+C quits at once.
 */
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import type { ArchitectureName, TrainingEpochEvent } from '../../../shared/training'
import type { VoxloopApp } from '../../app/VoxloopApp'
import { formatCrossValidation, jsonNumbers, runCrossValidation, type CrossValidationReport } from '../../services/training/crossValidation'
import { integerFlag, stringFlag, type ParsedArgs } from '../parseArgs'
import { formatEpochLine } from '../trainingReport'
import { architectureFlag } from './trainCommand'

export interface CrossvalFlags {
  folds: number
  minutes?: number
  seed?: number
  /** --architecture and --deep-supervision: the network every fold trains (to compare networks); default the Train button's. */
  training?: { model: { architecture?: ArchitectureName; deepSupervision?: boolean } }
}

/** --folds (required, 2–20), --minutes (positive), --seed (fold assignment). */
export function crossvalFlags(args: ParsedArgs): CrossvalFlags {
  const folds = integerFlag(args, 'folds', { min: 2, max: 20 })
  if (folds === undefined) throw new VoxloopError('INVALID_ARGUMENT', 'voxloop crossval: missing --folds K (e.g. --folds 5)')
  const rawMinutes = stringFlag(args, 'minutes')
  let minutes: number | undefined
  if (rawMinutes !== undefined) {
    minutes = Number(rawMinutes)
    if (!(Number.isFinite(minutes) && minutes > 0 && minutes <= 7 * 24 * 60)) throw new VoxloopError('INVALID_ARGUMENT', `--minutes must be a positive number of minutes, got "${rawMinutes}"`)
  }
  const seed = integerFlag(args, 'seed', { min: 0, max: 0xffffffff })
  const architecture = architectureFlag(args)
  const deepSupervision = args.flags.has('deep-supervision') ? true : args.flags.has('no-deep-supervision') ? false : undefined
  return {
    folds,
    ...(minutes !== undefined ? { minutes } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(architecture !== undefined || deepSupervision !== undefined
      ? { training: { model: { ...(architecture !== undefined ? { architecture } : {}), ...(deepSupervision !== undefined ? { deepSupervision } : {}) } } }
      : {})
  }
}

export async function crossvalCommand(app: VoxloopApp, projectDir: string, flags: CrossvalFlags, json: boolean, stderr: NodeJS.WritableStream = process.stderr): Promise<CrossValidationReport> {
  await app.project.open(path.resolve(projectDir))
  let current = ''
  const unsubscribe = app.events.subscribe((name, payload) => {
    if (name === 'training:epoch') stderr.write(`${current}${formatEpochLine(payload as TrainingEpochEvent)}\n`)
  })
  let interrupts = 0
  const onInterrupt = (): void => {
    interrupts++
    if (interrupts > 1) process.exit(130)
    stderr.write('Cancelling the fold under way (Ctrl+C again to quit now)…\n')
    void app.training.cancel()
  }
  process.on('SIGINT', onInterrupt)
  try {
    const report = await runCrossValidation(app.training, app.project.activeStore(), {
      ...flags,
      onFoldStarted: (fold, folds, started) => {
        current = `fold ${fold}/${folds} `
        stderr.write(
          `fold ${fold}/${folds}: model ${started.version}, ${started.plan.trainingCaseIds.length} training + ${started.plan.validationCaseIds.length} internal validation case(s)\n`
        )
      },
      onFoldFinished: (fold) =>
        stderr.write(
          `fold ${fold.fold}: ${fold.status} after ${fold.epochs} epoch(s), ${fold.minutes.toFixed(1)} min; held-out ${fold.perLabel.map((l) => `${l.name} Dice ${l.dice.toFixed(3)}`).join(', ')}\n`
        )
    })
    process.stdout.write(json ? `${JSON.stringify(report, jsonNumbers, 2)}\n` : formatCrossValidation(report))
    return report
  } finally {
    process.off('SIGINT', onInterrupt)
    unsubscribe()
  }
}
