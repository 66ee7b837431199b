/**
 * `--cases id,id,…`, `--cases @file` or `--cases file` (one value naming an existing file: issue
 * #13 asked for `--cases <ids|file>`, and `--cases fold-1.txt` was taken for one case id named
 * "fold-1.txt", which the project then did not have): the case ids a command works on. A file
 * holds ids separated by commas, spaces or new lines; `#` starts a comment to the end of its line
 * (so a fold list can say where it came from). Ids are checked against the case id rule here; whether the project has
 * them is for the service to say.
 */
import { readFile, stat } from 'node:fs/promises'
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

/** One value without separators that names a regular file here: the list is in that file. */
async function isListFile(value: string): Promise<boolean> {
  if (idsIn(value).length !== 1) return false
  return stat(path.resolve(value)).then(
    (info) => info.isFile(),
    () => false
  )
}

/** Undefined without the flag; otherwise at least one valid id, each once, in the order given. */
export async function parseCaseListFlag(value: string | undefined, flag = '--cases'): Promise<string[] | undefined> {
  if (value === undefined) return undefined
  let ids: string[]
  let where: string
  const fileName = value.startsWith('@') ? value.slice(1) : (await isListFile(value)) ? value : null
  if (fileName !== null) {
    const file = path.resolve(fileName)
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
  // One inline value that is no id was most likely a file's path: say that no such file is there.
  const noFile = fileName === null && ids.length === 1 && bad.length === 1 ? ` (and there is no file ${path.resolve(value.trim())})` : ''
  if (bad.length > 0) throw new VoxloopError('INVALID_ARGUMENT', `${flag} ${where}: not a case id: ${bad.slice(0, 5).map((id) => `"${id}"`).join(', ')}${bad.length > 5 ? ', …' : ''}${noFile}`)
  const seen = new Set<string>()
  const repeated = ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)))
  if (repeated.length > 0) throw new VoxloopError('INVALID_ARGUMENT', `${flag} ${where}: case(s) listed more than once: ${[...new Set(repeated)].slice(0, 5).join(', ')}`)
  return ids
}
