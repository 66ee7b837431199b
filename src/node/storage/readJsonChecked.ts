/**
 * Reading one JSON file of the project that a schema describes (run.json, stored evaluations): the
 * file named in every error, MODEL_CORRUPT for bad JSON or a schema mismatch (the first issue given).
 * A missing file is null, or what `onMissing` throws. Plain Node code, used by main and the engine.
 */
import { readFile } from 'node:fs/promises'
import type { z } from 'zod'
import { VoxloopError } from '../../shared/errors'

export async function readJsonChecked<T>(file: string, schema: z.ZodType<T>, what: string, onMissing: (error: Error) => never): Promise<T>
export async function readJsonChecked<T>(file: string, schema: z.ZodType<T>, what: string): Promise<T | null>
export async function readJsonChecked<T>(file: string, schema: z.ZodType<T>, what: string, onMissing?: (error: Error) => never): Promise<T | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    if (onMissing) onMissing(error as Error)
    return null
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new VoxloopError('MODEL_CORRUPT', `${file}: not valid JSON`, { cause: error })
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new VoxloopError('MODEL_CORRUPT', `${file}: not ${what} (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown problem'})`)
  }
  return parsed.data
}
