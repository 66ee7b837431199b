/**
 * Class lists: every form documented in classList.ts, and the refusals of what is ambiguous or
 * broken, each naming the file and the line or entry.
 */
import { describe, expect, it } from 'vitest'
import { parseClassList, type ClassEntry } from '../../../../../src/node/formats/image2d'
import { errorOf } from './fixtures'

const entry = (name: string, value: number, color: [number, number, number] | null = null): ClassEntry => ({ name, value, color })

describe('parseClassList: JSON', () => {
  it.each<[string, string, ClassEntry[]]>([
    ['name → value', '{"lung": 255, "heart": 128}', [entry('lung', 255), entry('heart', 128)]],
    ['value → name', '{"0": "background", "1": "lung"}', [entry('background', 0), entry('lung', 1)]],
    ['MSD dataset.json', '{"name": "Lungs", "modality": {"0": "X-ray"}, "labels": {"0": "background", "1": "lung"}, "numTraining": 40}', [entry('background', 0), entry('lung', 1)]],
    ['nnU-Net v2 dataset.json', '{"channel_names": {"0": "X-ray"}, "labels": {"background": 0, "lung": 1}}', [entry('background', 0), entry('lung', 1)]],
    [
      'name → colour, numbered in order with background as 0',
      '{"lung": "#FF0000", "background": [0, 0, 0], "heart": [0, 255, 0]}',
      [entry('lung', 1, [255, 0, 0]), entry('background', 0, [0, 0, 0]), entry('heart', 2, [0, 255, 0])]
    ],
    ['name → {value, color}', '{"lung": {"value": 3, "color": "#0000ff"}}', [entry('lung', 3, [0, 0, 255])]],
    [
      'array of {name, value, color}',
      '[{"name": "lung", "value": 1, "color": "#ff0000"}, {"name": "heart", "id": 2, "colour": [1, 2, 3]}, {"name": "other", "value": "4"}]',
      [entry('lung', 1, [255, 0, 0]), entry('heart', 2, [1, 2, 3]), entry('other', 4)]
    ]
  ])('reads %s', (_, text, expected) => {
    expect(parseClassList(text, 'classes.json')).toEqual(expected)
  })

  it('reads a file that starts with a byte-order mark', () => {
    expect(parseClassList('\uFEFF{"lung": 1}', 'c.json')).toEqual([entry('lung', 1)])
  })

  it.each<[string, string, string]>([
    ['broken JSON', '{"lung": 1', 'c.json: not valid JSON ('],
    ['a value out of range', '{"lung": 70000}', 'c.json ("lung"): value 70000 is not an integer from 0 to 65535'],
    ['a fractional value', '[{"name": "lung", "value": 1.5}]', 'c.json (entry 1): value 1.5 is not an integer from 0 to 65535'],
    ['a value used twice', '{"lung": 1, "heart": 1}', 'c.json ("heart"): value 1 is given to both "lung" and "heart"'],
    ['a colour used twice', '{"lung": "#ff0000", "heart": [255, 0, 0]}', 'c.json ("heart"): colour (255, 0, 0) is given to both "lung" and "heart"'],
    ['a name used twice', '[{"name": "a", "value": 1}, {"name": "a", "value": 2}]', 'c.json (entry 2): the name "a" is used twice'],
    ['mixed forms', '{"lung": 1, "heart": "red"}', 'c.json ("heart"): "red" is not a value, a colour or {"value": …, "color": …}'],
    ['a bad colour', '[{"name": "a", "value": 1, "color": "#ff00"}]', 'c.json (entry 1): colour "#ff00" is not "#rrggbb" or [r, g, b]'],
    ['an nnU-Net region', '{"labels": {"background": 0, "lungs": [1, 2]}}', 'c.json ("labels" → "lungs"): a region of several values (nnU-Net regions) is not one class'],
    ['an entry without a value', '[{"name": "a"}]', 'c.json (entry 1): has no "value"'],
    ['an empty list', '{}', 'c.json: lists no classes']
  ])('refuses %s', (_, text, message) => {
    const error = errorOf(() => parseClassList(text, 'c.json'))
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message.startsWith(message)).toBe(true)
  })
})

describe('parseClassList: text', () => {
  it('reads every line form, skipping comments and blank lines', () => {
    const text = [
      '# classes for the chest set',
      '',
      '0 background',
      '1 lung',
      'heart 2',
      '3 left clavicle #00FF00',
      '4,trachea,255,0,255',
      '5\t"right clavicle"\t0 0 255',
      '"6" 7',
      '  '
    ].join('\r\n')
    expect(parseClassList(text, 'classes.txt')).toEqual([
      entry('background', 0),
      entry('lung', 1),
      entry('heart', 2),
      entry('left clavicle', 3, [0, 255, 0]),
      entry('trachea', 4, [255, 0, 255]),
      entry('right clavicle', 5, [0, 0, 255]),
      entry('6', 7)
    ])
  })

  it.each<[string, string, string]>([
    ['a number at both ends', '1 lung\n1 lung 2', 'c.txt (line 2): "1 lung 2" begins and ends with a number, so either could be the value; put the name in double quotes'],
    ['two numbers', '1 2', 'c.txt (line 1): "1 2" begins and ends with a number'],
    ['no value', 'lung', 'c.txt (line 1): expected a value and a name ("1 lung"), got "lung"'],
    ['a name without a value', 'left lung', 'c.txt (line 1): "left lung" has no value: expected "1 lung" or "lung 1"'],
    ['a value twice', '1 lung\n\n1 heart', 'c.txt (line 3): value 1 is given to both "lung" and "heart"'],
    ['a value out of range', '65536 lung', 'c.txt (line 1): value "65536" is not an integer from 0 to 65535'],
    ['only comments', '# nothing\n', 'c.txt: lists no classes']
  ])('refuses %s, naming the line', (_, text, message) => {
    expect(errorOf(() => parseClassList(text, 'c.txt')).message.startsWith(message)).toBe(true)
  })
})
