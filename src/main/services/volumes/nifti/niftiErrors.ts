/**
 * Every NIfTI failure is a VoxloopError whose message starts with the file path, so a user looking at
 * an import report of hundreds of files can find the bad one.
 */
import { VoxloopError } from '../../../../shared/errors'

export function niftiInvalid(path: string, problem: string, cause?: unknown): VoxloopError {
  return new VoxloopError('NIFTI_INVALID', `${path}: ${problem}`, cause === undefined ? {} : { cause })
}

export function niftiUnsupported(path: string, problem: string, cause?: unknown): VoxloopError {
  return new VoxloopError('NIFTI_UNSUPPORTED', `${path}: ${problem}`, cause === undefined ? {} : { cause })
}

/** 1234567 → "1,234,567": byte counts in messages are read by people. */
export function formatCount(value: number): string {
  return Number.isSafeInteger(value) ? value.toLocaleString('en-US') : String(value)
}

/** File-system failures, mapped to codes the UI can act on (missing file, no permission). */
export function fileReadError(path: string, error: unknown): VoxloopError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const detail = error instanceof Error ? error.message : String(error)
  if (code === 'ENOENT') return new VoxloopError('NOT_FOUND', `${path}: file not found`, { cause: error })
  if (code === 'EISDIR') return niftiInvalid(path, 'is a directory, not a NIfTI file', error)
  if (code === 'EACCES' || code === 'EPERM') return new VoxloopError('FORBIDDEN', `${path}: permission denied`, { cause: error })
  return new VoxloopError('INTERNAL', `${path}: cannot read file: ${detail}`, { cause: error })
}
