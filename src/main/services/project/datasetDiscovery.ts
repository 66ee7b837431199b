import type { Dirent, Stats } from 'node:fs'
import { readFile, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import type { SkippedFile } from '../../../shared/project'
import { IMAGE_2D_NAME } from '../../../node/formats/image2d'
import { otherFormatByName } from '../../../node/formats/otherFormats'
import { MIXED_2D_REASON, plan2dImport, type Image2dPlanInfo } from './image2dDiscovery'
import { findLabelTableFiles, type LabelTableFile } from './importLabels'
import { parseMsdDescriptor, type MsdDescriptor } from './msdDescriptor'
import { isInside, isValidCaseId } from './projectPaths'

/**
 * Finds the cases in a folder to import, without reading any volume:
 * - an MSD / nnU-Net folder (dataset.json and/or imagesTr/, labelsTr/, imagesTs/), cases taken from
 *   dataset.json's lists when present, else from the folders; channels split over `<case>_0000`…
 *   files are grouped;
 * - a folder with images/ and labels/ holding files of the same names;
 * - a flat folder of NIfTI files, where `<case>_seg`, `_label(s)`, `_mask`, `_gt`, `_segmentation`
 *   (also with `-` or `.`) pair a label with image `<case>`.
 * In each layout, label-table files at the top level (importLabels.ts: `*.label`, `*.ctbl`, and
 * ITK-SNAP or Slicer `*.txt`) are listed in `labelTables`, not read here.
 * Everything else is listed as skipped with the reason.
 * A folder of 2D images (PNG, JPEG, TIFF) with masks is planned by image2dDiscovery.ts.
 */

export interface PlannedCase {
  caseId: string
  /** One file, or one per channel in channel order. */
  imageFiles: string[]
  labelFile: string | null
}

export interface ImportPlan {
  format: 'msd' | 'folder'
  cases: PlannedCase[]
  skipped: SkippedFile[]
  descriptor: MsdDescriptor | null
  /** Label-table files found at the top level of the folder (parsed by the import). */
  labelTables: LabelTableFile[]
  /** Set for a folder of 2D images: each becomes a one-slice case (importImage2d.ts). */
  images2d?: Image2dPlanInfo
}

const NOT_NIFTI = 'not a NIfTI or NRRD file (.nii, .nii.gz, .hdr/.img, .nrrd, .nhdr)'
/** The volume files a folder's import reads: NIfTI (single or pair) and NRRD (3D Slicer's; .nhdr with its data file). */
const NIFTI_NAME = /\.(nii\.gz|nii|hdr\.gz|hdr|nrrd|nhdr)$/i
const NHDR_DATA_NAME = /\.(raw|raw\.gz)$/i
const PAIR_DATA_NAME = /\.(img|img\.gz)$/i
export const LABEL_SUFFIX = /[-_.](seg|segmentation|label|labels|labelmap|mask|gt)$/i
const CHANNEL_SUFFIX = /_(\d{4})$/
const MSD_FOLDERS = ['imagesTr', 'labelsTr', 'imagesTs']

export function niftiStem(name: string): string | null {
  const match = NIFTI_NAME.exec(name)
  return match ? name.slice(0, -match[0].length) : null
}

/** A valid case id made from a file stem: unsafe characters become `_`; null if nothing is left. */
export function caseIdFromStem(stem: string): string | null {
  const cleaned = stem
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/\.{2,}/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128)
  return isValidCaseId(cleaned) ? cleaned : null
}

interface Listing {
  nifti: string[]
  dirs: string[]
  skipped: SkippedFile[]
}

/**
 * Why an entry that is neither a folder nor a regular file cannot be imported, or null. Reading a
 * named pipe blocks until some other program writes to it, so it must never reach the reader; a
 * symlink is judged by what it points to (stat, which opens nothing).
 */
