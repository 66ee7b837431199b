import { fork, type ChildProcess } from 'node:child_process'
import type { EngineChannel, EngineLauncher } from '../../src/main/engine/engineChannel'
import type { EngineToMain } from '../../src/shared/engineProtocol'

/**
 * forkEngine, but keeping each child process so a test can SIGKILL it the way a crash (or the OOM
 * killer) would: no handler runs, nothing is flushed.
 */
export function killableEngineLauncher(): { launcher: EngineLauncher; children: ChildProcess[] } {
  const children: ChildProcess[] = []
  const launcher: EngineLauncher = (spec) => {
    const child = fork(spec.entry, spec.argv, { execArgv: spec.execArgv ?? [], env: { ...process.env, ...spec.env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
    children.push(child)
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
  return { launcher, children }
}
