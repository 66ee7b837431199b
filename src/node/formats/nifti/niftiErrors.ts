/**
 * Every NIfTI failure is a VoxloopError whose message starts with the file path, so a user looking at
 * an import report of hundreds of files can find the bad one.
 */
import { VoxloopError } from '../../../shared/errors'

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

/** 2147483648 → "2,147,483,648 bytes (2.00 GiB)": exact for checking, readable at a glance. */
export function formatBytes(bytes: number): string {
  return `${formatCount(bytes)} bytes (${(bytes / 2 ** 30).toFixed(2)} GiB)`
}

/** File-system failures, mapped to codes the UI can act on (missing file, no permission). */
export function fileReadError(path: string, error: unknown): VoxloopError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const detail = error instanceof Error ? error.message : String(error)
  if (code === 'ENOENT') return new VoxloopError('NOT_FOUND', `${path}: file not found`, { cause: error })
  if (code === 'EISDIR') return niftiInvalid(path, 'is a directory, not a NIfTI file', error)
  // What open() says for a socket (and a device with no driver): not a file we could ever read.
  if (code === 'ENXIO') return niftiInvalid(path, 'is a socket or a device, not a regular file', error)
  if (code === 'EACCES' || code === 'EPERM') return new VoxloopError('FORBIDDEN', `${path}: permission denied`, { cause: error })
  return new VoxloopError('INTERNAL', `${path}: cannot read file: ${detail}`, { cause: error })
}
