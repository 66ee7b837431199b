/**
 * vitest's `skipIf` takes no reason, so its skips are silent. These run the tests when `reason` is
 * null; otherwise they register a test that skips itself with the reason as its note
 * (`ctx.skip(note)`), which test/unit/reporters/skipReasons.ts prints at the end of the run.
 */
import { describe, it, type TestFunction } from 'vitest'

export function describeUnless(reason: string | null, title: string, body: () => void): void {
  if (reason === null) describe(title, body)
  else describe(title, () => it('(not run)', (ctx) => ctx.skip(reason)))
}

export function itUnless(reason: string | null, title: string, fn: TestFunction, timeout?: number): void {
  if (reason === null) it(title, fn, timeout)
  else it(title, (ctx) => ctx.skip(reason))
}
