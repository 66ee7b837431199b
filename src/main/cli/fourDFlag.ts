import { VoxloopError } from '../../shared/errors'
import { FourDImportSchema, type FourDImport } from '../../shared/project'

/** `--4d channels|time` (voxloop import): undefined without the flag; anything else is refused with what is accepted. */
export function parseFourDFlag(value: string | undefined): FourDImport | undefined {
  if (value === undefined) return undefined
  const parsed = FourDImportSchema.safeParse(value.trim().toLowerCase())
  if (!parsed.success) throw new VoxloopError('INVALID_ARGUMENT', `--4d must be channels or time, got "${value}"`)
  return parsed.data
}
