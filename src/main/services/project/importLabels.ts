import { open, readFile, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import { defaultLabelColor, type LabelConflictRule, type LabelDef } from '../../../shared/project'
import {
  caretLabelsFromExtensions,
  looksLikeItkSnapLabels,
  looksLikeSlicerColorTable,
  parseItkSnapLabels,
  parseSlicerColorTable
} from '../../../node/formats/labelTables'
import { readNiftiExtensions, type ReadNiftiOptions } from '../../../node/formats/nifti'

/**
 * Where an import's label names and colours come from, and what happens when the sources
 * disagree. Sources, in order: the project's own table, dataset.json (names only), label-table
 * files in the imported folder (found by findLabelTableFiles) and the Caret table in the header
 * extension of each label NIfTI read. Every source may name any id; a voxel value no source names
 * becomes "Label N". Two sources that give one id different names, or one name to different ids,
 * are refused with both sources, the id and the names: a label map means what its table says, and
 * picking one silently would mislabel every voxel of the other (TotalSegmentator's CT and MR
 * maps share ids for different organs). Names are compared ignoring case, and `_` and spaces
 * alike ("kidney_right" = "Kidney right"), since Slicer writes spaces as underscores. A project
 * label still called "Label N" (what an earlier import gave an unnamed value) is no name: the
 * first source that names N renames it.
 */

/**
 * `refuse` (default): a source that disagrees with the project's table stops the import.
 * `keep-project`: where a source disagrees with the project's table (another name for one of its
 * ids, or one of its names for another id), the project's table stands and that entry of the
 * source is ignored. Disagreements between the sources of one import are refused either way.
 */
export type { LabelConflictRule }

export type LabelTableFormat = 'itk-snap' | 'slicer'

export interface LabelTableFile {
  file: string
  format: LabelTableFormat
}

/** Label-table files are small; a bigger file with such a name is not read as one. */
const MAX_TABLE_BYTES = 8 << 20
/** What `.txt` sniffing reads: the header lines that identify the format. */
const SNIFF_BYTES = 4096
const TABLE_NAME = /\.(label|ctbl|txt)$/i

/**
 * Label-table files at the top level of `sourceDir` (sub-folders are not searched): `*.label`
 * (ITK-SNAP), `*.ctbl` (Slicer), and `*.txt` whose first line says which it is (ITK-SNAP's
 * "# ITK-SnAP Label Description File" header, Slicer's "# Color table file"); other `.txt` files
 * are not tables. Hidden files and anything but regular files (or links to them) are left out.
 */
export async function findLabelTableFiles(sourceDir: string): Promise<LabelTableFile[]> {
  const tables: LabelTableFile[] = []
  const names = (await readdir(sourceDir)).filter((name) => TABLE_NAME.test(name) && !name.startsWith('.')).sort()
  for (const name of names) {
    const file = path.join(sourceDir, name)
    const info = await stat(file).catch(() => null)
    if (!info?.isFile()) continue
    const lower = name.toLowerCase()
    if (lower.endsWith('.label')) tables.push({ file, format: 'itk-snap' })
    else if (lower.endsWith('.ctbl')) tables.push({ file, format: 'slicer' })
    else if (info.size <= MAX_TABLE_BYTES) {
      const head = await readHead(file)
      if (looksLikeItkSnapLabels(head)) tables.push({ file, format: 'itk-snap' })
      else if (looksLikeSlicerColorTable(head)) tables.push({ file, format: 'slicer' })
    }
  }
  return tables
}

async function readHead(file: string): Promise<string> {
  const handle = await open(file, 'r')
  try {
    const bytes = new Uint8Array(SNIFF_BYTES)
    const { bytesRead } = await handle.read(bytes, 0, SNIFF_BYTES, 0)
    return Buffer.from(bytes.subarray(0, bytesRead)).toString('utf8')
  } finally {
    await handle.close()
  }
}

/** Parses a found table; a malformed one throws, naming the file and the line. */
export async function readLabelTableFile(table: LabelTableFile): Promise<LabelDef[]> {
  const info = await stat(table.file)
  if (info.size > MAX_TABLE_BYTES) {
    throw new VoxloopError('INVALID_ARGUMENT', `${table.file}: ${info.size} bytes is too large for a label table (at most ${MAX_TABLE_BYTES})`)
  }
  const text = await readFile(table.file, 'utf8')
  return table.format === 'itk-snap' ? parseItkSnapLabels(text, table.file) : parseSlicerColorTable(text, table.file)
}

/** The Caret label table in a label NIfTI's header extensions, or null when it has none. */
export async function readCaretLabels(labelFile: string, options: ReadNiftiOptions = {}): Promise<LabelDef[] | null> {
  return caretLabelsFromExtensions(await readNiftiExtensions(labelFile, options), labelFile)
}

/** The same label name however it is spelled: case, `_` and runs of spaces do not count. */
export function sameLabelName(a: string, b: string): boolean {
  return normalizedName(a) === normalizedName(b)
}

function normalizedName(name: string): string {
  return name.trim().toLowerCase().replace(/[\s_]+/g, ' ')
}

interface NamedLabel {
  label: LabelDef
  /** The source that named it, for conflict messages. */
  source: string
  /** Whether the colour came from a source that states colours (not dataset.json's defaults). */
  statedColour: boolean
}

/** "Label N" or "Label N (imported)" for label N: the name an import gives an id no table names. */
export function isPlaceholderName(label: LabelDef): boolean {
  const match = /^label (\d+)( \(imported\))?$/i.exec(label.name.trim())
  return match !== null && Number(match[1]) === label.id
}

export interface LabelChanges {
  /** Ids the project lacks, ascending. */
  added: LabelDef[]
  /** Project labels that were only placeholders ("Label N"), with the name (and colour) a source gave them. */
  named: LabelDef[]
  /** Of `added`, the voxel values no source names (called "Label N"): the import's notes say so. */
  unnamed: LabelDef[]
}

function disagreement(subject: string, detail: string): VoxloopError {
  return new VoxloopError(
    'INVALID_ARGUMENT',
    `Label tables disagree on ${subject}: ${detail}. Nothing was imported; import the files into separate projects or make their tables agree.`
  )
}

export class ImportLabelNames {
  /** Every id with a real name: the project's, then those the sources of this import named. */
  private readonly named = new Map<number, NamedLabel>()
  /** The project's labels still called "Label N": a source may name them. */
  private readonly placeholders = new Map<number, LabelDef>()
  private readonly projectLabels: readonly LabelDef[]
  private readonly seenValues = new Set<number>()

  constructor(
    project: { labels: readonly LabelDef[]; file: string },
    private readonly rule: LabelConflictRule = 'refuse'
  ) {
    this.projectLabels = project.labels
    for (const label of project.labels) {
      if (isPlaceholderName(label)) this.placeholders.set(label.id, label)
      else this.named.set(label.id, { label, source: project.file, statedColour: true })
    }
  }

  private isProjectName(id: number): boolean {
    return this.projectLabels.some((label) => label.id === id) && !this.placeholders.has(id)
  }

  /**
   * Adds one source's labels, or throws (changing nothing) when it disagrees with an earlier
   * source. `statesColours` is false for dataset.json, whose colours are only our defaults.
   */
  addSource(source: string, labels: readonly LabelDef[], statesColours: boolean): void {
    const accepted: LabelDef[] = []
    for (const label of labels) {
      const earlier = this.named.get(label.id)
      if (earlier === undefined || sameLabelName(earlier.label.name, label.name)) accepted.push(label)
      else if (!(this.rule === 'keep-project' && this.isProjectName(label.id))) {
        throw disagreement(`label ${label.id}`, `${earlier.source} names it "${earlier.label.name}", ${source} names it "${label.name}"`)
      }
    }
    const kept: LabelDef[] = []
    for (const label of accepted) {
      const clash = [...this.named].find(([id, other]) => id !== label.id && sameLabelName(other.label.name, label.name))
      if (clash === undefined) kept.push(label)
      else if (!(this.rule === 'keep-project' && this.isProjectName(clash[0]))) {
        throw disagreement(`"${label.name}"`, `${clash[1].source} gives that name to label ${clash[0]}, ${source} to label ${label.id}`)
      }
    }
    for (const label of kept) {
      const earlier = this.named.get(label.id)
      if (earlier === undefined) this.named.set(label.id, { label, source, statedColour: statesColours })
      else if (statesColours && !earlier.statedColour) {
        // dataset.json named it first with a default colour; a table that states one is better.
        this.named.set(label.id, { label: { ...earlier.label, color: label.color }, source: earlier.source, statedColour: true })
      }
    }
  }

  /** A voxel value found in an imported label map. */
  noteValue(id: number): void {
    this.seenValues.add(id)
  }

  /**
   * What the project's table gains: every id a source named and every voxel value found that the
   * project lacks, and its placeholder labels that a source named (keeping the project's colour
   * unless the source states one). Values no source names become "Label N" ("Label N (imported)"
   * if that name is taken). A project that would end with no label at all gets "Label 1", so that
   * a folder of images without labels can be painted at once. Throws if the resulting table would
   * hold one name twice (a source naming an id like one of the project's placeholders).
   */
  changes(): LabelChanges {
    const projectIds = new Set(this.projectLabels.map((label) => label.id))
    const added = new Map<number, LabelDef>()
    const named: LabelDef[] = []
    for (const [id, entry] of this.named) {
      const placeholder = this.placeholders.get(id)
      if (placeholder) named.push({ ...entry.label, color: entry.statedColour ? entry.label.color : placeholder.color })
      else if (!projectIds.has(id)) added.set(id, entry.label)
    }
    const table = new Map<number, LabelDef>(this.projectLabels.map((label) => [label.id, label]))
    for (const label of [...named, ...added.values()]) table.set(label.id, label)
    const names = new Set([...table.values()].map((label) => normalizedName(label.name)))
    const unnamed: LabelDef[] = []
    for (const id of [...this.seenValues].sort((a, b) => a - b)) {
      if (table.has(id)) continue
      const name = names.has(normalizedName(`Label ${id}`)) ? `Label ${id} (imported)` : `Label ${id}`
      names.add(normalizedName(name))
      const label = { id, name, color: defaultLabelColor(id) }
      added.set(id, label)
      unnamed.push(label)
      table.set(id, label)
    }
    if (table.size === 0) return { added: defaultLabelTable(), named: [], unnamed: [] }
    const byName = new Map<string, LabelDef>()
    for (const label of table.values()) {
      const other = byName.get(normalizedName(label.name))
      if (other) throw disagreement(`"${label.name}"`, `the project's table would give that name to labels ${other.id} and ${label.id}`)
      byName.set(normalizedName(label.name), label)
    }
    return { added: [...added.values()].sort((a, b) => a.id - b.id), named: named.sort((a, b) => a.id - b.id), unnamed }
  }
}

/** The import's note for label values that no table names, or null when every value is named. */
export function unnamedLabelsNote(unnamed: readonly LabelDef[]): string | null {
  if (unnamed.length === 0) return null
  const values = unnamed.map((label) => label.id).join(', ')
  const names = unnamed.map((label) => `"${label.name}"`).join(', ')
  return (
    `label value${unnamed.length === 1 ? '' : 's'} ${values} ${unnamed.length === 1 ? 'is' : 'are'} in the imported label maps but no label table of the import ` +
    `(dataset.json, an ITK-SNAP or Slicer table, the label files' own) names ${unnamed.length === 1 ? 'it' : 'them'}: added to the project's table as ${names}; rename ${unnamed.length === 1 ? 'it' : 'them'} there`
  )
}

/** What a project without any label gets on import: one label to paint with. */
export function defaultLabelTable(): LabelDef[] {
  return [{ id: 1, name: 'Label 1', color: defaultLabelColor(1) }]
}