export async function specialFileReason(dir: string, entry: Dirent): Promise<string | null> {
  const target: Dirent | Stats | null = entry.isSymbolicLink() ? await stat(path.join(dir, entry.name)).catch(() => null) : entry
  if (!target || target.isFile() || target.isDirectory()) return null
  const kind = target.isFIFO()
    ? 'a named pipe (FIFO)'
    : target.isSocket()
      ? 'a socket'
      : target.isCharacterDevice() || target.isBlockDevice()
        ? 'a device'
        : 'a special file'
  return `${kind}, not a regular file`
}

/** NIfTI files and sub-folders of `dir`; anything else is reported (the .img half of a pair is not). */
async function listFolder(dir: string, reportAs: (name: string) => string): Promise<Listing> {
  const listing: Listing = { nifti: [], dirs: [], skipped: [] }
  const entries = await readdir(dir, { withFileTypes: true })
  const names = new Set(entries.map((entry) => entry.name.toLowerCase()))
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const name = entry.name
    if (name === '.DS_Store' || name === 'Thumbs.db') continue
    if (entry.isDirectory()) {
      if (!name.startsWith('.')) listing.dirs.push(name)
      continue
    }
    const special = await specialFileReason(dir, entry)
    if (special) {
      listing.skipped.push({ file: reportAs(name), reason: special })
      continue
    }
    if (name.startsWith('._')) listing.skipped.push({ file: reportAs(name), reason: 'macOS resource-fork file (._*), not an image' })
    else if (name.startsWith('.')) listing.skipped.push({ file: reportAs(name), reason: 'hidden file' })
    else if (NIFTI_NAME.test(name)) listing.nifti.push(name)
    else if (PAIR_DATA_NAME.test(name) && names.has(name.replace(/\.img(\.gz)?$/i, '.hdr$1').toLowerCase())) continue
    // A .nhdr's data file (<stem>.raw or .raw.gz): read through its header.
    else if (NHDR_DATA_NAME.test(name) && names.has(name.replace(NHDR_DATA_NAME, '.nhdr').toLowerCase())) continue
    else {
      const other = otherFormatByName(name)
      listing.skipped.push({ file: reportAs(name), reason: other === null ? NOT_NIFTI : `not a NIfTI file: ${other}` })
    }
  }
  return listing
}

async function isDirectory(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null))?.isDirectory() ?? false
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null))?.isFile() ?? false
}

export async function planImport(sourceDir: string): Promise<ImportPlan> {
  const plan = await planLayout(sourceDir)
  // A 2D folder's class list (labels.txt) may also look like a label table; it is read as the class list only.
  const classFile = plan.images2d?.classFile
  plan.labelTables = (await findLabelTableFiles(sourceDir)).filter((table) => table.file !== classFile)
  // A table is used, not skipped: the flat and MSD listings reported it as "not a NIfTI file".
  const tables = new Set(plan.labelTables.map((table) => table.file))
  plan.skipped = plan.skipped.filter((entry) => !tables.has(entry.file))
  // 2D images beside NIfTI files: say why they are not imported rather than "not a NIfTI file".
  if (!plan.images2d) for (const entry of plan.skipped) if (IMAGE_2D_NAME.test(entry.file) && entry.reason === NOT_NIFTI) entry.reason = MIXED_2D_REASON
  return plan
}

async function planLayout(sourceDir: string): Promise<ImportPlan> {
  const images2d = await plan2dImport(sourceDir)
  if (images2d) return images2d
  const datasetJson = path.join(sourceDir, 'dataset.json')
  if ((await isFile(datasetJson)) || (await isDirectory(path.join(sourceDir, 'imagesTr')))) return planMsd(sourceDir)
  if (await isDirectory(path.join(sourceDir, 'images'))) return planImagesLabels(sourceDir)
  return planFlat(sourceDir)
}

// ---- flat folders ----------------------------------------------------------------------------

