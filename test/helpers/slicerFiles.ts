/**
 * A case as 3D Slicer saves it, made from a NIfTI image and label for the import tests: the image as
 * `<name>.nrrd` (float, gzip, LPS space with the image's geometry) and the label as Voxloop's own
 * `<name>.seg.nrrd` export writes it (one layer, a segment per label value).
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { readLabelNifti, readNifti } from '../../src/node/formats/nifti'
import { lpsFromRas, nrrdVector, spaceDirectionsAndOrigin } from '../../src/node/formats/nrrd/nrrdHeader'
import { encodeSegNrrd, type SegNrrdSegment } from '../../src/node/formats/nrrd/segNrrd'
import type { LabelVolume, Volume } from '../../src/shared/volume'

export interface SlicerCase {
  image: Volume
  label: LabelVolume
}

/** Writes `<folder>/<name>.nrrd` and `<folder>/<name>.seg.nrrd`; returns the NIfTI volumes they came from. */
export async function writeSlicerCase(folder: string, name: string, imageNifti: string, labelNifti: string, segments: readonly Omit<SegNrrdSegment, 'generated'>[]): Promise<SlicerCase> {
  const image = await readNifti(imageNifti)
  const label = await readLabelNifti(labelNifti)
  const { directions, origin } = spaceDirectionsAndOrigin(lpsFromRas(image.header.rasFromIjk))
  const floats = Float32Array.from(image.data)
  const header =
    `NRRD0004\ntype: float\ndimension: 3\nspace: left-posterior-superior\nsizes: ${image.header.dims.join(' ')}\n` +
    `space directions: ${directions.map(nrrdVector).join(' ')}\nkinds: domain domain domain\nendian: little\nencoding: gzip\nspace origin: ${nrrdVector(origin)}\n\n`
  await writeFile(path.join(folder, `${name}.nrrd`), Buffer.concat([Buffer.from(header), gzipSync(new Uint8Array(floats.buffer))]))
  const seg = await encodeSegNrrd({ dims: label.header.dims, labels: label.data, rasFromIjk: label.header.rasFromIjk, segments: segments.map((segment) => ({ ...segment, generated: false })) })
  await writeFile(path.join(folder, `${name}.seg.nrrd`), seg)
  return { image, label }
}
