import { describe, expect, it } from 'vitest'
import { gpuWindowUrl, mayUseWebGpu } from '../../../../src/main/electron/gpuWindowPolicy'

describe('the GPU window (issue #16 item 2)', () => {
  it('loads gpu-host.html from the app:// origin, or from the dev server main allowed', () => {
    expect(gpuWindowUrl(null)).toBe('app://voxloop/gpu-host.html')
    expect(gpuWindowUrl('http://localhost:5173/')).toBe('http://localhost:5173/gpu-host.html')
  })

  it('is connected to an engine that may use webgpu: auto or webgpu, not a forced other backend', () => {
    expect(mayUseWebGpu([])).toBe(true)
    expect(mayUseWebGpu(['--backend=auto'])).toBe(true)
    expect(mayUseWebGpu(['--backend=webgpu'])).toBe(true)
    for (const other of ['wasm', 'cpu', 'tfjs-node', 'tfjs-node-gpu']) expect(mayUseWebGpu([`--backend=${other}`])).toBe(false)
  })
})
