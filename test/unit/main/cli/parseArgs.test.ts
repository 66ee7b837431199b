import { describe, expect, it } from 'vitest'
import { integerFlag, parseArgs, stringFlag } from '../../../../src/main/cli/parseArgs'

describe('parseArgs', () => {
  it('reads positionals, --flag value, --flag=value and boolean flags', () => {
    const args = parseArgs(['serve', '--port', '8080', '--backend=wasm', '--json', 'extra'], ['json'])
    expect(args.positionals).toEqual(['serve', 'extra'])
    expect(stringFlag(args, 'port')).toBe('8080')
    expect(stringFlag(args, 'backend')).toBe('wasm')
    expect(args.flags.get('json')).toBe(true)
  })

  it('validates integers with a clear message', () => {
    expect(integerFlag(parseArgs(['--port', '0']), 'port', { min: 0, max: 65535 })).toBe(0)
    expect(() => integerFlag(parseArgs(['--port', '70000']), 'port', { min: 0, max: 65535 })).toThrow('--port must be an integer from 0 to 65535, got "70000"')
    expect(() => stringFlag(parseArgs(['--backend']), 'backend')).toThrow('--backend needs a value')
  })
})
