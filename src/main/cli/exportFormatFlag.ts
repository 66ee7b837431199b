import { VoxloopError } from '../../shared/errors'
import { EXPORT_FORMATS, ExportFormatSchema, type ExportFormat } from '../../shared/project'

/**
 * `--format nifti|seg-nrrd|msd|nnunet-v2|dicom-seg|png-masks` (checked by the contract's schema, so the CLI and the app
 * accept the same names), with `--msd` kept as the older spelling of `--format msd`. Neither: nifti.
 */
export function parseExportFormatFlag(value: string | undefined, msd: boolean): ExportFormat {
  if (value === undefined) return msd ? 'msd' : 'nifti'
  const parsed = ExportFormatSchema.safeParse(value.trim().toLowerCase())
  if (!parsed.success) throw new VoxloopError('INVALID_ARGUMENT', `--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${value}"`)
  if (msd && parsed.data !== 'msd') throw new VoxloopError('INVALID_ARGUMENT', `--msd means --format msd; it cannot be combined with --format ${parsed.data}`)
  return parsed.data
}
