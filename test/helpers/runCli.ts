import { spawnSync } from 'node:child_process'
import path from 'node:path'

const root = path.resolve(__dirname, '../..')

/** The CLI from source, as `voxloop` runs it: its exit status and what it printed. */
export function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'main', 'cli', 'index.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}
