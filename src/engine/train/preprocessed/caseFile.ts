/**
 * One case of the preprocessed cache on disk (issue #13 item 10; nnU-Net keeps one .npy/.b2nd per
 * case): the PreparedCase of prepareCase — normalised image, label and labelled voxels per class, on
 * the training grid — plus the case's class labels on its own grid (what validation scores
 * against), so that training and validation never need the source files again.
 *
 * Layout, native byte order (the header records which; another one is treated as a stale file):
 *
 *   "VXPC" · u32 format · u32 header bytes · header JSON · image f32 [D,H,W,C] · label u8 [D,H,W]
 *   · labelled voxels u32, class after class, ascending · reference u8 (own grid) · SHA-256 of all before
 *
 * Sections are fixed-size arrays at offsets that follow from the header, so a box of the volume is a
 * few positioned reads (one per slice it touches) and the i-th labelled voxel of a class one 4-byte
 * read: nothing per voxel is held in memory. The trailing SHA-256 is checked whenever a whole file
 * is read, and once per run before a file is sampled from (checkCaseFile); a file whose size or hash
 * is wrong is never used.
 */
import { createHash, type Hash } from 'node:crypto'
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import os from 'node:os'
import { z } from 'zod'
import { VoxloopError } from '../../../shared/errors'
import { ChannelNormalizationSchema, Shape3Schema } from '../../../shared/training'
// Plain Node code shared with main: the app's one crash-safe file write.
import { writeFileAtomic } from '../../../node/storage/durableWrite'
import type { SamplerCase } from '../../data/BatchSampler'
import type { ForegroundLocations } from '../../data/foregroundIndex'
import type { Shape3 } from '../../data/layout'
import type { PreparedCase } from '../../data/prepareCase'
import type { PatchSource } from '../../data/extractPatch'

/** Bump when the layout or the header's meaning changes: older files then count as stale. */
export const CASE_FILE_FORMAT = 1
const MAGIC = 'VXPC'
const PREFIX_BYTES = 12
const HASH_BYTES = 32
/** The header is a few hundred bytes; anything this large is not one of ours. */
const MAX_HEADER_BYTES = 1 << 20
/** Chunk of the streaming hash check. */
const CHECK_CHUNK_BYTES = 4 << 20
const LITTLE_ENDIAN = os.endianness() === 'LE'

const Vec3Schema = z.tuple([z.number(), z.number(), z.number()])
const CaseFileHeaderSchema = z.object({
  format: z.literal(CASE_FILE_FORMAT),
  littleEndian: z.boolean(),
  /** The cache key the file was written for (preparation + source); checked on every open. */
  key: z.string(),
  id: z.string(),
  shape: Shape3Schema,
  channels: z.number().int().min(1),
  spacingMm: Vec3Schema,
  padValues: z.array(z.number()),
  normalization: z.array(ChannelNormalizationSchema),
  original: z.object({
    shape: Shape3Schema,
    spacingMm: Vec3Schema,
    turn: z.object({ fromAxis: z.tuple([z.number().int(), z.number().int(), z.number().int()]), flip: z.tuple([z.boolean(), z.boolean(), z.boolean()]) }),
    canonicalShape: Shape3Schema
  }),
  /** Null for an unlabelled case (then there is no label section). */
  foreground: z.object({ classes: z.array(z.number().int().min(1).max(255)), counts: z.array(z.number().int().min(1)) }).nullable(),
  /** Voxels of the reference section (the case's own grid), 0 without one. */
  referenceVoxels: z.number().int().min(0)
})
export type CaseFileHeader = z.infer<typeof CaseFileHeaderSchema>

interface Section {
  offset: number
  bytes: number
}

/** Where each section is, from the header (and the header's own length). */
export interface CaseFileLayout {
  image: Section
  label: Section
  /** Start of each class's voxels in the foreground section, in voxels. */
  classStarts: number[]
  foreground: Section
  reference: Section
  /** Offset of the trailing SHA-256; the file is this + 32 bytes. */
  hashOffset: number
  totalBytes: number
}

function layoutOf(header: CaseFileHeader, headerBytes: number): CaseFileLayout {
  const [d, h, w] = header.shape
  const voxels = d * h * w
  let offset = PREFIX_BYTES + headerBytes
  const next = (bytes: number): Section => {
    const section = { offset, bytes }
    offset += bytes
    return section
  }
  const image = next(voxels * header.channels * 4)
  const label = next(header.foreground ? voxels : 0)
  const counts = header.foreground?.counts ?? []
  const classStarts: number[] = []
  let start = 0
  for (const count of counts) {
    classStarts.push(start)
    start += count
  }
  const foreground = next(start * 4)
  const reference = next(header.referenceVoxels)
  return { image, label, classStarts, foreground, reference, hashOffset: offset, totalBytes: offset + HASH_BYTES }
}

