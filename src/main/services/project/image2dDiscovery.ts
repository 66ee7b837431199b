import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import type { Modality, SkippedFile } from '../../../shared/project'
import { IMAGE_2D_NAME, parseClassList, type ClassEntry } from '../../../node/formats/image2d'
import { addCase, LABEL_SUFFIX, niftiStem, specialFileReason, type ImportPlan } from './datasetDiscovery'
import { parseMsdDescriptor } from './msdDescriptor'

/**
 * Finds the cases of a folder of 2D images (PNG, JPEG, TIFF) and their masks, without decoding any:
 * - `images/` with masks of the same stem in `masks/` (else `labels/`, else `mask/`); a mask named
 *   `<stem>_mask.png` (any suffix the NIfTI discovery accepts) also matches image `<stem>`;
 * - a flat folder where `<stem>_mask.<ext>` (or `_seg`, `_label`, `_gt`, …) pairs with `<stem>.<ext>`.
 * Image and mask may have different extensions (a JPEG photo with a PNG mask). Images without a mask
 * import unlabelled; masks without an image are skipped with the reason.
 * A class list at the top level (classes.json, classes.txt, labels.json, labels.txt, else an
 * MSD-style dataset.json's "labels") names the labels and maps colour masks to ids.
 *
 * - an nnU-Net v2 2D dataset: `imagesTr/<case>_0000.png` (+ `_0001`… channels), `labelsTr/<case>.png`,
 *   `imagesTs/`, and a dataset.json whose "file_ending" is a 2D image's (".png"); without "file_ending",
 *   an imagesTr/ holding 2D images and no NIfTI file. Labels are the dataset.json's "labels".
 *
 * A folder (or its images/) holding both NIfTI files and 2D images is a NIfTI folder: a 2D image
 * becomes a one-slice case and a NIfTI a volume, and one project's cases are trained as one kind,
 * so the 2D images are listed as skipped with MIXED_2D_REASON (import them from a folder of their
 * own into another project). NIfTI wins rather than the import being refused because datasets of
 * volumes often carry a preview picture or a figure, which used to be skipped and still is.
 */

/** Why a 2D image beside NIfTI files is not imported (datasetDiscovery.ts reports it). */
export const MIXED_2D_REASON =
  'a 2D image beside NIfTI files: this folder is imported as NIfTI volumes; import 2D images from a folder of their own (into a separate project)'

/** What the import needs beyond the cases: the class list, and what dataset.json says of the modality. */
export interface Image2dPlanInfo {
  classes: ClassEntry[] | null
  /** The file the class list came from, or null. */
  classFile: string | null
  /** dataset.json's modality when it names its channels (MSD `modality` / nnU-Net `channel_names`); else null. */
  statedModality: { modality: Modality; channelNames: string[] } | null
  /**
   * 'images-masks': images/ with masks/ (or labels/, mask/); 'flat': image files at the top level;
   * 'nnunet': nnU-Net v2's imagesTr/ (channel files `<case>_0000.png`…), labelsTr/, imagesTs/.
   */
  layout: 'images-masks' | 'flat' | 'nnunet'
}

/**
 * Whether a 2D plan may be a DICOM folder with a few pictures in it (JPEG thumbnails, PNG
 * screenshots beside the series): image files at the top level beside files that are not images.
 * The import then looks for DICOM files first (importDataset.ts, folderContents.ts) and, finding
 * some, imports the DICOM series and lists the pictures as skipped, as before 2D import existed.
 */
export function mayBeDicomFolder(plan: ImportPlan): boolean {
  return plan.images2d?.layout === 'flat' && plan.skipped.length > 0
}

export const MASK_FOLDERS = ['masks', 'labels', 'mask'] as const
export const CLASS_LIST_FILES = ['classes.json', 'classes.txt', 'labels.json', 'labels.txt'] as const
const DATASET_JSON = 'dataset.json'
const NOT_AN_IMAGE = 'not a 2D image (.png, .jpg, .jpeg, .tif, .tiff)'

