import { describe, expect, it } from 'vitest'
import { crossvalFlags } from '../../../../src/main/cli/commands/crossvalCommand'
import { parseSplitFlag } from '../../../../src/main/cli/commands/trainCommand'
import { parseArgs } from '../../../../src/main/cli/parseArgs'

const flags = (...argv: string[]): ReturnType<typeof parseArgs> => parseArgs(['crossval', 'project', ...argv], ['json'])

describe('voxloop crossval flags', () => {
  it('take --folds, and --minutes and --seed when given', () => {
    expect(crossvalFlags(flags('--folds', '5'))).toEqual({ folds: 5 })
    expect(crossvalFlags(flags('--folds', '3', '--minutes', '2.5', '--seed', '9', '--json'))).toEqual({ folds: 3, minutes: 2.5, seed: 9 })
  })

  it('take --architecture and --deep-supervision to compare networks on the same folds', () => {
    expect(crossvalFlags(flags('--folds', '5', '--architecture', 'plain-unet', '--deep-supervision'))).toEqual({
      folds: 5,
      training: { model: { architecture: 'plain-unet', deepSupervision: true } }
    })
    expect(crossvalFlags(flags('--folds', '5', '--architecture', 'residual-unet'))).toEqual({ folds: 5, training: { model: { architecture: 'residual-unet' } } })
    expect(crossvalFlags(flags('--folds', '5', '--no-deep-supervision'))).toEqual({ folds: 5, training: { model: { deepSupervision: false } } })
    expect(() => crossvalFlags(flags('--folds', '5', '--architecture', 'vnet'))).toThrow(/--architecture must be one of plain-unet, plain-unet-2d, residual-unet, residual-unet-2d, unetpp, unetpp-2d, got "vnet"/)
    expect(crossvalFlags(flags('--folds', '5', '--arch', 'unetpp'))).toEqual({ folds: 5, training: { model: { architecture: 'unetpp' } } })
  })

  it('name the flag at fault', () => {
    expect(() => crossvalFlags(flags())).toThrow(/missing --folds K/)
    expect(() => crossvalFlags(flags('--folds', '1'))).toThrow(/--folds must be an integer from 2 to 20, got "1"/)
    expect(() => crossvalFlags(flags('--folds', 'five'))).toThrow(/--folds must be an integer/)
    expect(() => crossvalFlags(flags('--folds', '5', '--minutes', '0'))).toThrow(/--minutes must be a positive number of minutes, got "0"/)
    expect(() => crossvalFlags(flags('--folds', '5', '--minutes', 'soon'))).toThrow(/--minutes/)
    expect(() => crossvalFlags(flags('--folds', '5', '--seed', '-1'))).toThrow(/--seed/)
  })
})

describe('voxloop evaluate --split', () => {
  it('takes one of the recorded splits and names the ones there are otherwise', () => {
    expect(parseSplitFlag('test')).toBe('test')
    expect(parseSplitFlag('validation')).toBe('validation')
    expect(parseSplitFlag(undefined)).toBeUndefined()
    expect(() => parseSplitFlag('holdout')).toThrow(/--split must be one of train, validation, test, got "holdout"/)
  })
})
