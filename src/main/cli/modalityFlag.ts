import { VoxloopError } from '../../shared/errors'
import type { Modality } from '../../shared/project'

/** Spellings accepted for each modality (case-insensitive); "MRI" because MSD's dataset.json writes it. */
const SPELLINGS: Record<string, Modality> = { ct: 'CT', mr: 'MR', mri: 'MR', other: 'other' }

/** `--modality CT|MR|other`: undefined without the flag; anything else is refused with what is accepted. */
export function parseModalityFlag(value: string | undefined): Modality | undefined {
  if (value === undefined) return undefined
  const modality = SPELLINGS[value.trim().toLowerCase()]
  if (!modality) throw new VoxloopError('INVALID_ARGUMENT', `--modality must be CT, MR or other, got "${value}"`)
  return modality
}
