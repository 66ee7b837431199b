import { utilityProcess } from 'electron'
import type { EngineToMain } from '../../shared/engineProtocol'
import { firstLineOf } from '../../shared/errors'
import { GPU_HOST_PORT_KIND } from '../../shared/gpuWindow'
import type { EngineChannel, EngineLauncher } from '../engine/engineChannel'
import type { GpuWindow } from './gpuWindow'
import { mayUseWebGpu } from './gpuWindowPolicy'

/**
 * The desktop app's launcher: Electron's utilityProcess, so heavy work never shares main's thread.
 * With a GPU window, each engine that may use webgpu gets its own channel to it (gpuWindow.ts).
 */
export const utilityEngine = (gpuWindow: GpuWindow | null): EngineLauncher => (spec) => {
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
  if (gpuWindow && mayUseWebGpu(spec.argv)) {
    gpuWindow.connect().then(
      (port) => {
        if (alive) child.postMessage({ kind: GPU_HOST_PORT_KIND }, [port])
        else port.close()
      },
      // The engine's probe then says the window is not available, and why it waited.
      (error: unknown) => console.error(`voxloop: the GPU window did not open: ${firstLineOf(error)}`)
    )
  }
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
