import { describe, expect, it } from 'vitest'
import type { BackendId, BackendProbe, GpuAdapterSummary } from '../../../../src/shared/backends'
import { chooseBackend } from '../../../../src/engine/backends/chooseBackend'
import { BACKEND_IDS, parseBackendPreference } from '../../../../src/shared/backends'
import { webGpuProbeFrom } from '../../../../src/engine/backends/webgpu/probeWebGpu'

function probes(available: BackendId[]): BackendProbe[] {
  return BACKEND_IDS.map((id) => ({
    id,
    available: available.includes(id),
    reason: available.includes(id) ? `${id} works` : `${id}: not installed`
  }))
}

const swiftShader: GpuAdapterSummary = { name: 'SwiftShader driver 5.0.0', vendor: 'google', architecture: 'swiftshader', software: true, maxBufferBytes: 2 ** 30 }
const radeon: GpuAdapterSummary = { name: 'AMD Radeon RX 7800 XT', vendor: 'amd', architecture: 'rdna-3', software: false, maxBufferBytes: 4 * 2 ** 30 }

/** The probes with webgpu's replaced by what its probe makes of this adapter. */
function withAdapter(available: BackendId[], adapter: GpuAdapterSummary): BackendProbe[] {
  return probes(available).map((probe) => (probe.id === 'webgpu' ? webGpuProbeFrom({ kind: 'adapter', adapter }) : probe))
}

describe('chooseBackend', () => {
  it.each([
    [['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'], 'tfjs-node-gpu'],
    [['webgpu', 'tfjs-node', 'wasm', 'cpu'], 'webgpu'],
    [['tfjs-node', 'wasm', 'cpu'], 'tfjs-node'],
    [['wasm', 'cpu'], 'wasm'],
    [['cpu'], 'cpu'],
    [['tfjs-node-gpu', 'cpu'], 'tfjs-node-gpu'],
    [['webgpu', 'cpu'], 'webgpu'],
    [['tfjs-node', 'cpu'], 'tfjs-node']
  ] as Array<[BackendId[], BackendId]>)('auto with %j available picks %s', (available, expected) => {
    expect(chooseBackend(probes(available), 'auto').chosen).toBe(expected)
  })

  it('says why the preferred backends were passed over', () => {
    const choice = chooseBackend(probes(['wasm', 'cpu']), 'auto')
    expect(choice.reason).toContain('tfjs-node-gpu: tfjs-node-gpu: not installed')
    expect(choice.reason).toContain('webgpu: webgpu: not installed')
    expect(choice.reason).toContain('tfjs-node: tfjs-node: not installed')
    expect(choice.reason).toMatch(/first available in order tfjs-node-gpu → webgpu → tfjs-node → wasm → cpu/)
  })

  it('takes a hardware WebGPU adapter in auto, ahead of libtensorflow on the CPU', () => {
    const choice = chooseBackend(withAdapter(['webgpu', 'tfjs-node', 'wasm', 'cpu'], radeon), 'auto')
    expect(choice.chosen).toBe('webgpu')
  })

  it('passes over a software adapter in auto, saying why and how to force it', () => {
    const choice = chooseBackend(withAdapter(['webgpu', 'wasm', 'cpu'], swiftShader), 'auto')
    expect(choice.chosen).toBe('wasm')
    expect(choice.reason).toContain('webgpu: only a software adapter (SwiftShader driver 5.0.0): slower than wasm; --backend webgpu forces it')
  })

  it('uses a software adapter when webgpu is forced', () => {
    const choice = chooseBackend(withAdapter(['webgpu', 'wasm', 'cpu'], swiftShader), 'webgpu')
    expect(choice.chosen).toBe('webgpu')
    expect(choice.reason).toMatch(/^forced by setting or --backend \(software adapter SwiftShader driver 5\.0\.0, max buffer 1\.0 GiB/)
  })

  it('does not fall back to a software adapter when nothing else is in auto: it says so instead', () => {
    const only = withAdapter(['webgpu'], swiftShader)
    expect(() => chooseBackend(only, 'auto')).toThrow(/No compute backend is available: .*webgpu: only a software adapter/)
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
    const noAdapter = probes(['wasm', 'cpu']).map((probe) =>
      probe.id === 'webgpu' ? webGpuProbeFrom({ kind: 'no-adapter', platform: 'linux', vulkanLoader: true, dawnMessages: [] }) : probe
    )
    expect(() => chooseBackend(noAdapter, 'webgpu')).toThrow(
      expect.objectContaining({
        code: 'BACKEND_UNAVAILABLE',
        message: 'Backend "webgpu" was requested but is not available: no GPU adapter: Dawn found no usable Vulkan driver'
      })
    )
  })

  it('fails clearly when nothing is available', () => {
    expect(() => chooseBackend(probes([]), 'auto')).toThrow(/No compute backend is available/)
  })
})

describe('parseBackendPreference', () => {
  it('accepts auto, the five ids, and nothing else', () => {
    expect(parseBackendPreference(undefined)).toBe('auto')
    expect(parseBackendPreference('wasm')).toBe('wasm')
    expect(parseBackendPreference('tfjs-node-gpu')).toBe('tfjs-node-gpu')
    expect(parseBackendPreference('webgpu')).toBe('webgpu')
    expect(() => parseBackendPreference('cuda')).toThrow(/Unknown backend "cuda": expected auto, tfjs-node-gpu, webgpu, tfjs-node, wasm, cpu/)
  })
})
