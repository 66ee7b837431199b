import type { Dirent } from 'node:fs'
import { open, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import type { SkippedFile } from '../../../shared/project'

/**
 * The files of a folder, searched recursively, that dcm2niix would take for DICOM, and every other
 * file with the reason it is not. The test is dcm2niix's own (isDICOMfile in nii_dicom.cpp): at
 * least 256 bytes, and "DICM" at byte 128 (a Part 10 file), or a data set that starts with group
 * 0008 (an old file without the preamble). It reads 256 bytes per file and parses nothing, so that
 * a folder of NIfTI or of anything else is told apart cheaply and the converter is handed only
 * files it will open. Reasons are shared strings so that a report can group files by reason.
 */

export const NOT_DICOM_REASON = 'not a DICOM file (no "DICM" signature at byte 128 and no DICOM data set at its start)'
export const DICOMDIR_REASON = 'DICOMDIR: the index of a DICOM disc or folder, not an image (the images it lists are read from their own files)'
const HIDDEN_REASON = 'hidden file'
const RESOURCE_FORK_REASON = 'macOS resource-fork file (._*), not an image'
const FOLDER_LINK_REASON = 'a link to a folder, not followed (it could lead outside the folder or back into it)'

/** Deeper than any scanner export (dcm2niix searches 5 levels by default); a loop would not end sooner. */
export const MAX_DICOM_SEARCH_DEPTH = 16
/** More files than any study holds: a folder beyond it is not a DICOM export (a home folder, a disk). */
export const MAX_DICOM_SEARCH_FILES = 200_000

const SIGNATURE_BYTES = 256

export interface DicomFileSearch {
  /** Absolute paths of the files that pass dcm2niix's DICOM test, sorted. */
  dicom: string[]
  skipped: SkippedFile[]
}

/** 'part10' for a file with the DICM signature, 'raw' for a data set without preamble, else null. */
export function dicomSignatureOf(head: Uint8Array): 'part10' | 'raw' | null {
  if (head.length < SIGNATURE_BYTES) return null
  if (head[128] === 0x44 && head[129] === 0x49 && head[130] === 0x43 && head[131] === 0x4d) return 'part10'
  // Group 0x0008 little-endian as the first tag, as dcm2niix accepts it.
  if (head[0] === 8 && head[1] === 0 && head[3] === 0) return 'raw'
  return null
}

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r')
  try {
    const head = new Uint8Array(SIGNATURE_BYTES)
    const { bytesRead } = await handle.read(head, 0, SIGNATURE_BYTES, 0)
    return head.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

function specialKind(info: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (info.isFIFO()) return 'a named pipe (FIFO), not a regular file'
  if (info.isSocket()) return 'a socket, not a regular file'
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device, not a regular file'
  return 'a special file, not a regular file'
}

interface SearchState {
  found: DicomFileSearch
  files: number
}

/**
 * Files whose first bytes are read at once (three thread-pool round trips each): one after the other,
 * the 150 GE EPI files took about 0.1 s in a fresh process, 0.05 s so. Bounded, far below the
 * descriptor limit, since a folder may hold up to MAX_DICOM_SEARCH_FILES files.
 */
const PARALLEL_READS = 32

/** Head reads started but not yet reported, in the order of the entries. */
type PendingHeads = { file: string; head: Promise<Uint8Array | NodeJS.ErrnoException> }[]

/** Reports the pending reads in their entries' order, so the result is the same as one read after the other. */
async function settleHeads(pending: PendingHeads, state: SearchState): Promise<void> {
  for (const { file, head: reading } of pending.splice(0)) {
    const head = await reading
    if (head instanceof Error) state.found.skipped.push({ file, reason: `not readable: ${head.code ?? head.message}` })
    else if (dicomSignatureOf(head)) state.found.dicom.push(file)
    else state.found.skipped.push({ file, reason: NOT_DICOM_REASON })
  }
}

async function searchFolder(root: string, dir: string, depth: number, state: SearchState): Promise<void> {
  let entries: Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (error) {
    state.found.skipped.push({ file: dir, reason: `folder not readable: ${(error as NodeJS.ErrnoException).code ?? String(error)}` })
    return
  }
  const pending: PendingHeads = []
  // Every other outcome is reported after the reads started before it, as one read after the other would.
  const skip = async (file: string, reason: string): Promise<void> => {
    await settleHeads(pending, state)
    state.found.skipped.push({ file, reason })
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const name = entry.name
    const full = path.join(dir, name)
    if (name === '.DS_Store' || name === 'Thumbs.db' || name === 'desktop.ini') continue
    if (entry.isDirectory()) {
      if (name.startsWith('.')) continue
      if (depth >= MAX_DICOM_SEARCH_DEPTH) await skip(full, `folder more than ${MAX_DICOM_SEARCH_DEPTH} levels deep, not searched`)
      else {
        await settleHeads(pending, state)
        await searchFolder(root, full, depth + 1, state)
      }
      continue
    }
    const info = entry.isSymbolicLink() ? await stat(full).catch(() => null) : entry
    if (!info) {
      await skip(full, 'a broken link')
      continue
    }
    if (info.isDirectory()) {
      await skip(full, FOLDER_LINK_REASON)
      continue
    }
    if (!info.isFile()) {
      await skip(full, specialKind(info))
      continue
    }
    if (++state.files > MAX_DICOM_SEARCH_FILES) {
      throw new VoxloopError('INVALID_ARGUMENT', `${root} holds more than ${MAX_DICOM_SEARCH_FILES} files: choose the folder of one study or series`)
    }
    if (name.startsWith('._')) await skip(full, RESOURCE_FORK_REASON)
    else if (name.startsWith('.')) await skip(full, HIDDEN_REASON)
    else if (name.toUpperCase() === 'DICOMDIR') await skip(full, DICOMDIR_REASON)
    else {
      if (pending.length >= PARALLEL_READS) await settleHeads(pending, state)
      pending.push({ file: full, head: readHead(full).catch((error: NodeJS.ErrnoException) => error) })
    }
  }
  await settleHeads(pending, state)
}

/** Searches `folder` and its sub-folders (hidden ones and links to folders excepted). */
export async function findDicomFiles(folder: string): Promise<DicomFileSearch> {
  const state: SearchState = { found: { dicom: [], skipped: [] }, files: 0 }
  await searchFolder(folder, folder, 0, state)
  state.found.dicom.sort()
  return state.found
}
