import { describe, expect, it } from 'vitest'
import { computeText, durationText, etaText, preparingText } from '../../../../../src/renderer/src/components/training/trainingProgressText'
import type { BackendReport } from '../../../../../src/shared/backends'

describe('training progress text (issue #15 item 9)', () => {
  it('says "estimating…" while the engine has no ETA yet, the ETA once it has, "finished" after', () => {
    expect(etaText(true, null)).toBe('estimating…')
    expect(etaText(true, 272)).toBe('4 min 32 s')
    expect(etaText(false, 272)).toBe('finished')
  })

  it('names the preparation stage, the cases done and the case being read', () => {
    expect(preparingText(null)).toMatch(/Reading/)
    expect(preparingText({ runId: 'r', stage: 'fingerprint', done: 2, total: 6, caseId: 'demo-03', elapsedSeconds: 4 })).toBe('Measuring the training cases: 2 of 6 (reading demo-03)')
    expect(preparingText({ runId: 'r', stage: 'cache', done: 6, total: 6, caseId: null, elapsedSeconds: 9 })).toBe('Preparing the cases for training: 6 of 6')
  })

  it('formats durations', () => {
    expect([null, 42.4, 185, 4320].map(durationText)).toEqual(['—', '42 s', '3 min 5 s', '1 h 12 min'])
  })

  it('names the run\'s backend, and the GPU adapter when the engine runs it on WebGPU', () => {
    const adapter = { name: 'AMD Radeon RX 7800 XT', vendor: 'amd', architecture: 'rdna-3', software: false, maxBufferBytes: 4 * 2 ** 30 }
    const report = (chosen: 'webgpu' | 'wasm', tfBackend: string, withAdapter: boolean): BackendReport => ({
      chosen,
      tfBackend,
      reason: 'first available',
      preference: 'auto',
      probes: [],
      tfjsVersion: '4.22.0',
      threads: 1,
      ...(withAdapter ? { adapter } : {})
    })
    expect(computeText('webgpu', { state: 'ready', backend: report('webgpu', 'webgpu', true) })).toBe('webgpu · AMD Radeon RX 7800 XT, max buffer 4.0 GiB')
    expect(computeText('wasm', { state: 'ready', backend: report('wasm', 'wasm', false) })).toBe('wasm')
    // The engine restarted on wasm after a webgpu run: the run keeps its own backend, without an adapter it no longer has.
    expect(computeText('webgpu', { state: 'ready', backend: report('wasm', 'wasm', false) })).toBe('webgpu')
    expect(computeText('webgpu', { state: 'starting' })).toBe('webgpu')
  })
})
