/**
 * 2D images and masks (PNG, JPEG, TIFF) for the 2D dataset import, their class lists, and PNG
 * masks for export. Every failure is a VoxloopError whose message starts with the file's name.
 */
export { MAX_IMAGE_2D_SIDE, type Image2D, type Image2dFormat } from './common'
export { decodeImage2d, IMAGE_2D_NAME, readImage2d, sniffImage2dFormat } from './decode'
export { encodePngMask } from './png'
export { parseClassList, type ClassEntry } from './classList'
export { labelsFromMask, MAX_MASK_VALUES, type LabelsFromMaskOptions, type MaskLabels } from './maskLabels'