export function addCase(plan: ImportPlan, seen: Set<string>, stem: string, imageFiles: string[], labelFile: string | null): void {
  const caseId = caseIdFromStem(stem)
  const report = imageFiles[0] ?? stem
  if (!caseId) {
    plan.skipped.push({ file: report, reason: `cannot make a case id from the name "${stem}"` })
    if (labelFile) plan.skipped.push({ file: labelFile, reason: 'its image was skipped' })
    return
  }
  if (seen.has(caseId.toLowerCase())) {
    plan.skipped.push({ file: report, reason: `another file in this import also becomes case ${caseId}` })
    if (labelFile) plan.skipped.push({ file: labelFile, reason: 'its image was skipped' })
    return
  }
  seen.add(caseId.toLowerCase())
  plan.cases.push({ caseId, imageFiles, labelFile })
}

/**
 * A folder's volume files by name stem. Two files of one stem (x.nii beside x.nii.gz or x.nrrd)
 * would be one case: the first by name is kept and the other reported, never dropped in silence.
 */
function filesByStem(names: readonly string[], where: (name: string) => string, skipped: SkippedFile[]): Map<string, string> {
  const byStem = new Map<string, string>()
  for (const name of names) {
    const stem = niftiStem(name) ?? name
    const earlier = byStem.get(stem)
    if (earlier === undefined) byStem.set(stem, name)
    else skipped.push({ file: where(name), reason: `${earlier} has the same name before its extension, so both would be ${stem}: only ${earlier} is imported; rename or remove one` })
  }
  return byStem
}

async function planFlat(sourceDir: string): Promise<ImportPlan> {
  const listing = await listFolder(sourceDir, (name) => path.join(sourceDir, name))
  const plan: ImportPlan = { format: 'folder', cases: [], skipped: listing.skipped, descriptor: null, labelTables: [] }
  for (const dir of listing.dirs) plan.skipped.push({ file: path.join(sourceDir, dir), reason: 'sub-folder, not searched' })
  const byStem = filesByStem(listing.nifti, (name) => path.join(sourceDir, name), plan.skipped)
  const labelOf = new Map<string, string>()
  for (const [stem, name] of byStem) {
    const match = LABEL_SUFFIX.exec(stem)
    if (!match) continue
    const imageStem = stem.slice(0, -match[0].length)
    const first = labelOf.get(imageStem)
    // A label's label (x_seg.seg.nrrd beside x_seg.nii.gz) has no image: x_seg is not one.
    if (!byStem.has(imageStem) || LABEL_SUFFIX.test(imageStem)) plan.skipped.push({ file: path.join(sourceDir, name), reason: `looks like a label but there is no image named ${imageStem}` })
    else if (first !== undefined) plan.skipped.push({ file: path.join(sourceDir, name), reason: `a second label for ${imageStem}, whose label is ${first}; only that one is imported` })
    else labelOf.set(imageStem, name)
  }
  const seen = new Set<string>()
  for (const [stem, name] of byStem) {
    if (LABEL_SUFFIX.test(stem)) continue
    const label = labelOf.get(stem)
    addCase(plan, seen, stem, [path.join(sourceDir, name)], label ? path.join(sourceDir, label) : null)
  }
  return plan
}

async function planImagesLabels(sourceDir: string): Promise<ImportPlan> {
  const imagesDir = path.join(sourceDir, 'images')
  const labelsDir = path.join(sourceDir, 'labels')
  const images = await listFolder(imagesDir, (name) => path.join(imagesDir, name))
  const labels = (await isDirectory(labelsDir)) ? await listFolder(labelsDir, (name) => path.join(labelsDir, name)) : null
  const plan: ImportPlan = { format: 'folder', cases: [], skipped: [...images.skipped, ...(labels?.skipped ?? [])], descriptor: null, labelTables: [] }
  const labelByStem = filesByStem(labels?.nifti ?? [], (name) => path.join(labelsDir, name), plan.skipped)
  const seen = new Set<string>()
  for (const name of images.nifti) {
    const stem = niftiStem(name) ?? name
    const label = labelByStem.get(stem)
    labelByStem.delete(stem)
    addCase(plan, seen, stem, [path.join(imagesDir, name)], label ? path.join(labelsDir, label) : null)
  }
  for (const name of labelByStem.values()) plan.skipped.push({ file: path.join(labelsDir, name), reason: 'no image of the same name in images/' })
  return plan
}

