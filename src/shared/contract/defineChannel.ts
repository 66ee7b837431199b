import type { z } from 'zod'

/**
 * A channel pairs the zod schema of its argument tuple (validated by every transport before a
 * service sees it) with the schema of its result (used for types and contract tests).
 */
export interface ChannelDef<A extends z.ZodTuple = z.ZodTuple, R extends z.ZodType = z.ZodType> {
  args: A
  result: R
  /** One line for people: shown in API errors and docs. */
  summary: string
}

export function defineChannel<A extends z.ZodTuple, R extends z.ZodType>(
  summary: string,
  args: A,
  result: R
): ChannelDef<A, R> {
  return { summary, args, result }
}
