import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter'

/**
 * Prints every skipped test with the reason its `test.skip(condition, reason)` gave, so a skip is
 * never silent in CI logs (the list reporter shows only a dash). A skip without a reason is called
 * out as such: every skip in this project is meant to say why.
 */
export default class SkipReasonsReporter implements Reporter {
  private readonly skipped: string[] = []

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status !== 'skipped') return
    const reasons = [...test.annotations, ...result.annotations]
      .filter((annotation) => annotation.type === 'skip' || annotation.type === 'fixme')
      .map((annotation) => annotation.description)
      .filter((description): description is string => Boolean(description))
    const title = test.titlePath().filter(Boolean).join(' › ')
    this.skipped.push(`  skipped: ${title}: ${reasons.length > 0 ? [...new Set(reasons)].join('; ') : 'NO REASON GIVEN'}`)
  }

  onEnd(_result: FullResult): void {
    if (this.skipped.length === 0) return
    console.log(`\n${this.skipped.length} skipped test(s), with the reason each gives:`)
    for (const line of this.skipped) console.log(line)
  }

  printsToStdio(): boolean {
    return false
  }
}
