import type { DicomSliceReference } from '../../../../../src/node/formats/dicom/dicomReferences'
import type { LabelGrid } from '../../../../../src/node/formats/dicom/dicomSegGeometry'
import type { Vec3 } from '../../../../../src/shared/volume'

/**
 * The synthetic series the DICOM SEG tests work out by hand. Source images: 4 columns × 3 rows,
 * PixelSpacing 1.5 mm between rows and 2 mm between columns, five slices at z = 0, 2.5, …, 10
 * (LPS). Pixel (r, c) of the slice at z lies at LPS (x0 + 2c, y0 ± 1.5r, z), i.e. RAS
 * (−x0 − 2c, −(y0 ± 1.5r), z).
 */

export const DIMS: Vec3 = [4, 3, 5]

/** The positions of the five slices along z (mm). */
export const SLICE_Z = [0, 2.5, 5, 7.5, 10] as const

export function slice(z: number, options: Partial<DicomSliceReference> & { y0?: number } = {}): DicomSliceReference {
  const { y0 = 0, ...rest } = options
  return {
    sopClassUid: '1.2.840.10008.5.1.4.1.1.4',
    sopInstanceUid: `1.2.3.${z * 10}`,
    imagePositionPatient: [0, y0, z],
    imageOrientationPatient: [1, 0, 0, 0, 1, 0],
    pixelSpacing: [1.5, 2],
    rows: 3,
    columns: 4,
    ...rest
  }
}

/**
 * As dcm2niix writes such a series: i = c (x = −2i), rows flipped (j = 2 − r, so y = 1.5j − 3) and
 * slices reversed (k = (10 − z) / 2.5, so z = 10 − 2.5k): indices and file order both disagree
 * with the source's, so only geometry maps them right.
 */
export const FLIPPED_GRID: LabelGrid = {
  dims: DIMS,
  rasFromIjk: [
    [-2, 0, 0, 0],
    [0, 1.5, 0, -3],
    [0, 0, -2.5, 10],
    [0, 0, 0, 1]
  ]
}

export const index = (i: number, j: number, k: number): number => i + DIMS[0] * (j + DIMS[1] * k)
