import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { checkSliceSpacing, describeEvenSlices, evenOutSlices } from '../../../../../src/node/formats/dicom/evenSlices'
import { niftiFromBytes, niftiLayoutFromBytes } from '../../../../../src/node/formats/dicom/niftiFromBytes'
import { encodeImageNifti, imageHeaderForGrid } from '../../../../../src/node/formats/nifti/writeImageNifti'
import type { Mat4, Vec3, VoxelArray } from '../../../../../src/shared/volume'
import { slice } from './syntheticSeries'

/** A 4×3×n volume as dcm2niix writes one: slice axis +z (RAS) at `spacing` from z = 0, x and y as the synthetic series. */
function grid(planes: number, spacing: number): { dims: Vec3; rasFromIjk: Mat4 } {
  return {
    dims: [4, 3, planes],
    rasFromIjk: [
      [-2, 0, 0, 0],
      [0, -1.5, 0, 0],
      [0, 0, spacing, 0],
      [0, 0, 0, 1]
    ]
  }
}

/** Uncompressed NIfTI bytes whose slice k holds 100·(k + 1) + voxel index in the slice. */
function niftiOf(planes: number, spacing: number, data: VoxelArray = Int16Array.from({ length: 12 * planes }, (_, n) => 100 * (Math.floor(n / 12) + 1) + (n % 12))): Uint8Array {
  const { dims, rasFromIjk } = grid(planes, spacing)
  const header = imageHeaderForGrid({ dims, rasFromIjk, datatype: data instanceof Float32Array ? 'float32' : 'int16' })
  return new Uint8Array(gunzipSync(encodeImageNifti({ header, data })))
}

const sliceValues = (data: VoxelArray, k: number): number[] => Array.from(data.subarray(12 * k, 12 * (k + 1)))

describe('checkSliceSpacing: the images against the planes of the volume dcm2niix made', () => {
  it('is even when every image lies on its plane (to 0.1 of the spacing), in whatever order the images come', () => {
    expect(checkSliceSpacing(grid(4, 2.5), [7.5, 0, 5, 2.5].map((z) => slice(z)))).toEqual({ kind: 'even' })
    expect(checkSliceSpacing(grid(4, 2.5), [0, 2.5, 5.2, 7.5].map((z) => slice(z)))).toEqual({ kind: 'even' })
  })

  it('is uneven, with each image’s offset from the first plane, where an image is missing or the gaps differ', () => {
    // dcm2niix stacks the 4 images at the first gap (1 mm): the two past the 2 mm gap are 1 mm off.
    expect(checkSliceSpacing(grid(4, 1), [4, 0, 1, 3].map((z) => slice(z)))).toEqual({ kind: 'uneven', offsets: [0, 1, 3, 4] })
    expect(checkSliceSpacing(grid(3, 1), [0, 1, 2.5].map((z) => slice(z)))).toMatchObject({ kind: 'uneven' })
  })

  it('cannot tell for a count that is not the slices, multi-frame images, mosaics or a tilted stack', () => {
    expect(checkSliceSpacing(grid(4, 1), [0, 1, 2].map((z) => slice(z)))).toEqual({ kind: 'unknown', reason: '3 source image(s) for 4 slice(s)' })
    expect(checkSliceSpacing(grid(2, 1), [slice(0, { numberOfFrames: 2 }), slice(1)])).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/multi-frame or mosaics/) })
    expect(checkSliceSpacing(grid(2, 1), [slice(0, { imageType: ['ORIGINAL', 'PRIMARY', 'M', 'MOSAIC'] }), slice(1)])).toMatchObject({ kind: 'unknown' })
    // Rows tilted 10° about x: the normal is no longer the slice axis.
    const c = Math.cos(Math.PI / 18)
    const s = Math.sin(Math.PI / 18)
    const tilted = [0, 1].map((z) => slice(z, { imageOrientationPatient: [1, 0, 0, 0, c, s] }))
    expect(checkSliceSpacing(grid(2, 1), tilted)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/gantry-tilted/) })
  })
})

