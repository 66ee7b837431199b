import type { Reporter, TestCase, TestModule } from 'vitest/node'

/**
 * Prints every skipped test with the note its `ctx.skip(note)` gave (test/helpers/skipWithReason.ts),
 * so a skip is never silent in CI logs. A skip without a note is called out as such: every skip in
 * this project is meant to say why.
 */
export default class SkipReasonsReporter implements Reporter {
  private readonly skipped: string[] = []

  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.result()
    if (result.state !== 'skipped') return
    this.skipped.push(`  skipped: ${testCase.module.moduleId.replace(`${process.cwd()}/`, '')} › ${testCase.fullName}: ${result.note ?? 'NO REASON GIVEN'}`)
  }

  onTestRunEnd(_modules: ReadonlyArray<TestModule>): void {
    if (this.skipped.length === 0) return
    console.log(`\n${this.skipped.length} skipped test(s), with the reason each gives:`)
    for (const line of this.skipped) console.log(line)
  }
}
