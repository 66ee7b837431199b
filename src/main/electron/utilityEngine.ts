import { utilityProcess } from 'electron'
import type { EngineToMain } from '../../shared/engineProtocol'
import type { EngineChannel, EngineLauncher } from '../engine/engineChannel'

/** The desktop app's launcher: Electron's utilityProcess, so heavy work never shares main's thread. */
export const utilityEngine: EngineLauncher = (spec) => {
  const child = utilityProcess.fork(spec.entry, spec.argv, {
    serviceName: 'Voxloop engine',
    stdio: 'inherit',
    execArgv: spec.execArgv ?? [],
    env: { ...process.env, ...spec.env }
  })
  let alive = true
  child.on('exit', () => {
    alive = false
  })
  const channel: EngineChannel = {
    send: (message) => {
      if (alive) child.postMessage(message)
    },
    onMessage: (listener) => child.on('message', (message: unknown) => listener(message as EngineToMain)),
    onExit: (listener) => child.on('exit', (code) => listener(code)),
    kill: () => {
      if (alive) child.kill()
    }
  }
  return channel
}
