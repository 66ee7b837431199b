/**
 * One error type crosses every boundary (IPC, HTTP, engine messages) as `{ code, message }`.
 * Codes are stable strings so that the UI and tests can react to a kind of failure without
 * parsing messages; messages are for people and name the file or argument at fault.
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'UNKNOWN_CHANNEL',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PATH_OUTSIDE_PROJECT',
  'NOT_A_PROJECT',
  'PROJECT_CORRUPT',
  'MODEL_CORRUPT',
  'NIFTI_INVALID',
  'NIFTI_UNSUPPORTED',
  'GRID_MISMATCH',
  'BACKEND_UNAVAILABLE',
  'ENGINE_FAILED',
  /**
   * The GPU (webgpu backend) reported an error: invalid shader, out of memory, device lost. The step
   * failed; the run resumes from its last checkpoint, on another backend if the GPU keeps failing.
   */
  'GPU_ERROR',
  'CANCELLED',
  'BUSY',
  /** The disk (or quota) is full: nothing was written; what the user did is kept and retried. */
  'DISK_FULL',
  /** The project was opened read-only (its folder cannot be written): view, predict elsewhere, export. */
  'READ_ONLY',
  'UNSUPPORTED_IN_THIS_MODE',
  'INTERNAL'
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface SerializedError {
  code: ErrorCode
  message: string
  details?: unknown
}

export class VoxloopError extends Error {
  readonly code: ErrorCode
  readonly details?: unknown

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'VoxloopError'
    this.code = code
    if (options.details !== undefined) this.details = options.details
  }

  toJSON(): SerializedError {
    return serializeError(this)
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value)
}

/** Anything thrown becomes `{ code, message }`; unknown failures keep their message under INTERNAL. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof VoxloopError) {
    const out: SerializedError = { code: error.code, message: error.message }
    if (error.details !== undefined) out.details = error.details
    return out
  }
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message }
  return { code: 'INTERNAL', message: String(error) }
}

export function deserializeError(value: unknown): VoxloopError {
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    const code = isErrorCode(record.code) ? record.code : 'INTERNAL'
    const message = typeof record.message === 'string' ? record.message : 'Unknown error'
    return new VoxloopError(code, message, { details: record.details })
  }
  return new VoxloopError('INTERNAL', String(value))
}

/** The first line of an error's message: enough for a one-line reason in a report. */
export function firstLineOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0] ?? message
}
