import type { NiftiGeometry } from '../../../shared/volume'
import type { RawNiftiHeader } from './niftiHeaderCodec'

/**
 * The header fields that place voxels in space (qform, sform, their codes, units), copied verbatim
 * from an image's geometry: every file Voxloop writes for an image (labels, uncertainty maps)
 * carries exactly these so it overlays the image in any tool.
 */
export function transformFieldsOf(
  g: NiftiGeometry
): Pick<
  RawNiftiHeader,
  'qformCode' | 'sformCode' | 'quaternB' | 'quaternC' | 'quaternD' | 'qoffsetX' | 'qoffsetY' | 'qoffsetZ' | 'srowX' | 'srowY' | 'srowZ' | 'xyztUnits'
> {
  return {
    qformCode: g.qformCode,
    sformCode: g.sformCode,
    quaternB: g.quaternB,
    quaternC: g.quaternC,
    quaternD: g.quaternD,
    qoffsetX: g.qoffsetX,
    qoffsetY: g.qoffsetY,
    qoffsetZ: g.qoffsetZ,
    srowX: [...g.srowX],
    srowY: [...g.srowY],
    srowZ: [...g.srowZ],
    xyztUnits: g.xyztUnits
  }
}
