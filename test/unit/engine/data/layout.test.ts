import { describe, expect, it } from 'vitest'
import {
  argmaxChannelsLast,
  channelMajorFromChannelsLast,
  channelsLastFromVolume,
  dimsFromShape,
  imageIndex,
  labelMapFromLabelVolume,
  shapeFromDims
} from '../../../../src/engine/data'
import { labelVolumeFrom, volumeFrom } from './fixtures'

describe('layout', () => {
  it('maps dims [nx, ny, nz] to shape [D, H, W] = [nz, ny, nx] and back', () => {
    expect(shapeFromDims([5, 4, 3])).toEqual([3, 4, 5])
    expect(dimsFromShape([3, 4, 5])).toEqual([5, 4, 3])
  })

  it.each([1, 2, 4])('puts voxel (i, j, k, c) of a %i-channel volume at c + C*(w + W*(h + H*d))', (channels) => {
    const volume = volumeFrom([5, 4, 3], [1, 1, 1], channels, (i, j, k, c) => i + 10 * j + 100 * k + 1000 * c)
    const { image, shape } = channelsLastFromVolume(volume)
    expect(shape).toEqual([3, 4, 5])
    for (const [i, j, k] of [[0, 0, 0], [4, 3, 2], [2, 1, 1], [4, 0, 2]] as const) {
      for (let c = 0; c < channels; c++) expect(image[imageIndex(shape, channels, k, j, i, c)]).toBe(i + 10 * j + 100 * k + 1000 * c)
    }
    expect(image).not.toBe(volume.data)
    expect(channelMajorFromChannelsLast(image, 60, channels)).toEqual(Float32Array.from(volume.data))
  })

  it('keeps a uint8 label map as it is and narrows uint16 labels up to 255', () => {
    const u8 = labelVolumeFrom([3, 2, 2], [1, 1, 1], (i) => i)
    expect(labelMapFromLabelVolume(u8)).toBe(u8.data)
    const u16 = labelVolumeFrom([3, 2, 2], [1, 1, 1], (i, j) => 250 + i + j, new Uint16Array(12))
    expect(Array.from(labelMapFromLabelVolume(u16)).slice(0, 4)).toEqual([250, 251, 252, 251])
    const tooBig = labelVolumeFrom([3, 2, 2], [1, 1, 1], (i) => 254 + i, new Uint16Array(12))
    expect(() => labelMapFromLabelVolume(tooBig)).toThrow(/256 is above 255/)
  })

  it.each([
    { name: 'clear winner', scores: [0.1, 0.7, 0.2], expected: 1 },
    { name: 'tie goes to the lower class', scores: [0.4, 0.4, 0.2], expected: 0 },
    { name: 'last class', scores: [-3, -2, -1], expected: 2 }
  ])('argmax over classes: $name', ({ scores, expected }) => {
    expect(Array.from(argmaxChannelsLast(Float32Array.from([...scores, ...scores]), 3))).toEqual([expected, expected])
  })
})
