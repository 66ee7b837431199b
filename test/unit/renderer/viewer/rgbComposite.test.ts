import { describe, expect, it } from 'vitest'
import type { Mat4 } from '../../../../src/shared/volume'
import { composeRgbSlice, isColourPicture, naturalColourWindow } from '../../../../src/renderer/src/viewer/rgbComposite'
import { singleSliceView } from '../../../../src/renderer/src/viewer/singleSlice'
import { extractSlice } from '../../../../src/renderer/src/viewer/sliceExtraction'
import { viewMapping } from '../../../../src/renderer/src/viewer/viewOrientation'

/** The RGBA bytes of pixel `p` of a composed slice. */
function pixel(rgba: Uint8Array, p: number): number[] {
  return Array.from(rgba.subarray(p * 4, p * 4 + 4))
}

describe('composeRgbSlice', () => {
  const identity8 = { center: 127.5, width: 255 }

  it.each([
    { what: 'black', rgb: [0, 0, 0], window: identity8, expected: [0, 0, 0, 255] },
    { what: 'white', rgb: [255, 255, 255], window: identity8, expected: [255, 255, 255, 255] },
    { what: 'a pure red', rgb: [255, 0, 0], window: identity8, expected: [255, 0, 0, 255] },
    { what: 'an orange, unchanged by the 0–255 window', rgb: [230, 120, 30], window: identity8, expected: [230, 120, 30, 255] },
    { what: 'values below the window', rgb: [10, 20, 99], window: { center: 150, width: 100 }, expected: [0, 0, 0, 255] },
    { what: 'values above the window', rgb: [201, 250, 255], window: { center: 150, width: 100 }, expected: [255, 255, 255, 255] },
    // (160 - 100) · 255/100 = 153; (125 - 100) · 2.55 = 63.75 → 64; (175 - 100) · 2.55 = 191.25 → 191.
    { what: 'a narrow window stretching all three alike', rgb: [160, 125, 175], window: { center: 150, width: 100 }, expected: [153, 64, 191, 255] },
    // 16-bit colour with its natural window: 65535 → 255, 32768 → 128 (127.5 rounds up), 257 → 1.
    { what: 'a 16-bit colour', rgb: [65535, 32768, 257], window: { center: 65535 / 2, width: 65535 }, expected: [255, 128, 1, 255] }
  ])('maps $what', ({ rgb, window, expected }) => {
    const [r, g, b] = rgb as [number, number, number]
    expect(pixel(composeRgbSlice([r], [g], [b], window), 0)).toEqual(expected)
  })

  it('keeps each pixel in its place and writes into the buffer it is given', () => {
    const red = Float32Array.from([255, 0, 0, 12])
    const green = Float32Array.from([0, 255, 0, 34])
    const blue = Float32Array.from([0, 0, 255, 56])
    const out = new Uint8Array(16).fill(7)
    const result = composeRgbSlice(red, green, blue, identity8, out)
    expect(result).toBe(out)
    expect([0, 1, 2, 3].map((p) => pixel(out, p))).toEqual([
      [255, 0, 0, 255],
      [0, 255, 0, 255],
      [0, 0, 255, 255],
      [12, 34, 56, 255]
    ])
  })

  it('refuses channels of different lengths and a buffer too small, naming the sizes', () => {
    expect(() => composeRgbSlice([1, 2], [1], [1, 2], identity8)).toThrow(/red 2, green 1, blue 2/)
    expect(() => composeRgbSlice([1, 2], [1, 2], [1, 2], identity8, new Uint8Array(7))).toThrow(/7 bytes cannot hold 2 pixels/)
  })

  it('gives a grey pixel the byte the grey display gives it, whatever the window', () => {
    // The shader's grey: t = clamp((v - low) / width), looked up at round(t · 255).
    for (const window of [identity8, { center: 80, width: 60 }, { center: 300, width: 1000 }]) {
      for (const v of [0, 37, 80, 109.9, 200, 255]) {
        const low = window.center - window.width / 2
        const t = Math.min(1, Math.max(0, (v - low) / window.width))
        expect(pixel(composeRgbSlice([v], [v], [v], window), 0)).toEqual([Math.round(t * 255), Math.round(t * 255), Math.round(t * 255), 255])
      }
    }
  })
})

