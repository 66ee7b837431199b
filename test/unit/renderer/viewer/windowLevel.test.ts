import { describe, expect, it } from 'vitest'
import { colormapTable, parseHexColor } from '../../../../src/renderer/src/viewer/colormaps'
import { downsampleToBytes } from '../../../../src/renderer/src/viewer/downsampleVolume'
import { buildLabelPalette } from '../../../../src/renderer/src/viewer/labelPalette'
import { autoWindow, CT_PRESETS, dragWindow, samplePercentiles } from '../../../../src/renderer/src/viewer/windowLevel'

describe('window/level', () => {
  it('takes MR windows from percentiles, ignoring an outlier', () => {
    const data = new Float32Array(1000)
    for (let i = 0; i < 1000; i++) data[i] = i % 100
    data[0] = 358_215
    const window = autoWindow(data)
    expect(window.center - window.width / 2).toBeCloseTo(0, 0)
    expect(window.center + window.width / 2).toBeLessThan(100)
  })

  it('never returns a zero-width window for a constant image', () => {
    expect(autoWindow(new Int16Array(50).fill(7)).width).toBeGreaterThan(0)
  })

  it('ignores NaN when sampling percentiles', () => {
    expect(samplePercentiles(new Float32Array([Number.NaN, 1, 2, 3]), [0, 100])).toEqual([1, 3])
  })

  it('has the standard CT presets', () => {
    expect(CT_PRESETS.lung).toMatchObject({ center: -600, width: 1500 })
    expect(CT_PRESETS.bone.width).toBeGreaterThan(CT_PRESETS.brain.width)
  })

  it('drags: right widens, up raises the level', () => {
    const next = dragWindow({ center: 100, width: 200 }, 50, -50, 1000)
    expect(next.width).toBeGreaterThan(200)
    expect(next.center).toBeGreaterThan(100)
  })
})

describe('lookup tables', () => {
  it('grey runs from black to white', () => {
    const table = colormapTable('grey')
    expect(Array.from(table.subarray(0, 4))).toEqual([0, 0, 0, 255])
    expect(Array.from(table.subarray(255 * 4, 256 * 4))).toEqual([255, 255, 255, 255])
  })

  it('label palette: colour per id, transparent background and hidden labels', () => {
    const palette = buildLabelPalette([
      { id: 1, color: '#ff8000', visible: true },
      { id: 2, color: '#00ff00', visible: false }
    ])
    expect(Array.from(palette.subarray(0, 4))).toEqual([0, 0, 0, 0])
    expect(Array.from(palette.subarray(4, 8))).toEqual([255, 128, 0, 255])
    expect(palette[2 * 4 + 3]).toBe(0)
    expect(parseHexColor('#0a0b0c')).toEqual([10, 11, 12])
  })

  it('downsamples to at most the requested side', () => {
    const volume = new Uint8Array(10 * 4 * 3).map((_, i) => i % 7)
    const small = downsampleToBytes(volume, [10, 4, 3], 4, (v) => v * 10)
    expect(small.dims).toEqual([3, 4, 3])
    expect(small.factor).toEqual([3, 1, 1])
    expect(small.data[0]).toBe((volume[1] as number) * 10)
  })
})
