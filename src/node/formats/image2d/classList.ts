/**
 * The class list that goes with a folder of 2D masks: which mask value (or colour) is which
 * structure. The forms the 2D tutorials and dataset tools write are read; anything that could mean
 * two things is refused, naming the line or entry, rather than guessed.
 *
 * JSON:
 *   {"lung": 255, "heart": 128}                        name → mask value
 *   {"0": "background", "1": "lung"}                   value → name
 *   {"labels": {"0": "background", "1": "lung"}}       MSD dataset.json (other keys ignored);
 *   {"labels": {"background": 0, "lung": 1}}           nnU-Net v2 dataset.json
 *   {"lung": "#ff0000", "heart": [0, 255, 0]}          name → colour; values 1, 2, … in file order,
 *                                                      except a class named "background" (value 0)
 *   {"lung": {"value": 1, "color": "#ff0000"}}         name → value and colour
 *   [{"name": "lung", "value": 1, "color": "#ff0000"}] ("id" for "value", "colour" for "color")
 * Text, one class a line (blank lines and lines starting with # are skipped; fields are separated
 * by spaces, tabs or commas; a name may have spaces or be in double quotes):
 *   1 lung        lung 1        1 lung #ff0000        1 lung 255 0 0        1 left lung
 * A line that begins and ends with a number ("1 lung 2", "1 2") is refused: either could be the value.
 *
 * Values are 0..65535 (0 is the background), names 1..100 characters; values, names and colours
 * must be unique. Colours are what the pixels of an RGB mask hold.
 */
import { VoxloopError } from '../../../shared/errors'

export interface ClassEntry {
  name: string
  value: number
  color: [number, number, number] | null
}

const MAX_NAME_LENGTH = 100
const HEX_COLOUR = /^#[0-9a-f]{6}$/i
const INTEGER = /^\d+$/

function classError(file: string, where: string, problem: string): VoxloopError {
  return new VoxloopError('INVALID_ARGUMENT', `${where === '' ? file : `${file} (${where})`}: ${problem}`)
}

function hexColour(text: string): [number, number, number] {
  const value = Number.parseInt(text.slice(1), 16)
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff]
}

const isComponent = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255

/** A JSON colour ("#rrggbb" or [r, g, b] with 0..255 integers), or null when `value` is not one. */
function jsonColour(value: unknown): [number, number, number] | null {
  if (typeof value === 'string' && HEX_COLOUR.test(value)) return hexColour(value)
  if (Array.isArray(value) && value.length === 3 && value.every(isComponent)) return [value[0], value[1], value[2]]
  return null
}

function checkedValue(value: unknown, file: string, where: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535) return value
  if (typeof value === 'string' && INTEGER.test(value) && Number(value) <= 65535) return Number(value)
  throw classError(file, where, `value ${JSON.stringify(value)} is not an integer from 0 to 65535`)
}

function checkedName(name: unknown, file: string, where: string): string {
  if (typeof name !== 'string') throw classError(file, where, `name ${JSON.stringify(name)} is not text`)
  const trimmed = name.trim()
  if (trimmed === '' || trimmed.length > MAX_NAME_LENGTH) throw classError(file, where, `name "${trimmed}" must be 1 to ${MAX_NAME_LENGTH} characters`)
  return trimmed
}

function addEntry(entries: ClassEntry[], entry: ClassEntry, file: string, where: string): void {
  const sameValue = entries.find((other) => other.value === entry.value)
  if (sameValue !== undefined) throw classError(file, where, `value ${entry.value} is given to both "${sameValue.name}" and "${entry.name}"`)
  const sameName = entries.find((other) => other.name === entry.name)
  if (sameName !== undefined) throw classError(file, where, `the name "${entry.name}" is used twice`)
  const colour = entry.color
  if (colour !== null) {
    const sameColour = entries.find((other) => other.color !== null && other.color.every((component, index) => component === colour[index]))
    if (sameColour !== undefined) throw classError(file, where, `colour (${colour.join(', ')}) is given to both "${sameColour.name}" and "${entry.name}"`)
  }
  entries.push(entry)
}

function fromArray(items: unknown[], file: string): ClassEntry[] {
  const entries: ClassEntry[] = []
  for (const [index, item] of items.entries()) {
    const where = `entry ${index + 1}`
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw classError(file, where, 'expected {"name": …, "value": …, "color": …}')
    const record = item as Record<string, unknown>
    if (record.value !== undefined && record.id !== undefined && record.value !== record.id) throw classError(file, where, 'has both "value" and "id", and they differ')
    const rawValue = record.value ?? record.id
    if (rawValue === undefined) throw classError(file, where, 'has no "value"')
    const rawColour = record.color ?? record.colour
    const color = rawColour === undefined || rawColour === null ? null : jsonColour(rawColour)
    if (rawColour !== undefined && rawColour !== null && color === null) throw classError(file, where, `colour ${JSON.stringify(rawColour)} is not "#rrggbb" or [r, g, b]`)
    addEntry(entries, { name: checkedName(record.name, file, where), value: checkedValue(rawValue, file, where), color }, file, where)
  }
  return entries
}