/** The name without its image extension. */
export function image2dStem(name: string): string | null {
  const match = IMAGE_2D_NAME.exec(name)
  return match ? name.slice(0, -match[0].length) : null
}

interface Listing2d {
  images: string[]
  nifti: string[]
  /** Regular files that are neither (their names). */
  others: string[]
  dirs: string[]
  skipped: SkippedFile[]
}

async function list2d(dir: string): Promise<Listing2d> {
  const listing: Listing2d = { images: [], nifti: [], others: [], dirs: [], skipped: [] }
  const entries = await readdir(dir, { withFileTypes: true })
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const name = entry.name
    const file = path.join(dir, name)
    if (name === '.DS_Store' || name === 'Thumbs.db') continue
    if (entry.isDirectory()) {
      if (!name.startsWith('.')) listing.dirs.push(name)
      continue
    }
    const special = await specialFileReason(dir, entry)
    if (special) listing.skipped.push({ file, reason: special })
    else if (name.startsWith('._')) listing.skipped.push({ file, reason: 'macOS resource-fork file (._*), not an image' })
    else if (name.startsWith('.')) listing.skipped.push({ file, reason: 'hidden file' })
    else if (IMAGE_2D_NAME.test(name)) listing.images.push(name)
    else if (niftiStem(name) !== null) listing.nifti.push(name)
    else listing.others.push(name)
  }
  return listing
}

/**
 * The import plan of a 2D image folder, or null when `sourceDir` is not one: no 2D image in images/
 * (or, without images/, at the top level), NIfTI files beside them (see the file comment), or an
 * MSD imagesTr/ folder. Throws when the class list cannot be read.
 */
export async function plan2dImport(sourceDir: string): Promise<ImportPlan | null> {
  const top = await list2d(sourceDir)
  if (top.dirs.includes('imagesTr')) return planNnunet2d(sourceDir, top)
  const imagesDir = path.join(sourceDir, 'images')
  if (top.dirs.includes('images')) {
    const images = await list2d(imagesDir)
    if (images.images.length === 0 || images.nifti.length > 0) return null
    const plan = emptyPlan(await readClassList(sourceDir, top), 'images-masks')
    await planImagesMasks(plan, sourceDir, top, images)
    return plan
  }
  if (top.images.length === 0 || top.nifti.length > 0) return null
  const plan = emptyPlan(await readClassList(sourceDir, top), 'flat')
  planFlat(plan, sourceDir, top)
  return plan
}

function emptyPlan(info: Omit<Image2dPlanInfo, 'layout'>, layout: Image2dPlanInfo['layout']): ImportPlan {
  return { format: 'folder', cases: [], skipped: [], descriptor: null, labelTables: [], images2d: { ...info, layout } }
}

// ---- nnU-Net v2 2D datasets --------------------------------------------------------------------

const NNUNET_FOLDERS = ['imagesTr', 'labelsTr', 'imagesTs'] as const
const CHANNEL_SUFFIX = /_(\d{4})$/

/** dataset.json's "file_ending" (".png", ".nii.gz", …), or null when absent or unreadable (the MSD planner reports the latter). */
function fileEndingOf(datasetText: string | null): string | null {
  if (datasetText === null) return null
  try {
    const json: unknown = JSON.parse(datasetText)
    if (typeof json !== 'object' || json === null || !('file_ending' in json)) return null
    return typeof json.file_ending === 'string' ? json.file_ending : null
  } catch {
    return null
  }
}

/**
 * An nnU-Net v2 dataset of 2D images, planned as the other 2D layouts are (one-slice cases, labels
 * from dataset.json), or null when it is a NIfTI dataset: its "file_ending" is not a 2D image's, or,
 * without one, imagesTr/ holds NIfTI files or no 2D image. A case's channel files `<case>_0000.png`,
 * `_0001`, … become its channels (read2dCase stacks them); its label is `labelsTr/<case>.png`.
 * Files of another ending inside the three folders are skipped with the reason.
 */
