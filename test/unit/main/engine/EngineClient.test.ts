import { fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { afterEach, describe, expect, it } from 'vitest'
import { EngineClient } from '../../../../src/main/engine/EngineClient'
import { forkEngine } from '../../../../src/main/engine/forkEngine'
import { engineArgv } from '../../../../src/shared/engineProtocol'
import type { BackendPreference } from '../../../../src/shared/backends'
import { engineSpecFromSource } from '../../../helpers/engineUnderTsx'

const requireHere = createRequire(import.meta.url)
function installed(name: string): boolean {
  try {
    requireHere.resolve(`${name}/package.json`)
    return true
  } catch {
    return false
  }
}

const clients: EngineClient[] = []
function startEngine(backend: BackendPreference): EngineClient {
  const client = new EngineClient({ launcher: forkEngine, spec: { ...engineSpecFromSource(), argv: engineArgv({ backend }) } })
  clients.push(client)
  return client
}

afterEach(() => {
  for (const client of clients.splice(0)) client.dispose()
})

describe('the engine process', () => {
  it('chooses a backend at start and reports why the others were not chosen', async () => {
    const engine = startEngine('auto')
    const report = await engine.start()
    expect(engine.getStatus().state).toBe('ready')
    expect(report.probes.map((p) => p.id)).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'])
    expect(report.tfjsVersion).toMatch(/^4\./)
    expect(report.threads).toBeGreaterThanOrEqual(1)
    // This checks the machine's truth rather than a fixed answer: where the optional packages are
    // missing they must say so, and the choice must be the first available one.
    for (const id of ['tfjs-node-gpu', 'tfjs-node'] as const) {
      const probe = report.probes.find((p) => p.id === id)
      if (!installed(`@tensorflow/${id}`)) expect(probe).toEqual({ id, available: false, reason: 'not installed' })
    }
    // wasm is the path that must always work, whatever else is installed.
    expect(report.probes.find((p) => p.id === 'wasm')).toMatchObject({ available: true })
    // A software GPU adapter (SwiftShader, where the ICD is set) is available but never auto's choice.
    const firstAvailable = report.probes.find((p) => p.available && p.autoSkipReason === undefined)
    expect(report.chosen).toBe(firstAvailable?.id)
    expect(report.reason).toMatch(/first available/)
  })

  it('answers calls once ready', async () => {
    const engine = startEngine('auto')
    await expect(engine.call('engine:ping', 7)).resolves.toEqual({ echo: 7 })
    await expect(engine.call('engine:backend')).resolves.toMatchObject({ chosen: expect.any(String) })
  })

  it('uses a forced backend', async () => {
    const report = await startEngine('cpu').start()
    expect(report.chosen).toBe('cpu')
    expect(report.tfBackend).toBe('cpu')
    expect(report.reason).toMatch(/forced/)
  })

  it('fails to start, with the reason, when a forced backend is missing', async () => {
    if (installed('@tensorflow/tfjs-node-gpu')) return
    const engine = startEngine('tfjs-node-gpu')
    await expect(engine.start()).rejects.toThrow(/tfjs-node-gpu.*not available: not installed/)
    expect(engine.getStatus()).toMatchObject({ state: 'failed' })
  })

  it('rejects pending and later calls when the process dies', async () => {
    const engine = startEngine('cpu')
    await engine.start()
    engine.dispose()
    await expect(engine.call('engine:ping', 1)).rejects.toThrow(/not running/)
  })
})

describe('an engine whose parent is gone', () => {
  it('exits when its channel to the parent closes, even with the threaded wasm pool alive', async () => {
    // What a killed serve process or CLI leaves behind: the engine's IPC channel closes. The wasm
    // build's pthread workers would otherwise keep the orphan (and its memory) alive for good.
    const spec = engineSpecFromSource()
    const child = fork(spec.entry, engineArgv({ backend: 'wasm' }), { execArgv: spec.execArgv ?? [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' })
    try {
      await new Promise<void>((resolve, reject) => {
        child.on('message', (message: { kind?: string }) => {
          if (message.kind === 'ready') resolve()
          if (message.kind === 'startFailed') reject(new Error('the engine failed to start'))
        })
        child.once('exit', () => reject(new Error('the engine exited before it was ready')))
      })
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      child.disconnect()
      const outcome = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000))])
      expect(outcome).toBe(0)
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  }, 60_000)
})
