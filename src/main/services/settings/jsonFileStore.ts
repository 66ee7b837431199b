import { readFile } from 'node:fs/promises'
import type { z } from 'zod'
import { writeFileAtomic } from '../../../node/storage/durableWrite'

/**
 * Small JSON documents (settings, recent projects) validated on read. A missing file gives the
 * fallback; an unreadable one also does, but is reported so that a corrupt settings file never
 * stops the app from starting.
 */
export async function readJsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
  fallback: z.output<S>,
  onProblem: (message: string) => void = () => {}
): Promise<z.output<S>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') onProblem(`${path}: cannot read: ${(error as Error).message}`)
    return fallback
  }
  try {
    const parsed = schema.safeParse(JSON.parse(text))
    if (parsed.success) return parsed.data
    onProblem(`${path}: ignored, not valid: ${parsed.error.issues.map((i) => i.message).join('; ')}`)
  } catch (error) {
    onProblem(`${path}: ignored, not JSON: ${(error as Error).message}`)
  }
  return fallback
}

export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`)
}