// ---- MSD / nnU-Net -----------------------------------------------------------------------------

interface MsdContext {
  sourceDir: string
  plan: ImportPlan
  seen: Set<string>
  /** Files (absolute) used by some case, to report the rest of imagesTr/labelsTr/imagesTs. */
  used: Set<string>
  /** Folders listed file by file (their other entries were reported while scanning). */
  scanned: Set<string>
  channels: number
}

async function planMsd(sourceDir: string): Promise<ImportPlan> {
  const datasetJson = path.join(sourceDir, 'dataset.json')
  const descriptor = (await isFile(datasetJson)) ? parseMsdDescriptor(await readFile(datasetJson, 'utf8'), datasetJson) : null
  const plan: ImportPlan = { format: 'msd', cases: [], skipped: [], descriptor, labelTables: [] }
  const context: MsdContext = {
    sourceDir,
    plan,
    seen: new Set(),
    used: new Set(),
    scanned: new Set(),
    channels: descriptor?.channelNames.length ?? 1
  }
  const top = await listFolder(sourceDir, (name) => path.join(sourceDir, name))
  for (const entry of top.skipped) if (path.basename(entry.file) !== 'dataset.json') plan.skipped.push(entry)
  for (const name of top.nifti) plan.skipped.push({ file: path.join(sourceDir, name), reason: 'not inside imagesTr/ or imagesTs/' })
  for (const dir of top.dirs) {
    if (!MSD_FOLDERS.includes(dir)) plan.skipped.push({ file: path.join(sourceDir, dir), reason: 'sub-folder, not part of the dataset layout' })
  }
  if (descriptor?.training) await planListedTraining(context, descriptor.training)
  else await planScannedFolder(context, 'imagesTr', 'labelsTr')
  if (descriptor?.test) await planListedTest(context, descriptor.test)
  else await planScannedFolder(context, 'imagesTs', null)
  await reportUnused(context)
  return plan
}

/** A path from dataset.json, resolved and kept inside the dataset folder. */
function resolveListed(context: MsdContext, listed: string): string | null {
  const resolved = path.resolve(context.sourceDir, listed)
  if (!isInside(context.sourceDir, resolved)) {
    context.plan.skipped.push({ file: listed, reason: 'dataset.json points outside the dataset folder' })
    return null
  }
  return resolved
}

/** The image file itself, or its channel files `<stem>_0000.nii.gz`, … as nnU-Net lists them. */
async function imageFilesFor(context: MsdContext, imageFile: string): Promise<string[] | null> {
  if (await isFile(imageFile)) return [imageFile]
  const stem = niftiStem(path.basename(imageFile)) ?? path.basename(imageFile)
  const ending = imageFile.slice(path.dirname(imageFile).length + 1 + stem.length) || '.nii.gz'
  const channels: string[] = []
  for (let channel = 0; channel < Math.max(1, context.channels); channel++) {
    const candidate = path.join(path.dirname(imageFile), `${stem}_${String(channel).padStart(4, '0')}${ending}`)
    if (!(await isFile(candidate))) return null
    channels.push(candidate)
  }
  return channels
}

async function planListedTraining(context: MsdContext, training: { image: string; label: string }[]): Promise<void> {
  for (const entry of training) {
    const image = resolveListed(context, entry.image)
    const label = resolveListed(context, entry.label)
    if (!image) continue
    const imageFiles = await imageFilesFor(context, image)
    if (!imageFiles) {
      context.plan.skipped.push({ file: image, reason: 'listed in dataset.json but not found' })
      continue
    }
    let labelFile = label
    if (label && !(await isFile(label))) {
      context.plan.skipped.push({ file: label, reason: 'listed in dataset.json but not found; image imported without label' })
      labelFile = null
    }
    imageFiles.forEach((file) => context.used.add(file))
    if (labelFile) context.used.add(labelFile)
    addCase(context.plan, context.seen, niftiStem(path.basename(image)) ?? path.basename(image), imageFiles, labelFile)
  }
}