async function planNnunet2d(sourceDir: string, top: Listing2d): Promise<ImportPlan | null> {
  const datasetJson = top.others.find((name) => name.toLowerCase() === DATASET_JSON)
  const datasetFile = datasetJson ? path.join(sourceDir, datasetJson) : null
  const datasetText = datasetFile ? await readFile(datasetFile, 'utf8') : null
  const ending = fileEndingOf(datasetText)
  const imagesTr = await list2d(path.join(sourceDir, 'imagesTr'))
  if (ending !== null ? !IMAGE_2D_NAME.test(`x${ending}`) : imagesTr.images.length === 0 || imagesTr.nifti.length > 0) return null
  const plan = emptyPlan(await readClassList(sourceDir, top), 'nnunet')
  plan.format = 'msd'
  // The descriptor gives a new project dataset.json's channel names, as for a NIfTI nnU-Net dataset;
  // one that names none would make every case one channel, refusing RGB pictures, so it is not kept.
  const descriptor = datasetFile && datasetText !== null ? parseMsdDescriptor(datasetText, datasetFile) : null
  plan.descriptor = descriptor?.modalityStated ? descriptor : null
  reportTop(plan, sourceDir, top, NNUNET_FOLDERS, 'not inside imagesTr/, labelsTr/ or imagesTs/')
  const hasEnding = (name: string): boolean => (ending === null ? IMAGE_2D_NAME.test(name) : name.toLowerCase().endsWith(ending.toLowerCase()))
  const notOurs = ending === null ? NOT_AN_IMAGE : `not a ${ending} file (dataset.json's file_ending)`
  const listings = new Map<string, Listing2d>([['imagesTr', imagesTr]])
  for (const folder of ['labelsTr', 'imagesTs'] as const) {
    if (top.dirs.includes(folder)) listings.set(folder, await list2d(path.join(sourceDir, folder)))
  }
  const files = new Map<string, string[]>()
  for (const [folder, listing] of listings) {
    const dir = path.join(sourceDir, folder)
    plan.skipped.push(...listing.skipped)
    for (const name of listing.dirs) plan.skipped.push({ file: path.join(dir, name), reason: 'sub-folder, not searched' })
    const mine: string[] = []
    for (const name of [...listing.images, ...listing.nifti, ...listing.others]) {
      if (hasEnding(name)) mine.push(name)
      else plan.skipped.push({ file: path.join(dir, name), reason: notOurs })
    }
    files.set(folder, mine)
  }
  const stemOf = (name: string): string => (ending === null ? (image2dStem(name) ?? name) : name.slice(0, -ending.length))
  const labelByCase = new Map((files.get('labelsTr') ?? []).map((name) => [stemOf(name), name]))
  const seen = new Set<string>()
  for (const folder of ['imagesTr', 'imagesTs'] as const) {
    const dir = path.join(sourceDir, folder)
    for (const [caseStem, channelFiles] of groupChannelFiles(plan, dir, files.get(folder) ?? [], stemOf)) {
      const label = folder === 'imagesTr' ? labelByCase.get(caseStem) : undefined
      if (label !== undefined) labelByCase.delete(caseStem)
      addCase(plan, seen, caseStem, channelFiles, label !== undefined ? path.join(sourceDir, 'labelsTr', label) : null)
    }
  }
  for (const name of labelByCase.values()) plan.skipped.push({ file: path.join(sourceDir, 'labelsTr', name), reason: 'no image of this case in imagesTr/' })
  return plan
}

/**
 * `<case>_0000.png`, `<case>_0001.png`, … grouped by case, in channel order. nnU-Net names every image
 * file with its channel; a file without the suffix, or a case whose channels do not run 0000, 0001, …
 * without a gap, is skipped with the reason (a missing channel would shift the others).
 */
