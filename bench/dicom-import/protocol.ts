/** What the dicom-import bench sends its harness process, and what it answers. */
export type HarnessJob = { kind: 'converter' | 'convert'; folder: string } | { kind: 'import' | 'import-cold'; folder: string; project: string }

export type HarnessReply = { kind: 'ready' } | { kind: 'done'; seconds: number; outcome: string } | { kind: 'failed'; message: string }

export function isHarnessJob(value: unknown): value is HarnessJob {
  if (typeof value !== 'object' || value === null) return false
  const { kind, folder, project } = value as Record<string, unknown>
  if (typeof folder !== 'string') return false
  return kind === 'converter' || kind === 'convert' || ((kind === 'import' || kind === 'import-cold') && typeof project === 'string')
}

export function isHarnessReply(value: unknown): value is HarnessReply {
  if (typeof value !== 'object' || value === null) return false
  const { kind, seconds, outcome, message } = value as Record<string, unknown>
  return kind === 'ready' || (kind === 'done' && typeof seconds === 'number' && typeof outcome === 'string') || (kind === 'failed' && typeof message === 'string')
}