function fromObject(object: Record<string, unknown>, file: string): ClassEntry[] {
  const pairs = Object.entries(object)
  const entries: ClassEntry[] = []
  // value → name: every key a number and every value a name.
  if (pairs.every(([key, value]) => INTEGER.test(key) && typeof value === 'string' && jsonColour(value) === null)) {
    for (const [key, name] of pairs) addEntry(entries, { name: checkedName(name, file, `"${key}"`), value: checkedValue(key, file, `"${key}"`), color: null }, file, `"${key}"`)
    return entries
  }
  // name → colour: values numbered in file order, "background" being 0.
  if (pairs.every(([, value]) => jsonColour(value) !== null)) {
    let next = 1
    for (const [key, value] of pairs) {
      const name = checkedName(key, file, `"${key}"`)
      const isBackground = name.toLowerCase() === 'background'
      addEntry(entries, { name, value: isBackground ? 0 : next++, color: jsonColour(value) }, file, `"${key}"`)
    }
    return entries
  }
  for (const [key, value] of pairs) {
    const where = `"${key}"`
    const name = checkedName(key, file, where)
    if (typeof value === 'number') {
      addEntry(entries, { name, value: checkedValue(value, file, where), color: null }, file, where)
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const [entry] = fromArray([{ name, ...value }], file)
      if (entry !== undefined) addEntry(entries, entry, file, where)
    } else {
      throw classError(
        file,
        where,
        `${JSON.stringify(value)} is not a value, a colour or {"value": …, "color": …}; a file must use one form throughout (value → name, name → value, or name → colour)`
      )
    }
  }
  return entries
}

function fromJson(text: string, file: string): ClassEntry[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw classError(file, '', `not valid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  if (Array.isArray(parsed)) return fromArray(parsed, file)
  if (typeof parsed !== 'object' || parsed === null) throw classError(file, '', 'expected a JSON object or array of classes')
  const record = parsed as Record<string, unknown>
  const labels = record.labels
  if (labels !== undefined) {
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw classError(file, '"labels"', 'expected an object of value → name (MSD) or name → value (nnU-Net)')
    for (const [key, value] of Object.entries(labels)) {
      // nnU-Net v2 region-based training lists several values for one name; no single label matches.
      if (Array.isArray(value)) throw classError(file, `"labels" → "${key}"`, 'a region of several values (nnU-Net regions) is not one class')
    }
    return fromObject(labels as Record<string, unknown>, file)
  }
  return fromObject(record, file)
}

interface Field {
  text: string
  /** A double-quoted field is a name (or part of one) even when it looks like a number. */
  quoted: boolean
}

function lineFields(line: string): Field[] {
  const fields: Field[] = []
  for (const match of line.matchAll(/"([^"]*)"|[^\s,]+/g)) fields.push(match[1] === undefined ? { text: match[0], quoted: false } : { text: match[1], quoted: true })
  return fields
}

const isNumber = (field: Field | undefined): boolean => field !== undefined && !field.quoted && INTEGER.test(field.text)

function fromText(text: string, file: string): ClassEntry[] {
  const entries: ClassEntry[] = []
  for (const [index, raw] of text.split(/\r\n|\n|\r/).entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const where = `line ${index + 1}`
    let fields = lineFields(line)
    let color: [number, number, number] | null = null
    const last = fields.at(-1)
    if (last !== undefined && !last.quoted && HEX_COLOUR.test(last.text)) {
      color = hexColour(last.text)
      fields = fields.slice(0, -1)
    } else if (fields.length >= 5 && fields.slice(-3).every((field) => isNumber(field) && Number(field.text) <= 255)) {
      const [red = 0, green = 0, blue = 0] = fields.slice(-3).map((field) => Number(field.text))
      color = [red, green, blue]
      fields = fields.slice(0, -3)
    }
    if (fields.length < 2) throw classError(file, where, `expected a value and a name ("1 lung"), got "${line}"`)
    const firstIsValue = isNumber(fields[0])
    const lastIsValue = isNumber(fields.at(-1))
    if (firstIsValue && lastIsValue) throw classError(file, where, `"${line}" begins and ends with a number, so either could be the value; put the name in double quotes`)
    if (!firstIsValue && !lastIsValue) throw classError(file, where, `"${line}" has no value: expected "1 lung" or "lung 1"`)
    const valueField = firstIsValue ? fields[0] : fields.at(-1)
    const nameFields = firstIsValue ? fields.slice(1) : fields.slice(0, -1)
    const value = checkedValue(valueField?.text, file, where)
    const name = checkedName(nameFields.map((field) => field.text).join(' '), file, where)
    addEntry(entries, { name, value, color }, file, where)
  }
  return entries
}

/** Reads a class list (JSON or text, told apart by its first character). Throws INVALID_ARGUMENT naming the file and the line or entry. */
export function parseClassList(text: string, file: string): ClassEntry[] {
  const body = text.replace(/^\uFEFF/, '')
  const trimmed = body.trimStart()
  const entries = trimmed.startsWith('{') || trimmed.startsWith('[') ? fromJson(body, file) : fromText(body, file)
  if (entries.length === 0) throw classError(file, '', 'lists no classes')
  return entries
}
