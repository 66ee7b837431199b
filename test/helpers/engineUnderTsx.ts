import path from 'node:path'
import type { EngineLaunchSpec } from '../../src/main/engine/engineChannel'

/** Runs the engine from its TypeScript source, the way the unit tests can without a build. */
export function engineSpecFromSource(): Omit<EngineLaunchSpec, 'argv'> {
  return {
    entry: path.resolve(__dirname, '../../src/engine/index.ts'),
    execArgv: ['--import', 'tsx']
  }
}
