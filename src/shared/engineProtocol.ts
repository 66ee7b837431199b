import type { BackendPreference, BackendReport } from './backends'
import type { SerializedError } from './errors'

/**
 * Messages between main and the engine process. The same shapes travel over Electron's
 * utilityProcess port and Node's child_process IPC channel; one adapter on each side hides which.
 */
export interface EngineMethods {
  'engine:backend': { args: []; result: BackendReport }
  'engine:ping': { args: [number]; result: { echo: number } }
}
export type EngineMethod = keyof EngineMethods

export interface EngineEvents {
  'engine:log': { level: 'info' | 'warning' | 'error'; message: string }
}
export type EngineEventName = keyof EngineEvents

export type MainToEngine = { kind: 'call'; id: number; method: EngineMethod; args: unknown[] } | { kind: 'cancel'; id: number }

export type EngineToMain =
  | { kind: 'ready'; backend: BackendReport }
  | { kind: 'startFailed'; error: SerializedError }
  | { kind: 'result'; id: number; ok: true; value: unknown }
  | { kind: 'result'; id: number; ok: false; error: SerializedError }
  | { kind: 'event'; name: EngineEventName; payload: unknown }

/** How main tells a starting engine what to do; passed as argv so both launchers carry it. */
export interface EngineStartOptions {
  backend: BackendPreference
}

export function engineArgv(options: EngineStartOptions): string[] {
  return [`--backend=${options.backend}`]
}
