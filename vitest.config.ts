import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    // The second reporter lists every skipped test with its reason.
    reporters: ['default', './test/unit/reporters/skipReasons.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores here: heavy tests (tfjs, gzip of real volumes) fight each other beyond two workers.
    pool: 'forks',
    maxWorkers: 2
  }
})
