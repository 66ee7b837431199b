import { fork } from 'node:child_process'
import type { EngineToMain } from '../../shared/engineProtocol'
import type { EngineChannel, EngineLauncher } from './engineChannel'

/** The launcher for serve mode, the CLI and tests: a plain Node child process. */
export const forkEngine: EngineLauncher = (spec) => {
  const child = fork(spec.entry, spec.argv, {
    execArgv: spec.execArgv ?? [],
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced'
  })
  const channel: EngineChannel = {
    send: (message) => {
      if (child.connected) child.send(message)
    },
    onMessage: (listener) => child.on('message', (message) => listener(message as EngineToMain)),
    onExit: (listener) => child.on('exit', (code) => listener(code)),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill()
    }
  }
  return channel
}
