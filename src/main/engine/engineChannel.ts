import type { EngineToMain, MainToEngine } from '../../shared/engineProtocol'

/**
 * Main's side of the one adapter over the engine process: Electron's utilityProcess in the
 * desktop app, Node's child_process.fork in serve mode, the CLI and tests.
 */
export interface EngineChannel {
  send(message: MainToEngine): void
  onMessage(listener: (message: EngineToMain) => void): void
  onExit(listener: (code: number | null) => void): void
  kill(): void
}

export interface EngineLaunchSpec {
  /** The engine's entry script (out/main/engine.js, or src/engine/index.ts under tsx in tests). */
  entry: string
  argv: string[]
  /** Extra Node flags, e.g. ['--import', 'tsx'] to run the TypeScript source. */
  execArgv?: string[]
  env?: NodeJS.ProcessEnv
}

export type EngineLauncher = (spec: EngineLaunchSpec) => EngineChannel