describe('a colour picture as the import stores it, composed for its view', () => {
  // importImage2d.ts: a W × H × 1 volume, channels after one another (R plane, G plane, B plane),
  // voxel (i, j) = column i, row j from the top, with image2dAffine's LPS-like affine.
  const width = 4
  const height = 3
  const affine2d: Mat4 = [
    [-1, 0, 0, 0],
    [0, -1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1]
  ]
  const planes = [new Uint8Array(width * height), new Uint8Array(width * height), new Uint8Array(width * height)]
  // The top-left pixel orange, the bottom-right one blue, the rest dark grey.
  planes.forEach((plane) => plane.fill(40))
  const set = (i: number, j: number, rgb: [number, number, number]): void => rgb.forEach((value, c) => ((planes[c] as Uint8Array)[i + width * j] = value))
  set(0, 0, [230, 120, 30])
  set(width - 1, height - 1, [20, 60, 220])
  const data = new Uint8Array(width * height * 3)
  planes.forEach((plane, c) => data.set(plane, c * width * height))

  it('shows the file\'s colours where the file has them (top-left orange, bottom-right blue)', () => {
    const dims = [width, height, 1] as const
    const view = singleSliceView(dims, affine2d)
    expect(view).not.toBeNull()
    const mapping = viewMapping(view ?? 'axial', affine2d)
    const channel = (c: number): Float32Array => {
      const out = new Float32Array(width * height)
      extractSlice(data, [width, height, 1], mapping, 0, out, c * width * height)
      return out
    }
    const rgba = composeRgbSlice(channel(0), channel(1), channel(2), naturalColourWindow('uint8') ?? { center: 0, width: 1 })
    // Texture order: rows from the screen's bottom up, each from the left (image2dOrientation.test.ts).
    const screenPixel = (column: number, rowFromTop: number): number[] => pixel(rgba, column + width * (height - 1 - rowFromTop))
    expect(screenPixel(0, 0)).toEqual([230, 120, 30, 255])
    expect(screenPixel(width - 1, height - 1)).toEqual([20, 60, 220, 255])
    expect(screenPixel(1, 0)).toEqual([40, 40, 40, 255])
  })
})

describe('isColourPicture', () => {
  const rgbNames = ['red', 'green', 'blue']
  it.each([
    { what: 'a one-slice picture named red, green, blue (what the import writes)', dims: [64, 48, 1], channels: 3, names: rgbNames, colour: true },
    { what: 'R, G, B as nnU-Net\'s dataset.json names them', dims: [64, 48, 1], channels: 3, names: ['R', 'G', 'B'], colour: true },
    { what: 'names in other case and with spaces', dims: [64, 48, 1], channels: 3, names: [' Red', 'GREEN ', 'Blue'], colour: true },
    { what: 'a 3D volume with three channels named red, green, blue', dims: [64, 48, 20], channels: 3, names: rgbNames, colour: false },
    { what: 'a 3D BraTS-like volume of four MR channels', dims: [64, 48, 20], channels: 4, names: ['FLAIR', 'T1w', 't1gd', 'T2w'], colour: false },
    { what: 'three grey pictures stacked as MR channels', dims: [64, 48, 1], channels: 3, names: ['T1', 'T2', 'FLAIR'], colour: false },
    { what: 'channels in another order (BGR)', dims: [64, 48, 1], channels: 3, names: ['blue', 'green', 'red'], colour: false },
    { what: 'a grey picture', dims: [64, 48, 1], channels: 1, names: ['image'], colour: false },
    { what: 'names that do not match the channel count', dims: [64, 48, 1], channels: 3, names: ['red', 'green'], colour: false }
  ])('$what: $colour', ({ dims, channels, names, colour }) => {
    expect(isColourPicture({ dims, channels }, names)).toBe(colour)
  })
})

describe('naturalColourWindow', () => {
  it('spans the sample type: 0–255 for 8-bit, 0–65535 for 16-bit, none for float', () => {
    expect(naturalColourWindow('uint8')).toEqual({ center: 127.5, width: 255 })
    expect(naturalColourWindow('uint16')).toEqual({ center: 32767.5, width: 65535 })
    expect(naturalColourWindow('float32')).toBeNull()
  })
})
