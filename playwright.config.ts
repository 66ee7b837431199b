import { defineConfig } from '@playwright/test'

/**
 * Browser tests drive the real renderer served by `voxloop serve` in Debian's Chromium (no
 * browser download); Electron tests drive the built desktop app where its binary exists.
 */
export const CHROMIUM_PATH = process.env.VOXLOOP_CHROMIUM ?? '/usr/bin/chromium'

export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results',
  timeout: 90_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  // skipReasons: each skipped test and why, after the list (test/e2e/reporters/skipReasons.ts).
  reporter: [['list'], ['./test/e2e/reporters/skipReasons.ts']],
  projects: [
    {
      name: 'browser',
      testMatch: /.*\.browser\.spec\.ts$/,
      use: {
        browserName: 'chromium',
        viewport: { width: 1440, height: 900 },
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-dev-shm-usage',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run'
          ]
        }
      }
    },
    { name: 'cli', testMatch: /.*\.cli\.spec\.ts$/ },
    { name: 'electron', testMatch: /.*\.electron\.spec\.ts$/ }
  ]
})
