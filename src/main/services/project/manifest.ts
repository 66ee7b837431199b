import { readFile } from 'node:fs/promises'
import { VoxloopError } from '../../../shared/errors'
import {
  PROJECT_FORMAT_VERSION,
  ProjectManifestSchema,
  type LabelDef,
  type Modality,
  type ModalitySource,
  type ProjectManifest,
  type ProjectSettings
} from '../../../shared/project'
import { writeFileAtomic } from '../../../node/storage/durableWrite'
import { isErrno } from './fsUtil'

/** `voxloop.json`: read with validation, written atomically. */

export interface NewManifestOptions {
  name: string
  modality?: Modality
  /** Default: 'user' when `modality` is given (the caller chose it), else 'default' (the data decides on import). */
  modalitySource?: ModalitySource
  channelNames?: string[]
  labels?: LabelDef[]
  settings?: ProjectSettings
}

export function newManifest(options: NewManifestOptions, now: Date): ProjectManifest {
  return parseManifest(
    {
      formatVersion: PROJECT_FORMAT_VERSION,
      name: options.name,
      modality: options.modality ?? 'MR',
      modalitySource: options.modalitySource ?? (options.modality ? 'user' : 'default'),
      channelNames: options.channelNames ?? [options.modality === 'CT' ? 'CT' : 'image'],
      labels: options.labels ?? [],
      createdAt: now.toISOString(),
      settings: options.settings ?? {}
    },
    'new project'
  )
}

function issuesText(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ')
}

export function parseManifest(value: unknown, where: string): ProjectManifest {
  const parsed = ProjectManifestSchema.safeParse(value)
  if (!parsed.success) throw new VoxloopError('INVALID_ARGUMENT', `${where}: ${issuesText(parsed.error)}`)
  return parsed.data
}

export async function readManifest(file: string): Promise<ProjectManifest> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (isErrno(error, 'ENOENT')) throw new VoxloopError('NOT_A_PROJECT', `${file} is missing: not a Voxloop project`)
    throw error
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new VoxloopError('PROJECT_CORRUPT', `${file} is not valid JSON`, { cause: error })
  }
  const version = (json as { formatVersion?: unknown } | null)?.formatVersion
  if (typeof version === 'number' && version > PROJECT_FORMAT_VERSION) {
    throw new VoxloopError(
      'PROJECT_CORRUPT',
      `${file} has format version ${version}; this Voxloop reads up to ${PROJECT_FORMAT_VERSION}. Update Voxloop to open it.`
    )
  }
  const parsed = ProjectManifestSchema.safeParse(json)
  if (!parsed.success) throw new VoxloopError('PROJECT_CORRUPT', `${file} is not a valid project manifest: ${issuesText(parsed.error)}`)
  return parsed.data
}

export async function writeManifest(file: string, manifest: ProjectManifest): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`)
}
