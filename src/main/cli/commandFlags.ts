import { VoxloopError } from '../../shared/errors'
import type { ParsedArgs } from './parseArgs'

/** Options that take no value, so that `--json file.nii` does not read the file as the flag's value (parseArgs). */
export const BOOLEAN_FLAGS = ['json', 'help', 'version', 'msd', 'predictions', 'no-augment', 'quarter-turns', 'tta', 'deep-supervision', 'no-deep-supervision', 'onnx'] as const

/** The options the engine-starting commands share: --backend picks the compute backend. */
const ENGINE = ['backend'] as const

const TRAINING = [
  'minutes', 'epochs', 'steps', 'patch', 'batch', 'lr', 'optimizer', 'schedule', 'plateau-patience',
  'loss', 'dice-weight', 'ce-weight', 'tversky-alpha', 'tversky-beta', 'focal-gamma', 'focal-alpha',
  'val', 'seed', 'patience', 'no-augment', 'augment', 'quarter-turns', 'mirror',
  'architecture', 'arch', 'depth', 'base-filters', 'deep-supervision', 'no-deep-supervision', 'from', 'resume'
] as const

interface CommandShape {
  /** Options the command reads (besides --help and --version, which every command takes). */
  flags: readonly string[]
  /** How many positional arguments it takes after its name; null: any number (it checks them itself). */
  positionals: number | null
}

/**
 * What each command accepts. Without this table an option the command does not read was ignored
 * without a word: `voxloop train proj --minute 5` trained for the default 15 minutes, and
 * `voxloop train proj --folds 5` trained one model where cross-validation was meant.
 */
export const COMMAND_SHAPES: Readonly<Record<string, CommandShape>> = {
  info: { flags: ['json'], positionals: 1 },
  import: { flags: ['modality', 'series', '4d', 'label-conflicts', 'json'], positionals: 2 },
  export: { flags: ['format', 'msd', 'predictions', 'json'], positionals: 2 },
  backends: { flags: [...ENGINE, 'json'], positionals: 0 },
  serve: { flags: [...ENGINE, 'port'], positionals: 0 },
  train: { flags: [...ENGINE, ...TRAINING, 'json'], positionals: 1 },
  evaluate: { flags: [...ENGINE, 'model', 'cases', 'split', 'json'], positionals: 1 },
  split: { flags: ['set', 'json'], positionals: null },
  'set-spacing': { flags: ['cases', 'json'], positionals: null },
  crossval: { flags: [...ENGINE, 'folds', 'minutes', 'seed', 'architecture', 'arch', 'deep-supervision', 'no-deep-supervision', 'json'], positionals: 1 },
  predict: { flags: [...ENGINE, 'model', 'out', 'tta', 'json'], positionals: 1 },
  'export-model': { flags: [...ENGINE, 'onnx', 'out', 'check', 'json'], positionals: 2 }
}

const ALWAYS = ['help', 'version']

/**
 * Refuses, before anything is opened or started, an option the command does not take (naming the
 * nearest one it does, and the other commands that take it) and positional arguments beyond the
 * command's own. An unknown command is left to the caller, which prints the usage.
 */
export function checkCommandArgs(command: string, args: ParsedArgs): void {
  const shape = COMMAND_SHAPES[command]
  if (!shape) return
  for (const name of args.flags.keys()) {
    if (ALWAYS.includes(name) || shape.flags.includes(name)) continue
    const hints: string[] = []
    const nearest = nearestFlag(name, shape.flags)
    if (nearest) hints.push(`did you mean --${nearest}?`)
    const elsewhere = Object.entries(COMMAND_SHAPES).filter(([, other]) => other.flags.includes(name)).map(([other]) => `voxloop ${other}`)
    if (elsewhere.length) hints.push(`--${name} is an option of ${elsewhere.join(', ')}`)
    // The whole list only where there is no nearer hint: train's is 33 options long.
    if (!hints.length) hints.push(shape.flags.length ? `it takes ${shape.flags.map((f) => `--${f}`).join(', ')}` : 'it takes no options')
    throw new VoxloopError('INVALID_ARGUMENT', `voxloop ${command}: unknown option --${name} (${hints.join('; ')}; see voxloop --help)`)
  }
  const extra = args.positionals.slice(1)
  if (shape.positionals !== null && extra.length > shape.positionals) {
    const surplus = extra.slice(shape.positionals).map((arg) => `"${arg}"`).join(', ')
    throw new VoxloopError('INVALID_ARGUMENT', `voxloop ${command}: unexpected argument${extra.length - shape.positionals > 1 ? 's' : ''} ${surplus} (it takes ${shape.positionals}; see voxloop --help)`)
  }
}

/** The accepted option a typo of the typed one would be (one edit for short names, two for longer), or null. */
function nearestFlag(name: string, accepted: readonly string[]): string | null {
  let best: string | null = null
  // Two edits turn many four-letter names into each other (--host into --port): not a typo.
  let bestDistance = name.length <= 4 ? 2 : 3
  for (const candidate of accepted) {
    const distance = editDistance(name, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length] as number
}
