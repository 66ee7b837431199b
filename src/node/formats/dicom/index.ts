/** DICOM series to NIfTI volumes with dcm2niix's WebAssembly build (docs/DICOM.md). */
export { findDicomFiles, dicomSignatureOf, NOT_DICOM_REASON, DICOMDIR_REASON, type DicomFileSearch } from './findDicomFiles'
export { convertDicomFiles, describeSeries, CONVERTER, NO_IMAGE_REASON, type ConvertedSeries, type DicomConversion, type ConvertDicomOptions } from './convertDicomFiles'
export { niftiFromBytes, niftiLayoutFromBytes } from './niftiFromBytes'
export { DCM2NIIX_VERSION, DCM2NIIX_PACKAGE, dcm2niixFiles } from './dcm2niixPackage'
export { endSpareDcm2niixWorker, keepDcm2niixWarm, prewarmDcm2niix } from './runDcm2niix'
export {
  readDicomFileHeader,
  readDicomFileHeaders,
  referencesForSeries,
  sliceGeometryForSeries,
  type SliceGeometry,
  DicomReferencesFileSchema,
  type DicomReferencesFile,
  type RecordedDicomReferences,
  type DicomSliceReference,
  type DicomHeaderScan
} from './dicomReferences'
export { encodeDicomSeg, rgbToDicomLab, newDicomUid, GENERIC_SEGMENT_CODE, SEGMENTATION_SOP_CLASS_UID, type DicomSegSegment } from './dicomSeg'
export { placeSourceSlices, voxelIndexOf, GRID_TOLERANCE, type SliceOnGrid, type LabelGrid } from './dicomSegGeometry'
export { checkSliceSpacing, evenOutSlices, describeEvenSlices, type SliceSpacing, type EvenSlices } from './evenSlices'
