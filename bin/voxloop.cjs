#!/usr/bin/env node
// The `voxloop` command: runs the built CLI (out/main/cli.js). In a source checkout that has not
// been built yet, build it first so that `npm run cli -- …` works on a fresh clone.
const { existsSync } = require('node:fs')
const { join } = require('node:path')
const { spawnSync } = require('node:child_process')

const root = join(__dirname, '..')
const cli = join(root, 'out', 'main', 'cli.js')

if (!existsSync(cli)) {
  if (!existsSync(join(root, 'electron.vite.config.ts'))) {
    console.error('voxloop: the CLI is not built (out/main/cli.js is missing)')
    process.exit(1)
  }
  console.error('voxloop: first run, building the app (npm run build)…')
  const result = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

require(cli)
