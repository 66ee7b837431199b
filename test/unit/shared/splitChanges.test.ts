import { describe, expect, it } from 'vitest'
import { splitChangeNotes } from '../../../src/shared/splitChanges'

describe('splitChangeNotes', () => {
  it.each([
    ['train → validation', [{ from: 'train', to: 'validation' }], [/^The validation split changes/]],
    ['test → train', [{ from: 'test', to: 'train' }], [/^The test split changes: test figures measured before/]],
    ['validation → test', [{ from: 'validation', to: 'test' }], [/^The test split changes/, /^The validation split changes/]],
    ['none → test', [{ from: null, to: 'test' }], [/^The test split changes/]],
    ['none → train', [{ from: null, to: 'train' }], []],
    ['test → test (no move)', [{ from: 'test', to: 'test' }], []]
  ] as const)('%s', (_name, moves, expected) => {
    const notes = splitChangeNotes(moves)
    expect(notes).toHaveLength(expected.length)
    expected.forEach((pattern, i) => expect(notes[i]).toMatch(pattern))
  })
})
