import { describe, expect, it } from 'vitest'
import { parseArgs, stringFlag } from '../../../../src/main/cli/parseArgs'
import { parseModalityFlag } from '../../../../src/main/cli/modalityFlag'
import { VoxloopError } from '../../../../src/shared/errors'

describe('voxloop import --modality', () => {
  it('accepts CT, MR and other in any case, and MRI as MSD writes it', () => {
    expect(parseModalityFlag(undefined)).toBeUndefined()
    expect(['CT', 'ct', 'MR', 'mr', 'MRI', 'other', 'Other'].map(parseModalityFlag)).toEqual(['CT', 'CT', 'MR', 'MR', 'MR', 'other', 'other'])
  })

  it('refuses anything else, naming the flag, the accepted values and the value given', () => {
    for (const value of ['PET', '', 'C T', 'CT,MR']) {
      let caught: unknown
      try {
        parseModalityFlag(value)
      } catch (error) {
        caught = error
      }
      expect(caught, value).toBeInstanceOf(VoxloopError)
      expect((caught as VoxloopError).code).toBe('INVALID_ARGUMENT')
      expect((caught as VoxloopError).message).toBe(`--modality must be CT, MR or other, got "${value}"`)
    }
  })

  it('reads the flag from the command line beside the positionals, and refuses it without a value', () => {
    const args = parseArgs(['import', '/data/ct', '/tmp/p', '--modality', 'ct', '--json'], ['json'])
    expect(args.positionals).toEqual(['import', '/data/ct', '/tmp/p'])
    expect(parseModalityFlag(stringFlag(args, 'modality'))).toBe('CT')
    expect(parseModalityFlag(stringFlag(parseArgs(['import', 'a', 'b', '--modality=other']), 'modality'))).toBe('other')
    expect(() => stringFlag(parseArgs(['import', 'a', 'b', '--modality']), 'modality')).toThrow('--modality needs a value')
  })
})
