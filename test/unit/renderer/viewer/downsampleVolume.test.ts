import { describe, expect, it } from 'vitest'
import { downsampleLabels, downsampleToBytes } from '../../../../src/renderer/src/viewer/downsampleVolume'

describe('downsampleLabels', () => {
  it('keeps 16-bit values and width (256, 300 and 65535 are not clamped to 255)', () => {
    const labels = Uint16Array.from([0, 256, 300, 65535, 1, 2, 3, 4])
    const out = downsampleLabels(labels, [8, 1, 1], 8)
    expect(out.data).toBeInstanceOf(Uint16Array)
    expect([...out.data]).toEqual([...labels])
    expect(out.dims).toEqual([8, 1, 1])
  })

  it('keeps an 8-bit map 8-bit and samples the nearest voxel when shrinking', () => {
    const labels = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])
    const out = downsampleLabels(labels, [8, 1, 1], 4)
    expect(out.data).toBeInstanceOf(Uint8Array)
    expect(out.factor).toEqual([2, 1, 1])
    expect([...out.data]).toEqual([2, 4, 6, 8])
  })

  it('samples the same voxels as the image, so labels and image stay aligned in 3D', () => {
    const dims: [number, number, number] = [5, 7, 9]
    const count = dims[0] * dims[1] * dims[2]
    const labels = Uint16Array.from({ length: count }, (_, i) => i)
    const image = Float32Array.from({ length: count }, (_, i) => i % 256)
    const shrunkLabels = downsampleLabels(labels, dims, 3)
    const shrunkImage = downsampleToBytes(image, dims, 3, (v) => v)
    expect(shrunkLabels.dims).toEqual(shrunkImage.dims)
    expect([...shrunkLabels.data].map((v) => v % 256)).toEqual([...shrunkImage.data])
  })
})
