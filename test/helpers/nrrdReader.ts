/**
 * A small, independent NRRD reader for tests: it parses the text header the way the NRRD0004
 * spec reads (fields `name: value`, key/value pairs `key:=value` with Teem's `\n` and `\\`
 * escapes, a blank line before the data) and gunzips the payload itself, so a test of our writer
 * does not read the file back through our own code.
 */
import { gunzipSync } from 'node:zlib'

export interface ParsedNrrd {
  magic: string
  /** Standard fields by name (`type`, `sizes`, `space directions`, …). */
  fields: Map<string, string>
  /** Key/value pairs, unescaped. */
  keyValues: Map<string, string>
  /** The decoded payload bytes (gunzipped for `encoding: gzip`). */
  data: Buffer
}

function unescape(value: string): string {
  return value.replace(/\\(\\|n)/g, (_match, char: string) => (char === 'n' ? '\n' : '\\'))
}

export function parseNrrd(bytes: Uint8Array): ParsedNrrd {
  const buffer = Buffer.from(bytes)
  const end = buffer.indexOf('\n\n')
  if (end < 0) throw new Error('no blank line ends the NRRD header')
  const lines = buffer.subarray(0, end).toString('utf8').split('\n')
  const magic = lines.shift() ?? ''
  const fields = new Map<string, string>()
  const keyValues = new Map<string, string>()
  for (const line of lines) {
    if (line.startsWith('#')) continue
    const pair = line.indexOf(':=')
    const field = line.indexOf(': ')
    if (pair >= 0 && (field < 0 || pair < field)) keyValues.set(line.slice(0, pair), unescape(line.slice(pair + 2)))
    else if (field >= 0) fields.set(line.slice(0, field), line.slice(field + 2))
    else throw new Error(`NRRD header line not understood: ${line}`)
  }
  const raw = buffer.subarray(end + 2)
  const data = fields.get('encoding') === 'gzip' ? gunzipSync(raw) : raw
  return { magic, fields, keyValues, data }
}

/** `(a,b,c) (d,e,f)` → [[a,b,c],[d,e,f]]. */
export function parseNrrdVectors(value: string): number[][] {
  return [...value.matchAll(/\(([^)]*)\)/g)].map((match) => (match[1] ?? '').split(',').map(Number))
}
