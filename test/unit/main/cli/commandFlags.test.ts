import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BOOLEAN_FLAGS, checkCommandArgs, COMMAND_SHAPES } from '../../../../src/main/cli/commandFlags'
import { parseArgs } from '../../../../src/main/cli/parseArgs'

const check = (argv: string[]): void => checkCommandArgs(argv[0] as string, parseArgs(argv, BOOLEAN_FLAGS))

describe('checkCommandArgs', () => {
  it('accepts what each command documents', () => {
    expect(() => check(['train', 'proj', '--minutes', '5', '--base-filters', '12', '--no-augment', '--resume', '--json'])).not.toThrow()
    expect(() => check(['crossval', 'proj', '--folds', '5', '--minutes', '3', '--arch', 'plain-unet', '--backend', 'wasm'])).not.toThrow()
    expect(() => check(['predict', 'case.nii.gz', '--model', 'v0001', '--out', 'o', '--tta'])).not.toThrow()
    expect(() => check(['import', 'src', 'proj', '--modality', 'CT', '--4d', 'time', '--label-conflicts=keep-project'])).not.toThrow()
    expect(() => check(['split', 'proj', 'a', 'b', 'c', '--set', 'test'])).not.toThrow()
    expect(() => check(['info', 'x.nii', '--help'])).not.toThrow()
  })

  it('refuses a misspelt option, naming the nearest one the command takes', () => {
    expect(() => check(['train', 'proj', '--minute', '5'])).toThrow('voxloop train: unknown option --minute (did you mean --minutes?; see voxloop --help)')
    expect(() => check(['predict', 'x.nii', '--outt', 'dir'])).toThrow('did you mean --out?')
  })

  it('refuses another command\'s option, naming the commands that take it', () => {
    expect(() => check(['train', 'proj', '--folds', '5'])).toThrow('unknown option --folds (--folds is an option of voxloop crossval; see voxloop --help)')
    expect(() => check(['info', 'x.nii', '--backend', 'wasm'])).toThrow(/voxloop info: unknown option --backend .*voxloop backends, voxloop serve, voxloop train/)
  })

  it('refuses an option no command takes, listing what this one takes', () => {
    expect(() => check(['serve', '--host', '0.0.0.0'])).toThrow('voxloop serve: unknown option --host (it takes --backend, --port; see voxloop --help)')
  })

  it('refuses positional arguments beyond the command\'s own', () => {
    expect(() => check(['train', 'proj', 'other'])).toThrow('voxloop train: unexpected argument "other" (it takes 1; see voxloop --help)')
    expect(() => check(['backends', 'a', 'b'])).toThrow('unexpected arguments "a", "b"')
    expect(() => check(['export', 'proj', 'out'])).not.toThrow()
  })

  it('leaves an unknown command to the usage text', () => {
    expect(() => check(['frobnicate', '--whatever'])).not.toThrow()
  })

  // The table must list every option the CLI's code reads, or that option would be refused everywhere.
  it('lists every option the CLI reads', () => {
    const dir = path.resolve(__dirname, '../../../../src/main/cli')
    const files = [...readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f)), ...readdirSync(path.join(dir, 'commands')).map((f) => path.join(dir, 'commands', f))]
    const read = new Set<string>()
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:stringFlag|integerFlag|numberFlag)\(args, '([a-z0-9-]+)'|flags\.(?:has|get)\('([a-z0-9-]+)'\)/g)) read.add((match[1] ?? match[2]) as string)
    }
    expect(read.size).toBeGreaterThan(40)
    const accepted = new Set([...Object.values(COMMAND_SHAPES).flatMap((shape) => shape.flags), 'help', 'version'])
    expect([...read].filter((flag) => !accepted.has(flag))).toEqual([])
  })
})