const bytesOf = (array: Float32Array | Uint8Array | Uint32Array): Uint8Array => new Uint8Array(array.buffer, array.byteOffset, array.byteLength)

/** A case file's bytes as chunks (no copy of the voxel arrays, the SHA-256 last), with its header and layout. */
export interface EncodedCaseFile {
  chunks: Uint8Array[]
  header: CaseFileHeader
  layout: CaseFileLayout
}

/** `reference`: the class labels on the case's own grid, or null. */
export function encodeCaseFile(prepared: PreparedCase, reference: Uint8Array | null, key: string): EncodedCaseFile {
  const foreground = prepared.foreground
  const header: CaseFileHeader = {
    format: CASE_FILE_FORMAT,
    littleEndian: LITTLE_ENDIAN,
    key,
    id: prepared.id,
    shape: prepared.shape,
    channels: prepared.channels,
    spacingMm: prepared.spacingMm,
    padValues: prepared.padValues,
    normalization: prepared.normalization,
    original: prepared.original,
    foreground: prepared.label && foreground ? { classes: [...foreground.classes], counts: foreground.voxelsByClass.map((v) => v.length) } : null,
    referenceVoxels: reference?.length ?? 0
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const prefix = Buffer.alloc(PREFIX_BYTES)
  prefix.write(MAGIC, 0, 'latin1')
  prefix.writeUInt32LE(CASE_FILE_FORMAT, 4)
  prefix.writeUInt32LE(json.length, 8)
  const chunks: Uint8Array[] = [prefix, json, bytesOf(prepared.image)]
  if (header.foreground && prepared.label && foreground) {
    chunks.push(bytesOf(prepared.label))
    for (const voxels of foreground.voxelsByClass) chunks.push(bytesOf(voxels))
  }
  if (reference) chunks.push(bytesOf(reference))
  const hash = createHash('sha256')
  for (const chunk of chunks) hash.update(chunk)
  chunks.push(hash.digest())
  return { chunks, header, layout: layoutOf(header, json.length) }
}

/** Writes the case's file crash-safely (a reader sees the old file, the new one, or none); returns its header and layout. */
export async function writeCaseFile(path: string, prepared: PreparedCase, reference: Uint8Array | null, key: string): Promise<Omit<EncodedCaseFile, 'chunks'>> {
  const { chunks, header, layout } = encodeCaseFile(prepared, reference, key)
  await writeFileAtomic(path, chunks)
  return { header, layout }
}

/** Why a file cannot be used, for logs; the caller rebuilds it. */
export type CaseFileCheck = { ok: true; header: CaseFileHeader; layout: CaseFileLayout } | { ok: false; problem: string }

async function readExactly(handle: FileHandle, target: Uint8Array, position: number): Promise<boolean> {
  let done = 0
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done)
    if (bytesRead === 0) return false
    done += bytesRead
  }
  return true
}

/** Reads and checks the prefix and header; updates `hash` with their bytes. */
async function readHeader(handle: FileHandle, key: string, hash: Hash): Promise<CaseFileCheck> {
  const prefix = Buffer.alloc(PREFIX_BYTES)
  if (!(await readExactly(handle, prefix, 0))) return { ok: false, problem: 'shorter than its prefix' }
  if (prefix.toString('latin1', 0, 4) !== MAGIC) return { ok: false, problem: 'not a preprocessed case file' }
  if (prefix.readUInt32LE(4) !== CASE_FILE_FORMAT) return { ok: false, problem: `format ${prefix.readUInt32LE(4)}, this version writes ${CASE_FILE_FORMAT}` }
  const headerBytes = prefix.readUInt32LE(8)
  if (headerBytes === 0 || headerBytes > MAX_HEADER_BYTES) return { ok: false, problem: `header of ${headerBytes} bytes` }
  const json = Buffer.alloc(headerBytes)
  if (!(await readExactly(handle, json, PREFIX_BYTES))) return { ok: false, problem: 'truncated in its header' }
  let parsed: unknown
  try {
    parsed = JSON.parse(json.toString('utf8'))
  } catch {
    return { ok: false, problem: 'header is not JSON' }
  }
  const header = CaseFileHeaderSchema.safeParse(parsed)
  if (!header.success) return { ok: false, problem: `header does not match the format: ${header.error.issues[0]?.message ?? ''}` }
  if (header.data.littleEndian !== LITTLE_ENDIAN) return { ok: false, problem: 'written with the other byte order' }
  if (header.data.key !== key) return { ok: false, problem: 'written for other data or settings' }
  const counts = header.data.foreground
  if (counts && counts.classes.length !== counts.counts.length) return { ok: false, problem: 'foreground classes and counts differ in length' }
  hash.update(prefix)
  hash.update(json)
  const layout = layoutOf(header.data, headerBytes)
  const { size } = await handle.stat()
  if (size !== layout.totalBytes) return { ok: false, problem: `${size} bytes, its header needs ${layout.totalBytes} (truncated or padded)` }
  return { ok: true, header: header.data, layout }
}