describe('evenOutSlices: the images on even slices', () => {
  it('puts an image missing from a 1 mm series back as the mean of its neighbours, every image on its own plane, the first plane and the spacing kept', () => {
    const bytes = niftiOf(4, 1)
    const even = evenOutSlices(bytes, niftiLayoutFromBytes(bytes, 'series 4'), [0, 1, 3, 4], 'series 4')
    expect(even).toMatchObject({ planes: 5, spacing: 1, interpolated: 1, smallestGap: 1, largestGap: 2 })
    const volume = niftiFromBytes(even.nifti, 'even')
    expect(volume.header.dims).toEqual([4, 3, 5])
    expect(volume.header.rasFromIjk).toEqual(grid(5, 1).rasFromIjk)
    expect(volume.header.datatype).toBe('int16')
    expect(sliceValues(volume.data, 0)).toEqual(sliceValues(niftiFromBytes(bytes, 'a').data, 0))
    expect(sliceValues(volume.data, 1)[0]).toBe(200)
    // Plane 2 (z = 2) had no image: halfway between the images at z = 1 (200 + n) and z = 3 (300 + n).
    expect(sliceValues(volume.data, 2)).toEqual(Array.from({ length: 12 }, (_, n) => 250 + n))
    expect(sliceValues(volume.data, 3)[0]).toBe(300)
    expect(sliceValues(volume.data, 4)[11]).toBe(411)
    expect(describeEvenSlices(4, even)).toBe(
      'the slice spacing varies (gaps of 1 mm to 2 mm between its 4 images), which one NIfTI volume cannot hold: placed on 5 evenly spaced slices of 1 mm; ' +
        '1 of them has no image of its own (an image missing from the series?) and was interpolated between the neighbouring images'
    )
  })

  it('keeps the first and the last image where the gaps are not multiples of the smallest, and interpolates the planes between', () => {
    const data = Float32Array.from({ length: 36 }, (_, n) => [0, 10, 35][Math.floor(n / 12)] as number)
    const bytes = niftiOf(3, 1, data)
    // Images at 0, 1 and 3.5 mm: the 3.5 mm span in 4 steps of 0.875 mm.
    const even = evenOutSlices(bytes, niftiLayoutFromBytes(bytes, 's'), [0, 1, 3.5], 's')
    expect(even).toMatchObject({ planes: 5, spacing: 0.875, interpolated: 3 })
    const volume = niftiFromBytes(even.nifti, 'even')
    expect(volume.header.spacing[2]).toBeCloseTo(0.875, 6)
    // The values are the images' positions in mm ×10, so a linear interpolation gives 10 × the plane's z.
    expect([0, 1, 2, 3, 4].map((k) => volume.data[12 * k])).toEqual([0, 8.75, 17.5, 26.25, 35].map((x) => expect.closeTo(x, 4)))
  })

  it('gives evenly spaced images their own spacing where dcm2niix took the first gap for it, copying every image (gaps within its 0.2 mm tolerance add up)', () => {
    const bytes = niftiOf(5, 0.75)
    // 0.7 mm apart but the first two 0.75 mm: dcm2niix's volume puts the last image 0.2 mm too far.
    const offsets = [0, 0.75, 1.4, 2.1, 2.8]
    expect(checkSliceSpacing(grid(5, 0.75), offsets.map((z) => slice(z)))).toEqual({ kind: 'uneven', offsets })
    const even = evenOutSlices(bytes, niftiLayoutFromBytes(bytes, 's'), offsets, 's')
    expect(even).toMatchObject({ planes: 5, interpolated: 0, convertedSpacing: 0.75 })
    expect(even.spacing).toBeCloseTo(0.7, 6)
    const volume = niftiFromBytes(even.nifti, 'even')
    expect(Array.from(volume.data)).toEqual(Array.from(niftiFromBytes(bytes, 'a').data))
    expect(volume.header.rasFromIjk[2]?.[2]).toBeCloseTo(0.7, 6)
    expect(describeEvenSlices(5, even)).toBe(
      'its images lie every 0.7 mm (gaps of 0.65 mm to 0.75 mm between its 5 images), not every 0.75 mm as the first two: ' +
        'the slice spacing was set to 0.7 mm, so that the last slices are not misplaced (no slice interpolated)'
    )
  })

  it('never makes more than twice the planes of the images, and refuses two images on one plane or a first image off the first plane', () => {
    const bytes = niftiOf(3, 0.1)
    expect(evenOutSlices(bytes, niftiLayoutFromBytes(bytes, 's'), [0, 0.1, 10], 's')).toMatchObject({ planes: 6, spacing: 2 })
    expect(() => evenOutSlices(bytes, niftiLayoutFromBytes(bytes, 's'), [0, 0, 2], 'series 5')).toThrow(/^series 5: two of its images lie on the same plane/)
    const one = niftiOf(3, 1)
    expect(() => evenOutSlices(one, niftiLayoutFromBytes(one, 's'), [0.5, 1, 3], 'series 6')).toThrow("series 6: its first slice lies 0.5 mm from the volume's first plane")
  })
})
