/**
 * `--cases id,id,…` or `--cases @file`: the case ids a command works on. A file holds ids separated
 * by commas, spaces or new lines; `#` starts a comment to the end of its line (so a fold list can
 * say where it came from). Ids are checked against the case id rule here; whether the project has
 * them is for the service to say.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { VoxloopError } from '../../shared/errors'
import { CaseIdSchema } from '../../shared/project'

/** The file behind `@file` is a list of ids, not a dataset: refuse anything larger. */
const MAX_LIST_BYTES = 4 * 1024 * 1024

function idsIn(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/#.*$/, ''))
    .join(' ')
    .split(/[\s,]+/)
    .filter((id) => id.length > 0)
}

/** Undefined without the flag; otherwise at least one valid id, each once, in the order given. */
export async function parseCaseListFlag(value: string | undefined, flag = '--cases'): Promise<string[] | undefined> {
  if (value === undefined) return undefined
  let ids: string[]
  let where: string
  if (value.startsWith('@')) {
    const file = path.resolve(value.slice(1))
    where = file
    const text = await readFile(file)
      .then((bytes) => {
        if (bytes.length > MAX_LIST_BYTES) throw new VoxloopError('INVALID_ARGUMENT', `${flag} ${file}: ${bytes.length} bytes is too large for a list of case ids`)
        return bytes.toString('utf8')
      })
      .catch((error: unknown) => {
        if (error instanceof VoxloopError) throw error
        throw new VoxloopError('NOT_FOUND', `${flag} ${file}: cannot read the list of case ids (${(error as Error).message})`)
      })
    ids = idsIn(text)
  } else {
    where = `"${value}"`
    ids = idsIn(value)
  }
  if (ids.length === 0) throw new VoxloopError('INVALID_ARGUMENT', `${flag} ${where}: no case ids`)
  const bad = ids.filter((id) => !CaseIdSchema.safeParse(id).success)
  if (bad.length > 0) throw new VoxloopError('INVALID_ARGUMENT', `${flag} ${where}: not a case id: ${bad.slice(0, 5).map((id) => `"${id}"`).join(', ')}${bad.length > 5 ? ', …' : ''}`)
  const seen = new Set<string>()
  const repeated = ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)))
  if (repeated.length > 0) throw new VoxloopError('INVALID_ARGUMENT', `${flag} ${where}: case(s) listed more than once: ${[...new Set(repeated)].slice(0, 5).join(', ')}`)
  return ids
}
