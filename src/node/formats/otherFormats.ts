/**
 * What a file Voxloop was asked to read as NIfTI is instead, when its first bytes or its name say
 * (the formats a radiologist's files come in), and what to do with it: so that "not a NIfTI file"
 * names the way forward rather than a header field. Only signatures and names: nothing is parsed.
 * (A folder's import reads NRRD itself: datasetDiscovery lists .nrrd and .nhdr as volumes.)
 */

const DICOM = 'it is a DICOM file. Voxloop reads DICOM by importing the folder of its series (voxloop import <folder> <project>, or Import in the app), which converts each series to a case'
const NRRD = "it is an NRRD file (3D Slicer's format): import its folder into a project (voxloop import <folder> <project>, or Import in the app), which reads NRRD volumes and segmentations, or save it as NIfTI (.nii.gz) in 3D Slicer for this command"
const META_IMAGE = 'it is a MetaImage (.mha/.mhd) file, which Voxloop does not read: convert it to NIfTI (.nii.gz), e.g. in 3D Slicer or ITK-SNAP'
const ZIP = 'it is a ZIP archive: unpack it first'
const picture = (kind: string): string => `it is ${kind} image: 2D pictures are imported as a folder (images/ with masks/ of the same names), e.g. voxloop import <folder> <project>`

function startsWith(bytes: Uint8Array, signature: readonly number[], at = 0): boolean {
  return bytes.length >= at + signature.length && signature.every((byte, n) => bytes[at + n] === byte)
}

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0))
}

/** By the first bytes of the file (at least 132 for DICOM's preamble); null when they say nothing known. */
export function otherFormat(bytes: Uint8Array): string | null {
  if (startsWith(bytes, ascii('DICM'), 128)) return DICOM
  if (startsWith(bytes, ascii('NRRD'))) return NRRD
  if (startsWith(bytes, ascii('ObjectType')) || startsWith(bytes, ascii('NDims'))) return META_IMAGE
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return picture('a PNG')
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return picture('a JPEG')
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return picture('a TIFF')
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return ZIP
  return null
}

/** By the file's name, for a folder's listing (nothing is read); null for other names. */
export function otherFormatByName(name: string): string | null {
  if (/\.(mha|mhd)$/i.test(name)) return META_IMAGE
  if (/\.zip$/i.test(name)) return ZIP
  return null
}