async function planListedTest(context: MsdContext, test: string[]): Promise<void> {
  for (const listed of test) {
    const image = resolveListed(context, listed)
    if (!image) continue
    const imageFiles = await imageFilesFor(context, image)
    if (!imageFiles) {
      context.plan.skipped.push({ file: image, reason: 'listed in dataset.json but not found' })
      continue
    }
    imageFiles.forEach((file) => context.used.add(file))
    addCase(context.plan, context.seen, niftiStem(path.basename(image)) ?? path.basename(image), imageFiles, null)
  }
}

/** Groups `<case>_0000`… channel files when the dataset uses them, else one file per case. */
function groupChannels(names: string[], channels: number): Map<string, string[]> {
  const stems = names.map((name) => niftiStem(name) ?? name)
  const allSuffixed = stems.length > 0 && stems.every((stem) => CHANNEL_SUFFIX.test(stem))
  const groups = new Map<string, string[]>()
  names.forEach((name, n) => {
    const stem = stems[n] ?? name
    const caseStem = allSuffixed || channels > 1 ? stem.replace(CHANNEL_SUFFIX, '') : stem
    groups.set(caseStem, [...(groups.get(caseStem) ?? []), name])
  })
  for (const files of groups.values()) files.sort()
  return groups
}

async function planScannedFolder(context: MsdContext, imagesName: string, labelsName: string | null): Promise<void> {
  const imagesDir = path.join(context.sourceDir, imagesName)
  if (!(await isDirectory(imagesDir))) return
  context.scanned.add(imagesName)
  if (labelsName) context.scanned.add(labelsName)
  const images = await listFolder(imagesDir, (name) => path.join(imagesDir, name))
  context.plan.skipped.push(...images.skipped)
  const labelsDir = labelsName ? path.join(context.sourceDir, labelsName) : null
  const labels = labelsDir && (await isDirectory(labelsDir)) ? await listFolder(labelsDir, (name) => path.join(labelsDir, name)) : null
  if (labels) context.plan.skipped.push(...labels.skipped)
  const labelByStem = filesByStem(labels?.nifti ?? [], (name) => path.join(labelsDir ?? '', name), context.plan.skipped)
  const imageNames = [...filesByStem(images.nifti, (name) => path.join(imagesDir, name), context.plan.skipped).values()]
  // The files of a stem that is taken were reported just now; reportUnused must not report them again.
  const keptImages = new Set(imageNames)
  const keptLabels = new Set(labelByStem.values())
  for (const name of images.nifti) if (!keptImages.has(name)) context.used.add(path.join(imagesDir, name))
  if (labelsDir) for (const name of labels?.nifti ?? []) if (!keptLabels.has(name)) context.used.add(path.join(labelsDir, name))
  for (const [caseStem, files] of groupChannels(imageNames, context.channels)) {
    const imageFiles = files.map((name) => path.join(imagesDir, name))
    const label = labelByStem.get(caseStem)
    const labelFile = label && labelsDir ? path.join(labelsDir, label) : null
    imageFiles.forEach((file) => context.used.add(file))
    if (labelFile) context.used.add(labelFile)
    addCase(context.plan, context.seen, caseStem, imageFiles, labelFile)
  }
}

async function reportUnused(context: MsdContext): Promise<void> {
  for (const folder of MSD_FOLDERS) {
    const dir = path.join(context.sourceDir, folder)
    if (!(await isDirectory(dir))) continue
    const listing = await listFolder(dir, (name) => path.join(dir, name))
    if (!context.scanned.has(folder)) context.plan.skipped.push(...listing.skipped)
    for (const name of listing.nifti) {
      const file = path.join(dir, name)
      if (!context.used.has(file)) context.plan.skipped.push({ file, reason: 'not listed in dataset.json' })
    }
  }
}