function groupChannelFiles(plan: ImportPlan, dir: string, names: readonly string[], stemOf: (name: string) => string): Map<string, string[]> {
  const byCase = new Map<string, { channel: number; name: string }[]>()
  for (const name of names) {
    const stem = stemOf(name)
    const match = CHANNEL_SUFFIX.exec(stem)
    if (!match) {
      plan.skipped.push({ file: path.join(dir, name), reason: 'not named <case>_0000 (nnU-Net names each image file with its channel)' })
      continue
    }
    const caseStem = stem.slice(0, -match[0].length)
    byCase.set(caseStem, [...(byCase.get(caseStem) ?? []), { channel: Number(match[1]), name }])
  }
  const groups = new Map<string, string[]>()
  for (const [caseStem, channels] of byCase) {
    channels.sort((a, b) => a.channel - b.channel)
    if (channels.some((entry, index) => entry.channel !== index)) {
      const found = channels.map((entry) => String(entry.channel).padStart(4, '0')).join(', ')
      for (const entry of channels) plan.skipped.push({ file: path.join(dir, entry.name), reason: `case ${caseStem}: channels ${found} do not run 0000, 0001, … without a gap` })
      continue
    }
    groups.set(caseStem, channels.map((entry) => path.join(dir, entry.name)))
  }
  return groups
}

/** Top-level files that are part of the dataset (class list, dataset.json) rather than skipped. */
function usedTopFiles(plan: ImportPlan): Set<string> {
  const used = new Set<string>([DATASET_JSON])
  const classFile = plan.images2d?.classFile
  if (classFile) used.add(path.basename(classFile))
  return used
}

/** Reports the top level's other files; sub-folders are reported unless `keepDirs` names them. */
function reportTop(plan: ImportPlan, sourceDir: string, top: Listing2d, keepDirs: readonly string[], reason: string): void {
  const used = usedTopFiles(plan)
  plan.skipped.push(...top.skipped)
  for (const name of top.others) {
    if (!used.has(name)) plan.skipped.push({ file: path.join(sourceDir, name), reason })
  }
  for (const name of top.nifti) plan.skipped.push({ file: path.join(sourceDir, name), reason })
  for (const dir of top.dirs) {
    if (!keepDirs.includes(dir)) plan.skipped.push({ file: path.join(sourceDir, dir), reason: 'sub-folder, not part of the dataset layout' })
  }
}

async function planImagesMasks(plan: ImportPlan, sourceDir: string, top: Listing2d, images: Listing2d): Promise<void> {
  const imagesDir = path.join(sourceDir, 'images')
  const maskFolder = MASK_FOLDERS.find((name) => top.dirs.includes(name)) ?? null
  const masksDir = maskFolder ? path.join(sourceDir, maskFolder) : null
  const masks = masksDir ? await list2d(masksDir) : null
  reportTop(plan, sourceDir, top, ['images', ...(maskFolder ? [maskFolder] : [])], 'not part of the images/ + masks/ layout')
  for (const listing of [images, ...(masks ? [masks] : [])]) {
    const dir = listing === images ? imagesDir : (masksDir ?? imagesDir)
    plan.skipped.push(...listing.skipped)
    for (const name of [...listing.others, ...listing.nifti]) plan.skipped.push({ file: path.join(dir, name), reason: NOT_AN_IMAGE })
    for (const name of listing.dirs) plan.skipped.push({ file: path.join(dir, name), reason: 'sub-folder, not searched' })
  }
  // A mask is found by the image's stem, or by the stem with a label suffix (`<stem>_mask.png`).
  const maskByStem = new Map<string, string>()
  const suffixed = new Map<string, string>()
  for (const name of masks?.images ?? []) {
    const stem = image2dStem(name) ?? name
    if (!maskByStem.has(stem)) maskByStem.set(stem, name)
    else plan.skipped.push({ file: path.join(masksDir ?? '', name), reason: `another mask (${maskByStem.get(stem) ?? ''}) has the same name` })
    const match = LABEL_SUFFIX.exec(stem)
    if (match) suffixed.set(stem.slice(0, -match[0].length), name)
  }
  const used = new Set<string>()
  const seen = new Set<string>()
  for (const name of images.images) {
    const stem = image2dStem(name) ?? name
    const mask = maskByStem.get(stem) ?? suffixed.get(stem) ?? null
    if (mask && !used.has(mask)) used.add(mask)
    const maskFile = mask && masksDir ? path.join(masksDir, mask) : null
    addCase(plan, seen, stem, [path.join(imagesDir, name)], maskFile)
  }
  for (const name of masks?.images ?? []) {
    if (used.has(name) || !masksDir) continue
    const stem = image2dStem(name) ?? name
    if (maskByStem.get(stem) !== name) continue
    plan.skipped.push({ file: path.join(masksDir, name), reason: `no image of the same name in images/` })
  }
}

