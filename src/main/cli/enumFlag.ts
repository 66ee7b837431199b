import type { z } from 'zod'
import { VoxloopError } from '../../shared/errors'

/**
 * A `--flag value` whose values are a contract enum (so the CLI and the app accept the same names),
 * case-insensitive: undefined without the flag; anything else is refused naming what is accepted.
 */
export function parseEnumFlag<T extends string>(flag: string, value: string | undefined, schema: z.ZodEnum<{ [K in T]: K }>): T | undefined {
  if (value === undefined) return undefined
  const parsed = schema.safeParse(value.trim().toLowerCase())
  if (!parsed.success) throw new VoxloopError('INVALID_ARGUMENT', `--${flag} must be ${orList(schema.options)}, got "${value}"`)
  return parsed.data as T
}

function orList(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`
}
