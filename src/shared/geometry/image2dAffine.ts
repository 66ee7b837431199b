import type { Mat4 } from '../volume'

/**
 * The voxel → RAS affine of a one-slice case made from a 2D image (PNG, JPEG, TIFF), whose voxel
 * (i, j, 0) is the file's pixel in column i, row j (row 0 = top row), so that the viewer's axial
 * view shows it as any image viewer does: row 0 at the top, column 0 at the left, not mirrored.
 *
 * Why diag(−sx, −sy, 1): the axial view is radiological (renderer viewer/viewOrientation.ts): screen
 * +x points to the patient's left (−R) and screen +y (up) to anterior (+A). Column i must therefore
 * run toward L and row j toward P: orientation LPS, the one DICOM gives a radiograph (the patient's
 * right on the viewer's left, as a PA chest film is read). The slice is 1 mm thick: a 2D image has
 * no depth. Proved on the viewer's own mapping in test/unit/renderer/viewer/image2dOrientation.test.ts.
 */
export function rasFromIjkFor2d(spacingMm: readonly [number, number]): Mat4 {
  return [
    [-spacingMm[0], 0, 0, 0],
    [0, -spacingMm[1], 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1]
  ]
}
