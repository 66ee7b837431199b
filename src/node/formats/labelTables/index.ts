/**
 * Label tables that travel with label maps: ITK-SNAP label descriptions, 3D Slicer colour tables
 * and the Caret XML table of NIfTI header extensions. Each reader yields the project's LabelDef
 * (ids 1..65535, background skipped) or throws a VoxloopError naming the file and the problem.
 */
export { formatItkSnapLabels, looksLikeItkSnapLabels, parseItkSnapLabels } from './itkSnap'
export { formatSlicerColorTable, looksLikeSlicerColorTable, parseSlicerColorTable } from './slicer'
export {
  caretLabelsFromExtensions,
  formatCaretLabelTable,
  isCaretExtension,
  NIFTI_ECODE_CARET,
  parseCaretLabelTable,
  type HeaderExtension
} from './caretXml'
