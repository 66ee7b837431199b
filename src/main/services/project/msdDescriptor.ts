import { z } from 'zod'
import { VoxloopError } from '../../../shared/errors'
import { defaultLabelColor, type LabelDef, type Modality } from '../../../shared/project'

/**
 * `dataset.json` of a Medical Segmentation Decathlon folder, and of nnU-Net v2 raw datasets, which
 * write the same facts differently:
 *   MSD:        "modality": {"0": "MRI"},      "labels": {"0": "background", "1": "Anterior"}
 *   nnU-Net v2: "channel_names": {"0": "T2"},  "labels": {"background": 0, "Anterior": 1}
 * Both are accepted; unknown keys are ignored.
 */

const IdToName = z.record(z.string(), z.string())
const TrainingEntry = z.object({ image: z.string(), label: z.string() })
const TestEntry = z.union([z.string(), z.object({ image: z.string() })])

const DatasetJsonSchema = z.looseObject({
  name: z.string().optional(),
  description: z.string().optional(),
  modality: IdToName.optional(),
  channel_names: IdToName.optional(),
  labels: z.record(z.string(), z.union([z.string(), z.number(), z.array(z.number())])).optional(),
  training: z.array(TrainingEntry).optional(),
  test: z.array(TestEntry).optional(),
  file_ending: z.string().optional()
})

export interface MsdDescriptor {
  name: string | null
  modality: Modality
  /** Whether the file names its channels (`modality` or `channel_names`); if not, `modality` is only the default's 'other'. */
  modalityStated: boolean
  channelNames: string[]
  /** Non-background labels, ascending id. */
  labels: LabelDef[]
  /** Paths as written in dataset.json (relative to the dataset folder), or null when not listed. */
  training: { image: string; label: string }[] | null
  test: string[] | null
}

const CT_NAMES = /^(ct|computed tomography|cect|ncct|cta)$/i
const MR_NAMES = /(^mri?$)|t1|t2|flair|adc|dwi|pd|swi|bold|dce|perf|mprage|hbv|magnetic/i

/** CT, MR, or other from a channel name such as "MRI", "CT", "FLAIR", "T1w", "ADC". */
export function modalityOfChannel(name: string): Modality {
  const trimmed = name.trim()
  if (CT_NAMES.test(trimmed)) return 'CT'
  if (MR_NAMES.test(trimmed)) return 'MR'
  return 'other'
}

/** All channels agreeing give the modality; a mix (e.g. PET + CT) is 'other'. */
export function modalityOfChannels(names: string[]): Modality {
  const kinds = new Set(names.map(modalityOfChannel))
  const [only] = kinds
  return kinds.size === 1 && only ? only : 'other'
}

function channelNamesOf(byIndex: Record<string, string> | undefined): string[] | null {
  if (!byIndex) return null
  const entries = Object.entries(byIndex)
    .filter(([index]) => /^\d+$/.test(index))
    .sort((a, b) => Number(a[0]) - Number(b[0]))
  return entries.length > 0 ? entries.map(([, name]) => name.trim() || 'image') : null
}

function labelDef(id: number, name: string): LabelDef {
  return { id, name: name.trim() || `Label ${id}`, color: defaultLabelColor(id) }
}

/** Labels from either spelling; background (0) and nnU-Net region lists are left out. */
function labelsOf(labels: Record<string, string | number | number[]> | undefined): LabelDef[] {
  const defs = new Map<number, LabelDef>()
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (/^\d+$/.test(key) && typeof value === 'string') {
      const id = Number(key)
      if (id >= 1 && id <= 65535) defs.set(id, labelDef(id, value))
    } else if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) {
      defs.set(value, labelDef(value, key))
    }
  }
  const unique = new Set<string>()
  return [...defs.values()]
    .sort((a, b) => a.id - b.id)
    .map((label) => {
      // Label names must be unique in a project; a repeated name gets its id appended.
      const name = unique.has(label.name.toLowerCase()) ? `${label.name} ${label.id}` : label.name
      unique.add(name.toLowerCase())
      return { ...label, name }
    })
}

export function parseMsdDescriptor(text: string, file: string): MsdDescriptor {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new VoxloopError('INVALID_ARGUMENT', `${file} is not valid JSON`, { cause: error })
  }
  const parsed = DatasetJsonSchema.safeParse(json)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')
    throw new VoxloopError('INVALID_ARGUMENT', `${file} is not a dataset descriptor: ${issues}`)
  }
  const data = parsed.data
  const stated = channelNamesOf(data.channel_names) ?? channelNamesOf(data.modality)
  const channelNames = stated ?? ['image']
  return {
    name: data.name?.trim() || null,
    modality: modalityOfChannels(channelNames),
    modalityStated: stated !== null,
    channelNames,
    labels: labelsOf(data.labels),
    training: data.training ?? null,
    test: data.test ? data.test.map((entry) => (typeof entry === 'string' ? entry : entry.image)) : null
  }
}
