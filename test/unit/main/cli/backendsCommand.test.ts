import { describe, expect, it } from 'vitest'
import { formatBackendReport } from '../../../../src/main/cli/commands/backendsCommand'
import type { BackendReport, GpuAdapterSummary } from '../../../../src/shared/backends'

const swiftShader: GpuAdapterSummary = { name: 'SwiftShader driver 5.0.0', vendor: 'google', architecture: 'swiftshader', software: true, maxBufferBytes: 2 ** 30 }

const probes: BackendReport['probes'] = [
  { id: 'tfjs-node-gpu', available: false, reason: 'not installed' },
  {
    id: 'webgpu',
    available: true,
    reason: 'software adapter SwiftShader driver 5.0.0, max buffer 1.0 GiB: CPU emulation, usable when forced',
    autoSkipReason: 'only a software adapter (SwiftShader driver 5.0.0): slower than wasm; --backend webgpu forces it',
    adapter: swiftShader
  },
  { id: 'tfjs-node', available: false, reason: 'not installed' },
  { id: 'wasm', available: true, reason: 'WebAssembly SIMD (XNNPACK)' },
  { id: 'cpu', available: true, reason: 'plain JavaScript (slowest)' }
]

describe('voxloop backends (text)', () => {
  it('lists every backend with its reason, and what auto skips and why', () => {
    const text = formatBackendReport({ chosen: 'wasm', tfBackend: 'wasm', reason: 'first available', preference: 'auto', probes, tfjsVersion: '4.22.0', threads: 2 })
    expect(text.split('\n')).toEqual([
      'Compute backend: wasm (TensorFlow.js 4.22.0, backend "wasm", 2 threads)',
      'Why: first available',
      'Preference: auto',
      '',
      '  no     tfjs-node-gpu  not installed',
      '  forced webgpu         software adapter SwiftShader driver 5.0.0, max buffer 1.0 GiB: CPU emulation, usable when forced',
      '                        auto skips it: only a software adapter (SwiftShader driver 5.0.0): slower than wasm; --backend webgpu forces it',
      '  no     tfjs-node      not installed',
      '  yes    wasm           WebAssembly SIMD (XNNPACK)',
      '  yes    cpu            plain JavaScript (slowest)',
      ''
    ])
  })

  it('names the adapter the chosen webgpu backend computes on, with its largest buffer', () => {
    const text = formatBackendReport({
      chosen: 'webgpu',
      tfBackend: 'webgpu',
      reason: 'forced by setting or --backend',
      preference: 'webgpu',
      probes,
      tfjsVersion: '4.22.0',
      threads: 1,
      adapter: swiftShader
    })
    expect(text).toMatch(/^Compute backend: webgpu \(TensorFlow.js 4.22.0, backend "webgpu", 1 thread\)\nGPU adapter: SwiftShader driver 5.0.0 \(software\), max buffer 1.0 GiB\n/)
  })
})
