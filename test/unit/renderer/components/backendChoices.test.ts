import { describe, expect, it } from 'vitest'
import { backendChoices } from '../../../../src/renderer/src/components/backendChoices'
import type { EngineStatus } from '../../../../src/shared/system'

const ready: EngineStatus = {
  state: 'ready',
  backend: {
    chosen: 'wasm',
    tfBackend: 'wasm',
    reason: 'first available',
    preference: 'auto',
    tfjsVersion: '4.22.0',
    threads: 2,
    probes: [
      { id: 'tfjs-node-gpu', available: false, reason: 'not installed' },
      {
        id: 'webgpu',
        available: true,
        reason: 'software adapter SwiftShader driver 5.0.0, max buffer 1.0 GiB: CPU emulation, usable when forced',
        autoSkipReason: 'only a software adapter (SwiftShader driver 5.0.0): slower than wasm; --backend webgpu forces it'
      },
      { id: 'tfjs-node', available: false, reason: 'not installed' },
      { id: 'wasm', available: true, reason: 'loaded; SIMD, 2 threads' },
      { id: 'cpu', available: true, reason: 'always available' }
    ]
  }
}

describe('the compute backend menu (issue #15 polish: it offered backends that are not installed)', () => {
  it('disables the backends the engine found unavailable and says why', () => {
    const choices = backendChoices(ready)
    expect(choices.map((c) => [c.id, c.available])).toEqual([
      ['tfjs-node-gpu', false],
      ['webgpu', true],
      ['tfjs-node', false],
      ['wasm', true],
      ['cpu', true]
    ])
    expect(choices[0]?.title).toBe('Not available: not installed')
    expect(choices[3]?.title).toBe('loaded; SIMD, 2 threads')
  })

  it('offers a backend that auto passes over (a software WebGPU adapter), saying it is used only when chosen', () => {
    const webgpu = backendChoices(ready).find((c) => c.id === 'webgpu')
    expect(webgpu?.available).toBe(true)
    expect(webgpu?.title).toBe(
      'software adapter SwiftShader driver 5.0.0, max buffer 1.0 GiB: CPU emulation, usable when forced. Auto passes it over: only a software adapter (SwiftShader driver 5.0.0): slower than wasm; --backend webgpu forces it'
    )
  })

  it('keeps every backend choosable while the engine has not probed (starting, or failed on the forced one)', () => {
    for (const engine of [{ state: 'starting' }, { state: 'failed', message: 'tfjs-node: not installed' }] as EngineStatus[]) {
      expect(backendChoices(engine).every((c) => c.available)).toBe(true)
    }
  })
})