function planFlat(plan: ImportPlan, sourceDir: string, top: Listing2d): void {
  reportTop(plan, sourceDir, top, [], 'not a 2D image (.png, .jpg, .jpeg, .tif, .tiff)')
  const imageByStem = new Map<string, string>()
  const maskNames: { name: string; imageStem: string }[] = []
  for (const name of top.images) {
    const stem = image2dStem(name) ?? name
    const match = LABEL_SUFFIX.exec(stem)
    if (match) maskNames.push({ name, imageStem: stem.slice(0, -match[0].length) })
    else if (imageByStem.has(stem)) plan.skipped.push({ file: path.join(sourceDir, name), reason: `another image (${imageByStem.get(stem) ?? ''}) has the same name` })
    else imageByStem.set(stem, name)
  }
  const maskOf = new Map<string, string>()
  for (const { name, imageStem } of maskNames) {
    if (imageByStem.has(imageStem) && !maskOf.has(imageStem)) maskOf.set(imageStem, name)
    else if (imageByStem.has(imageStem)) plan.skipped.push({ file: path.join(sourceDir, name), reason: `image ${imageStem} already has a mask (${maskOf.get(imageStem) ?? ''})` })
    else plan.skipped.push({ file: path.join(sourceDir, name), reason: `looks like a mask but there is no image named ${imageStem}` })
  }
  const seen = new Set<string>()
  for (const [stem, name] of imageByStem) {
    const mask = maskOf.get(stem)
    addCase(plan, seen, stem, [path.join(sourceDir, name)], mask ? path.join(sourceDir, mask) : null)
  }
}

/**
 * The top level's class list: the first of CLASS_LIST_FILES present, else dataset.json's "labels".
 * A class list that cannot be parsed stops the import (parseClassList names the file and the
 * problem): importing colour masks without it would give every colour a wrong id.
 */
async function readClassList(sourceDir: string, top: Listing2d): Promise<Omit<Image2dPlanInfo, 'layout'>> {
  const present = new Map(top.others.map((name) => [name.toLowerCase(), name]))
  const datasetJson = present.get(DATASET_JSON)
  let statedModality: Image2dPlanInfo['statedModality'] = null
  let datasetText: string | null = null
  if (datasetJson) {
    const file = path.join(sourceDir, datasetJson)
    datasetText = await readFile(file, 'utf8')
    const descriptor = parseMsdDescriptor(datasetText, file)
    if (descriptor.modalityStated) statedModality = { modality: descriptor.modality, channelNames: descriptor.channelNames }
  }
  for (const candidate of CLASS_LIST_FILES) {
    const name = present.get(candidate)
    if (!name) continue
    const file = path.join(sourceDir, name)
    return { classes: parseClassList(await readFile(file, 'utf8'), file), classFile: file, statedModality }
  }
  if (datasetJson && datasetText !== null && hasLabels(datasetText)) {
    const file = path.join(sourceDir, datasetJson)
    return { classes: parseClassList(datasetText, file), classFile: file, statedModality }
  }
  return { classes: null, classFile: null, statedModality }
}

function hasLabels(datasetText: string): boolean {
  try {
    const json: unknown = JSON.parse(datasetText)
    return typeof json === 'object' && json !== null && 'labels' in json
  } catch {
    return false
  }
}