/**
 * Whether `path` is a complete, intact case file written for `key`: format, header, size, and the
 * SHA-256 of its whole content (streamed, a few MiB at a time). Missing: { ok: false }.
 */
export async function checkCaseFile(path: string, key: string): Promise<CaseFileCheck> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    return { ok: false, problem: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `unreadable: ${(error as Error).message}` }
  }
  try {
    const hash = createHash('sha256')
    const checked = await readHeader(handle, key, hash)
    if (!checked.ok) return checked
    const { layout } = checked
    const chunk = Buffer.alloc(Math.min(CHECK_CHUNK_BYTES, Math.max(1, layout.hashOffset)))
    for (let position = layout.image.offset; position < layout.hashOffset; ) {
      const length = Math.min(chunk.length, layout.hashOffset - position)
      const view = chunk.subarray(0, length)
      if (!(await readExactly(handle, view, position))) return { ok: false, problem: 'truncated' }
      hash.update(view)
      position += length
    }
    const stored = Buffer.alloc(HASH_BYTES)
    if (!(await readExactly(handle, stored, layout.hashOffset))) return { ok: false, problem: 'truncated before its hash' }
    if (!stored.equals(hash.digest())) return { ok: false, problem: 'content does not match its SHA-256 (corrupt)' }
    return checked
  } finally {
    await handle.close()
  }
}

/** A whole case read back, its hash verified. */
export interface LoadedCaseFile {
  prepared: PreparedCase
  /** Class labels on the case's own grid, or null. */
  reference: Uint8Array | null
}

/**
 * Reads a whole case file into memory (validation: one held-out case at a time), checking its hash
 * on the way. Throws PROJECT_CORRUPT naming the file when anything is wrong; the caller rebuilds it.
 */
export async function readCaseFile(path: string, key: string): Promise<LoadedCaseFile> {
  const handle = await open(path, 'r')
  try {
    const hash = createHash('sha256')
    const checked = await readHeader(handle, key, hash)
    if (!checked.ok) throw corrupt(path, checked.problem)
    const { header, layout } = checked
    const [d, h, w] = header.shape
    const voxels = d * h * w
    const readInto = async <T extends Float32Array | Uint8Array | Uint32Array>(array: T, section: Section): Promise<T> => {
      const bytes = bytesOf(array)
      if (bytes.length !== section.bytes) throw corrupt(path, 'section sizes disagree with its header')
      if (!(await readExactly(handle, bytes, section.offset))) throw corrupt(path, 'truncated')
      hash.update(bytes)
      return array
    }
    const image = await readInto(new Float32Array(voxels * header.channels), layout.image)
    const label = header.foreground ? await readInto(new Uint8Array(voxels), layout.label) : null
    const voxelsByClass: Uint32Array[] = []
    for (const [n, count] of (header.foreground?.counts ?? []).entries()) {
      voxelsByClass.push(await readInto(new Uint32Array(count), { offset: layout.foreground.offset + 4 * (layout.classStarts[n] as number), bytes: count * 4 }))
    }
    const reference = header.referenceVoxels > 0 ? await readInto(new Uint8Array(header.referenceVoxels), layout.reference) : null
    const stored = Buffer.alloc(HASH_BYTES)
    if (!(await readExactly(handle, stored, layout.hashOffset)) || !stored.equals(hash.digest())) throw corrupt(path, 'content does not match its SHA-256')
    const prepared: PreparedCase = {
      id: header.id,
      image,
      label,
      shape: header.shape,
      channels: header.channels,
      spacingMm: header.spacingMm,
      foreground: header.foreground ? { classes: header.foreground.classes, voxelsByClass } : null,
      padValues: header.padValues,
      normalization: header.normalization,
      original: header.original
    }
    return { prepared, reference }
  } finally {
    await handle.close()
  }
}

function corrupt(path: string, problem: string): VoxloopError {
  return new VoxloopError('PROJECT_CORRUPT', `preprocessed case file ${path}: ${problem}`)
}

/** Counters of what a pool reads and keeps open (tests assert that they do not grow with the case count). */
export interface CaseFilePoolStats {
  openFiles: number
  peakOpenFiles: number
  /** Boxes read for patches. */
  regionReads: number
  /** Largest box read, image and label bytes together. */
  peakRegionBytes: number
}

/**
 * Open case files for synchronous positioned reads (the batch sampler draws batches synchronously),
 * at most `maxOpen` at a time, least recently used closed first. Each (re)open checks the size.
 */
