/** NIfTI-1/2 reading and label writing for the volumes service, the CLI and export. */
export { readNifti, readNiftiHeader, readNiftiLayout, type ReadNiftiOptions } from './readNifti'
export { readLabelNifti, labelVolumeFromVolume, labelArrayFromVoxels } from './readLabelNifti'
export { writeLabelNifti, encodeLabelNifti, VOXLOOP_LABEL_DESCRIPTION } from './writeLabelNifti'
export { assertSameGrid, maxCornerDisplacementMm, type SameGridOptions } from './assertSameGrid'
export { describeVolume, MAX_LABEL_VALUES, type VolumeDescription } from './describeVolume'
export { MAX_DIM, MAX_VOXEL_BYTES, defaultMaxVoxelBytes } from './niftiHeaderValidation'
export {
  checkNiftiExtensions,
  readNiftiExtensions,
  MAX_EXTENSION_CONTENT_BYTES,
  type ExtensionCheck,
  type NiftiExtension
} from './niftiExtensions'
export { copyNiftiGz } from './copyNiftiGz'
