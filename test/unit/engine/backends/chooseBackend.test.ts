import { describe, expect, it } from 'vitest'
import type { BackendId, BackendProbe } from '../../../../src/shared/backends'
import { chooseBackend } from '../../../../src/engine/backends/chooseBackend'
import { parseBackendPreference } from '../../../../src/shared/backends'

function probes(available: BackendId[]): BackendProbe[] {
  return (['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const).map((id) => ({
    id,
    available: available.includes(id),
    reason: available.includes(id) ? `${id} works` : `${id}: not installed`
  }))
}

describe('chooseBackend', () => {
  it.each([
    [['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'], 'tfjs-node-gpu'],
    [['tfjs-node', 'wasm', 'cpu'], 'tfjs-node'],
    [['wasm', 'cpu'], 'wasm'],
    [['cpu'], 'cpu'],
    [['tfjs-node-gpu', 'cpu'], 'tfjs-node-gpu'],
    [['tfjs-node', 'cpu'], 'tfjs-node']
  ] as Array<[BackendId[], BackendId]>)('auto with %j available picks %s', (available, expected) => {
    expect(chooseBackend(probes(available), 'auto').chosen).toBe(expected)
  })

  it('says why the preferred backends were passed over', () => {
    const choice = chooseBackend(probes(['wasm', 'cpu']), 'auto')
    expect(choice.reason).toContain('tfjs-node-gpu: tfjs-node-gpu: not installed')
    expect(choice.reason).toContain('tfjs-node: tfjs-node: not installed')
    expect(choice.reason).toMatch(/first available/)
  })

  it('honours a forced backend even when a better one exists', () => {
    const choice = chooseBackend(probes(['tfjs-node', 'wasm', 'cpu']), 'cpu')
    expect(choice.chosen).toBe('cpu')
    expect(choice.reason).toMatch(/forced/)
  })

  it('refuses a forced backend that is not available, with its reason', () => {
    expect(() => chooseBackend(probes(['wasm', 'cpu']), 'tfjs-node-gpu')).toThrow(
      expect.objectContaining({ code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('not installed') })
    )
  })

  it('fails clearly when nothing is available', () => {
    expect(() => chooseBackend(probes([]), 'auto')).toThrow(/No compute backend is available/)
  })
})

describe('parseBackendPreference', () => {
  it('accepts auto, the four ids, and nothing else', () => {
    expect(parseBackendPreference(undefined)).toBe('auto')
    expect(parseBackendPreference('wasm')).toBe('wasm')
    expect(parseBackendPreference('tfjs-node-gpu')).toBe('tfjs-node-gpu')
    expect(() => parseBackendPreference('cuda')).toThrow(/Unknown backend "cuda"/)
  })
})
