/**
 * Model version names: `v0001-20250131-142502` — a sequence number (so versions sort and never
 * repeat within a project) and the UTC time of saving (so a person can tell them apart; UTC so the
 * name does not jump or repeat at daylight-saving changes). The exact time is in config.json.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { VoxloopError } from '../../shared/errors'

const VERSION_NAME = /^v(\d{4,})-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/
/** Beyond this the four digits grow to five: names stay valid, only lexical order breaks. */
const LARGEST_SEQUENCE = 999_999

export interface ModelVersionName {
  name: string
  sequence: number
  /** The UTC second in the name. */
  savedAt: Date
}

const pad = (value: number, width: number): string => String(value).padStart(width, '0')

/** `v<sequence, 4+ digits>-<YYYYMMDD>-<HHMMSS>`, time in UTC. */
export function formatModelVersion(sequence: number, savedAt: Date): string {
  if (!(Number.isInteger(sequence) && sequence >= 1 && sequence <= LARGEST_SEQUENCE)) {
    throw new VoxloopError('INVALID_ARGUMENT', `model version sequence must be an integer 1–${LARGEST_SEQUENCE}, got ${sequence}`)
  }
  if (Number.isNaN(savedAt.getTime())) throw new VoxloopError('INVALID_ARGUMENT', 'model version time is not a valid date')
  const date = `${pad(savedAt.getUTCFullYear(), 4)}${pad(savedAt.getUTCMonth() + 1, 2)}${pad(savedAt.getUTCDate(), 2)}`
  const time = `${pad(savedAt.getUTCHours(), 2)}${pad(savedAt.getUTCMinutes(), 2)}${pad(savedAt.getUTCSeconds(), 2)}`
  return `v${pad(sequence, 4)}-${date}-${time}`
}

/** The parts of a version name, or null for any other name (temp folders, user files). */
export function parseModelVersion(name: string): ModelVersionName | null {
  const match = VERSION_NAME.exec(name)
  if (!match) return null
  const [, sequence, year, month, day, hour, minute, second] = match.map(Number) as number[]
  const savedAt = new Date(Date.UTC(year, month - 1, day, hour, minute, second))
  if (savedAt.getUTCMonth() !== month - 1 || savedAt.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null
  return { name, sequence, savedAt }
}

/** The version folders in `modelsDir`, oldest sequence first; none if the folder does not exist. */
export async function listModelVersions(modelsDir: string): Promise<ModelVersionName[]> {
  let entries
  try {
    entries = await readdir(modelsDir, { withFileTypes: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => parseModelVersion(entry.name))
    .filter((version): version is ModelVersionName => version !== null)
    .sort((a, b) => a.sequence - b.sequence)
}

/** The name for the next version in `modelsDir`: one past the highest sequence there, at `now`. */
export async function nextModelVersion(modelsDir: string, now: Date = new Date()): Promise<string> {
  const versions = await listModelVersions(modelsDir)
  const highest = versions.at(-1)?.sequence ?? 0
  return formatModelVersion(highest + 1, now)
}

/**
 * The version folder a user's name for it means: the folder's own name, or its number (`v0003`,
 * `v3`, `3`) — what the model table and the CLI's reports lead people to type. NOT_FOUND names the
 * versions there are; before this, `--model v0003` was read as a folder `models/v0003` and refused
 * as "not a trained model version", and `voxloop predict <project> --model v9` with nothing left to
 * predict reported success with a model that does not exist.
 */
export async function resolveModelVersion(modelsDir: string, name: string): Promise<string> {
  const versions = await listModelVersions(modelsDir)
  if (versions.some((version) => version.name === name)) return name
  // A folder of another name (made by hand, or by an older release) is taken as it is; a name that
  // would leave the folder is not looked up at all.
  const plainName = name !== '' && name !== '.' && name !== '..' && !/[\\/\0]/.test(name)
  if (plainName && (await stat(join(modelsDir, name)).then((info) => info.isDirectory(), () => false))) return name
  const number = /^v?0*(\d+)$/i.exec(name.trim())
  const match = number ? versions.find((version) => version.sequence === Number(number[1])) : undefined
  if (match) return match.name
  const newest = versions.slice(-6).map((version) => version.name)
  const older = versions.length - newest.length
  const known = versions.length === 0 ? 'there is no trained model version there yet' : `versions there: ${newest.join(', ')}${older > 0 ? ` and ${older} older` : ''}`
  throw new VoxloopError('NOT_FOUND', `No model version "${name}" in ${modelsDir} (${known})`)
}
