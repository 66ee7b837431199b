import { VoxloopError } from '../../shared/errors'

export interface ParsedArgs {
  positionals: string[]
  flags: Map<string, string | true>
}

/**
 * `--name value`, `--name=value` and bare `--flag`. Boolean flags are listed so that
 * `--json file.nii` does not swallow the file as the flag's value.
 */
export function parseArgs(argv: readonly string[], booleanFlags: readonly string[] = []): ParsedArgs {
  const positionals: string[] = []
  const flags = new Map<string, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      if (eq > 0) {
        flags.set(arg.slice(2, eq), arg.slice(eq + 1))
        continue
      }
      const name = arg.slice(2)
      const next = argv[i + 1]
      if (!booleanFlags.includes(name) && next !== undefined && !next.startsWith('--')) {
        flags.set(name, next)
        i++
      } else {
        flags.set(name, true)
      }
    } else if (arg === '-v') {
      flags.set('version', true)
    } else if (arg === '-h') {
      flags.set('help', true)
    } else {
      positionals.push(arg)
    }
  }
  return { positionals, flags }
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name)
  if (value === true) throw new VoxloopError('INVALID_ARGUMENT', `--${name} needs a value`)
  return value
}

export function integerFlag(args: ParsedArgs, name: string, range: { min: number; max: number }): number | undefined {
  const value = stringFlag(args, name)
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < range.min || parsed > range.max) {
    throw new VoxloopError('INVALID_ARGUMENT', `--${name} must be an integer from ${range.min} to ${range.max}, got "${value}"`)
  }
  return parsed
}
