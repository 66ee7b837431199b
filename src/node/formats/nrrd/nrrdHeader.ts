/**
 * The pieces of a NRRD0004 text header (http://teem.sourceforge.net/nrrd/format.html) that a
 * spatial 3D volume needs. Plain strings, so that the Slicer segmentation writer beside it stays a
 * pure function of its input.
 */
import type { Mat4, Vec3 } from '../../../shared/volume'

/**
 * NRRD's `space: left-posterior-superior` is DICOM's patient space; NIfTI's is RAS. The two differ
 * by the sign of x and y, so LPS rows are the RAS rows with the first two negated.
 */
export function lpsFromRas(rasFromIjk: Mat4): Mat4 {
  const [x, y, z, w] = rasFromIjk
  return [[-x[0], -x[1], -x[2], -x[3]], [-y[0], -y[1], -y[2], -y[3]], [...z], [...w]]
}

/**
 * `(a,b,c)`: NRRD's vector syntax. Numbers are written in JavaScript's shortest round-trip form, so
 * a reader parsing them as doubles gets back exactly the affine we hold (float32 NIfTI fields
 * included); `-0 || 0` keeps a negated zero from printing as "-0".
 */
export function nrrdVector(values: readonly number[]): string {
  return `(${values.map((value) => String(value || 0)).join(',')})`
}

/** Per-axis step vectors (the columns of the 3×3 part) and the origin, in the affine's space. */
export function spaceDirectionsAndOrigin(spaceFromIjk: Mat4): { directions: [Vec3, Vec3, Vec3]; origin: Vec3 } {
  const column = (axis: number): Vec3 => [spaceFromIjk[0][axis] ?? 0, spaceFromIjk[1][axis] ?? 0, spaceFromIjk[2][axis] ?? 0]
  return { directions: [column(0), column(1), column(2)], origin: column(3) }
}

/**
 * A key/value line `key:=value` (keys are ours: no newline, no ":="). NRRD ends a field at the
 * newline, so Teem (which ITK and Slicer read NRRD with) writes a newline in a value as `\n`, a
 * backslash as `\\` and other vertical whitespace as a space; we do the same, so a label name can
 * hold any character and still reads back as one field.
 */
export function nrrdKeyValue(key: string, value: string): string {
  const escaped = value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replace(/[\r\v\f]/g, ' ')
  return `${key}:=${escaped}`
}