export class CaseFilePool {
  private readonly open = new Map<string, number>()
  private readonly scratch = new Uint32Array(1)
  readonly stats: CaseFilePoolStats = { openFiles: 0, peakOpenFiles: 0, regionReads: 0, peakRegionBytes: 0 }

  constructor(private readonly maxOpen = 4) {
    if (!(Number.isInteger(maxOpen) && maxOpen >= 1)) throw new VoxloopError('INVALID_ARGUMENT', `a case file pool needs at least one open file, got ${maxOpen}`)
  }

  private fd(path: string, totalBytes: number): number {
    const known = this.open.get(path)
    if (known !== undefined) {
      this.open.delete(path)
      this.open.set(path, known)
      return known
    }
    const fd = openSync(path, 'r')
    const { size } = fstatSync(fd)
    if (size !== totalBytes) {
      closeSync(fd)
      throw corrupt(path, `changed during training: ${size} bytes, ${totalBytes} expected; train again to rebuild it`)
    }
    this.open.set(path, fd)
    while (this.open.size > this.maxOpen) {
      const [oldest, oldestFd] = this.open.entries().next().value as [string, number]
      this.open.delete(oldest)
      closeSync(oldestFd)
    }
    this.stats.openFiles = this.open.size
    this.stats.peakOpenFiles = Math.max(this.stats.peakOpenFiles, this.open.size)
    return fd
  }

  private readAt(path: string, totalBytes: number, target: Uint8Array, position: number): void {
    const fd = this.fd(path, totalBytes)
    let done = 0
    while (done < target.length) {
      const read = readSync(fd, target, done, target.length - done, position + done)
      if (read === 0) throw corrupt(path, 'truncated during training; train again to rebuild it')
      done += read
    }
  }

  /** The sampler's view of a checked case file: metadata in memory, voxels read on demand. */
  samplerCase(path: string, header: CaseFileHeader, layout: CaseFileLayout): SamplerCase {
    const [D, H, W] = header.shape
    const C = header.channels
    const labelled = header.foreground !== null
    const foreground: ForegroundLocations | null = header.foreground
      ? {
          classes: header.foreground.classes,
          countOf: (n) => (header.foreground?.counts[n] as number),
          voxelOf: (n, i) => {
            this.readAt(path, layout.totalBytes, bytesOf(this.scratch), layout.foreground.offset + 4 * ((layout.classStarts[n] as number) + i))
            return this.scratch[0] as number
          }
        }
      : null
    const region = (origin: Shape3, box: Shape3): { source: PatchSource; origin: Shape3 } => {
      // The slices and rows the box touches, at least the nearest one (edge padding clamps to it);
      // whole rows, so that each slice is one contiguous read.
      const d0 = Math.min(Math.max(origin[0], 0), D - 1)
      const d1 = Math.max(Math.min(origin[0] + box[0], D), d0 + 1)
      const h0 = Math.min(Math.max(origin[1], 0), H - 1)
      const h1 = Math.max(Math.min(origin[1] + box[1], H), h0 + 1)
      const depth = d1 - d0
      const rows = h1 - h0
      const image = new Float32Array(depth * rows * W * C)
      const label = labelled ? new Uint8Array(depth * rows * W) : null
      const imageBytes = bytesOf(image)
      const sliceImage = rows * W * C * 4
      const sliceLabel = rows * W
      if (rows === H) {
        this.readAt(path, layout.totalBytes, imageBytes, layout.image.offset + d0 * H * W * C * 4)
        if (label) this.readAt(path, layout.totalBytes, label, layout.label.offset + d0 * H * W)
      } else {
        for (let d = d0; d < d1; d++) {
          const k = d - d0
          this.readAt(path, layout.totalBytes, imageBytes.subarray(k * sliceImage, (k + 1) * sliceImage), layout.image.offset + (d * H + h0) * W * C * 4)
          if (label) this.readAt(path, layout.totalBytes, label.subarray(k * sliceLabel, (k + 1) * sliceLabel), layout.label.offset + (d * H + h0) * W)
        }
      }
      this.stats.regionReads++
      this.stats.peakRegionBytes = Math.max(this.stats.peakRegionBytes, image.byteLength + (label?.byteLength ?? 0))
      return { source: { image, label, shape: [depth, rows, W], channels: C }, origin: [origin[0] - d0, origin[1] - h0, origin[2]] }
    }
    return {
      id: header.id,
      shape: header.shape,
      channels: C,
      padValues: header.padValues,
      labelVoxels: labelled ? D * H * W : 0,
      foreground,
      region
    }
  }

  /** Closes every file; the pool reopens them if used again. */
  close(): void {
    for (const fd of this.open.values()) closeSync(fd)
    this.open.clear()
    this.stats.openFiles = 0
  }
}
