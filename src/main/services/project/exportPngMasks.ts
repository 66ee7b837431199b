import { mkdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { PNG } from 'pngjs'
import { encodePngMask } from '../../../node/formats/image2d'
import { writeFileAtomic } from '../../../node/storage/durableWrite'
import { VoxloopError } from '../../../shared/errors'
import type { CaseSummary, ExportReport, Image2dSource, LabelDef, MaskEncoding } from '../../../shared/project'
import type { LabelArray } from '../../../shared/volume'
import { isInside } from './projectPaths'
import type { ProjectStore } from './ProjectStore'

/**
 * `png-masks` export: for each one-slice case with a label, `<image stem>.png` of the image's width
 * × height, named after the 2D image it was imported from (cases.json `image2d.file`; the case id
 * for a case without one) and encoded like the mask it came with, so that the folder can replace
 * the dataset's masks/:
 * - 'binary-255': 0 and 255 (a label with values above 1, painted since, is written as ids);
 * - 'colours': RGB, each id in the colour the source mask used for it (ids it did not use: the
 *   project's label colour; background without a stated colour: black);
 * - 'ids' (and cases imported without a mask, unless the project's other 2D cases agree on one
 *   encoding): the label id, 8-bit, or 16-bit when an id is above 255.
 * Row 0 of the PNG is voxel row j = 0: the import stored row 0 of the file there (importImage2d.ts).
 * Cases with more than one slice are skipped with the reason, naming the case.
 */

export interface ExportPngMasksOptions {
  caseIds?: string[]
  /** Replace files already in the destination. Default false: they are reported as skipped. */
  overwrite?: boolean
}

export async function exportPngMasks(store: ProjectStore, destDir: string, options: ExportPngMasksOptions = {}): Promise<ExportReport> {
  const destination = path.resolve(destDir)
  if (destination === store.root || isInside(store.root, destination) || isInside(destination, store.root)) {
    throw new VoxloopError('INVALID_ARGUMENT', `${destination}: export to a folder outside the project`)
  }
  await mkdir(destination, { recursive: true })
  const report: ExportReport = { destination, files: [], skipped: [] }
  const summaries = options.caseIds ? options.caseIds.map((caseId) => store.getCase(caseId)) : store.listCases()
  const fallback = projectEncoding(store)
  const names = new Map<string, string>()
  for (const summary of summaries) {
    if (!summary.hasLabel && !summary.hasUnsavedEdits) {
      report.skipped.push({ file: summary.id, reason: 'no label yet' })
      continue
    }
    const [width, height, slices] = summary.dims
    if (slices !== 1) {
      report.skipped.push({
        file: summary.id,
        reason: `case ${summary.id} has ${slices} slices; a PNG mask holds one slice: export it as nifti or seg-nrrd`
      })
      continue
    }
    const source = store.getImage2dSource(summary.id)
    const name = maskFileName(summary, source)
    const other = names.get(name.toLowerCase())
    if (other !== undefined) {
      report.skipped.push({ file: summary.id, reason: `its mask would be named ${name}, like case ${other}'s` })
      continue
    }
    names.set(name.toLowerCase(), summary.id)
    const target = path.join(destination, name)
    if (!(options.overwrite ?? false) && (await stat(target).catch(() => null)) !== null) {
      report.skipped.push({ file: name, reason: 'already in the destination; not overwritten' })
      continue
    }
    const label = await store.loadLabel(summary.id)
    const bytes = encodeMask(label.data, width, height, source, fallback, store.getManifest().labels)
    await writeFileAtomic(target, bytes)
    report.files.push(name)
  }
  return report
}

/** `<image stem>.png`, or `<case>.png` for a case not imported from a 2D image. */
export function maskFileName(summary: Pick<CaseSummary, 'id'>, source: Image2dSource | null): string {
  if (!source) return `${summary.id}.png`
  const stem = source.file.replace(/\.(png|jpe?g|tiff?)$/i, '')
  return `${stem}.png`
}

/** The encoding the project's imported masks share, for cases imported without one; null when they differ or there are none. */
function projectEncoding(store: ProjectStore): MaskEncoding | null {
  const encodings = new Set<MaskEncoding>()
  for (const summary of store.listCases()) {
    const encoding = store.getImage2dSource(summary.id)?.maskEncoding
    if (encoding) encodings.add(encoding)
  }
  const [only] = encodings
  return encodings.size === 1 && only ? only : null
}

function maxValue(labels: LabelArray): number {
  let max = 0
  for (const value of labels) if (value > max) max = value
  return max
}

export function encodeMask(
  labels: LabelArray,
  width: number,
  height: number,
  source: Image2dSource | null,
  fallback: MaskEncoding | null,
  projectLabels: readonly LabelDef[]
): Uint8Array {
  const encoding = source?.maskEncoding ?? fallback ?? 'ids'
  if (encoding === 'colours') return encodeColourMask(labels, width, height, source?.maskColours ?? [], projectLabels)
  if (encoding === 'binary-255' && maxValue(labels) <= 1) return encodePngMask(labels, width, height, 'binary-255')
  return encodePngMask(labels, width, height, 'ids')
}

function rgbOfHex(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.slice(1), 16)
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255]
}

/** An 8-bit RGB PNG, each label id in its source colour (see the file comment). */
function encodeColourMask(
  labels: LabelArray,
  width: number,
  height: number,
  colours: NonNullable<Image2dSource['maskColours']>,
  projectLabels: readonly LabelDef[]
): Uint8Array {
  const lookup = new Map<number, [number, number, number]>()
  for (const label of projectLabels) lookup.set(label.id, rgbOfHex(label.color))
  lookup.set(0, [0, 0, 0])
  for (const entry of colours) lookup.set(entry.id, entry.color)
  const png = new PNG({ width, height, colorType: 2, inputColorType: 6, inputHasAlpha: true })
  const data = png.data
  for (let n = 0; n < width * height; n++) {
    const id = labels[n] ?? 0
    const colour = lookup.get(id)
    if (!colour) throw new VoxloopError('INVALID_ARGUMENT', `label value ${id} has no colour: it is not in the project's label table`)
    data[n * 4] = colour[0]
    data[n * 4 + 1] = colour[1]
    data[n * 4 + 2] = colour[2]
    data[n * 4 + 3] = 255
  }
  return new Uint8Array(PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true }))
}
