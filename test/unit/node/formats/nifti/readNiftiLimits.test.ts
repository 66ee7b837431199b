/**
 * The reader at and beyond the sizes where 32-bit arithmetic and single system calls break: volumes
 * over 2 GiB (sparse files, so they cost no disk), headers that declare absurd sizes, and gzip bombs
 * (a few megabytes that inflate to gigabytes). Refusals must come before anything of the declared
 * size exists, and must name the file, its dimensions and its size.
 */
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir, totalmem } from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { defaultMaxVoxelBytes, MAX_VOXEL_BYTES, readNifti, readNiftiHeader } from '../../../../../src/node/formats/nifti'
import { VoxloopError } from '../../../../../src/shared/errors'
import { headerBytes, type NiftiSpec } from '../../../../helpers/niftiBuilder'
import { itUnless } from '../../../../helpers/skipWithReason'

const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-nifti-limits-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const GiB = 2 ** 30
const MiB = 2 ** 20

/**
 * A raw .nii of `spec` whose voxel data is a hole (reads as zeros, takes no disk) except for
 * `writes`: [byte offset into the voxel data, bytes].
 */
function sparseNifti(name: string, spec: NiftiSpec, dataBytes: number, writes: [number, Uint8Array][] = []): string {
  const file = path.join(tmp, name)
  const header = headerBytes(spec, 352)
  const fd = openSync(file, 'w')
  try {
    writeSync(fd, header, 0, header.length, 0)
    ftruncateSync(fd, 352 + dataBytes)
    for (const [offset, bytes] of writes) writeSync(fd, bytes, 0, bytes.length, 352 + offset)
  } finally {
    closeSync(fd)
  }
  return file
}

/**
 * A single-member .nii.gz whose header `prefix` is followed by zeros up to `totalBytes`, built from
 * one deflate segment per MiB (a full flush resets the compressor, so the zero segments are all the
 * same bytes): 2 GiB of zeros take 2 MB and no time to make. CRC and ISIZE are correct.
 */
function gzipBomb(name: string, prefix: Uint8Array, totalBytes: number): string {
  const flush = { finishFlush: zlib.constants.Z_FULL_FLUSH, level: 9 }
  const first = Buffer.alloc(MiB)
  first.set(prefix)
  const zeros = Buffer.alloc(MiB)
  const zeroSegment = zlib.deflateRawSync(zeros, flush)
  const segments = Math.ceil(totalBytes / MiB) - 1
  const parts: Buffer[] = [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), zlib.deflateRawSync(first, flush)]
  let crc = zlib.crc32(first)
  for (let n = 0; n < segments; n++) {
    parts.push(zeroSegment)
    crc = zlib.crc32(zeros, crc)
  }
  parts.push(zlib.deflateRawSync(Buffer.alloc(0)))
  const trailer = Buffer.alloc(8)
  trailer.writeUInt32LE(crc >>> 0, 0)
  trailer.writeUInt32LE(((segments + 1) * MiB) % 2 ** 32, 4)
  parts.push(trailer)
  const file = path.join(tmp, name)
  writeFileSync(file, Buffer.concat(parts))
  return file
}

/** Runs `work`, sampling the process's resident memory meanwhile (zlib and reads run off the loop). */
async function measured(work: () => Promise<unknown>): Promise<{ outcome: unknown; cpuMs: number; rssGrowthMb: number }> {
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 2)
  const cpuBefore = process.cpuUsage()
  let outcome: unknown
  try {
    outcome = await work()
  } catch (error) {
    outcome = error
  }
  const cpu = process.cpuUsage(cpuBefore)
  clearInterval(timer)
  peak = Math.max(peak, process.memoryUsage().rss)
  return { outcome, cpuMs: (cpu.user + cpu.system) / 1000, rssGrowthMb: (peak - before) / MiB }
}

/**
 * CPU milliseconds this process spends inflating all of `file` (zlib's thread-pool work included):
 * the baseline a reader that stops early must stay far below. CPU time, not wall time, so the
 * machine's load does not decide the test (timings belong to benchmarks); a ratio to the same
 * stream inflated in the same run, so the machine's speed does not either.
 */
async function fullInflateCpuMs(file: string): Promise<number> {
  const { cpuMs } = await measured(
    () =>
      new Promise<void>((resolve, reject) => {
        const gunzip = zlib.createGunzip()
        gunzip.on('data', () => undefined).on('end', resolve).on('error', reject)
        gunzip.end(readFileSync(file))
      })
  )
  return cpuMs
}

function expectVoxloopError(outcome: unknown, code: string, ...parts: (string | RegExp)[]): void {
  expect(outcome, String(outcome)).toBeInstanceOf(VoxloopError)
  const error = outcome as VoxloopError
  expect(error.code, error.message).toBe(code)
  for (const part of parts) {
    if (typeof part === 'string') expect(error.message).toContain(part)
    else expect(error.message).toMatch(part)
  }
}

describe('the voxel-byte limit', () => {
  it('is 1/8 of physical memory, never above what one buffer can hold', () => {
    expect(defaultMaxVoxelBytes(24 * GiB)).toBe(3 * GiB)
    expect(defaultMaxVoxelBytes(8 * GiB)).toBe(GiB)
    expect(defaultMaxVoxelBytes(256 * GiB)).toBe(MAX_VOXEL_BYTES)
    expect(MAX_VOXEL_BYTES).toBeLessThan(2 ** 32)
    // The 2.1 GiB CT below: opened on a 24 GiB machine, refused on an 8 GiB laptop.
    const ct = 1024 * 1024 * 1050 * 2
    expect(ct).toBeLessThanOrEqual(defaultMaxVoxelBytes(24 * GiB))
    expect(ct).toBeGreaterThan(defaultMaxVoxelBytes(8 * GiB))
  })
})

describe('volumes over 2 GiB (sparse files)', () => {
  const dims = [1024, 1024, 1050]
  const dataBytes = dims[0] * dims[1] * dims[2] * 2
  // Voxels written at the start, just past byte 2^31 and at the very end of the voxel data.
  const early = new Int16Array([1111, -2222])
  const pastTwoGiB = new Int16Array([3333])
  const last = new Int16Array([-4444, 5555])
  const pastOffset = 2 ** 31 + 6
  const file = sparseNifti('ct-2.05GiB.nii', { dims, datatype: 4 }, dataBytes, [
    [200, new Uint8Array(early.buffer)],
    [pastOffset, new Uint8Array(pastTwoGiB.buffer)],
    [dataBytes - 4, new Uint8Array(last.buffer)]
  ])
  const enoughMemory = totalmem() >= 8 * GiB ? null : `needs 8 GiB of memory to hold a 2.05 GiB volume; this machine has ${(totalmem() / GiB).toFixed(1)} GiB`

  itUnless(
    enoughMemory,
    'reads a 2.05 GiB int16 volume as this machine\'s rule decides: voxels past byte 2^31 land in place',
    async () => {
      expect(dataBytes).toBeGreaterThan(2 ** 31)
      const outcome = await readNifti(file).catch((error: unknown) => error)
      if (dataBytes <= defaultMaxVoxelBytes()) {
        if (outcome instanceof Error) throw outcome
        const { header, data } = outcome as Awaited<ReturnType<typeof readNifti>>
        expect(header.dims).toEqual(dims)
        expect(data).toBeInstanceOf(Int16Array)
        expect(data.length).toBe(dataBytes / 2)
        expect([data[100], data[101]]).toEqual([1111, -2222])
        expect(data[pastOffset / 2]).toBe(3333)
        expect([data[data.length - 2], data[data.length - 1]]).toEqual([-4444, 5555])
        expect(data[data.length - 3]).toBe(0)
      } else {
        expectVoxloopError(outcome, 'NIFTI_UNSUPPORTED', file, 'volume too large', '1024x1024x1050x1 int16', "of this machine's")
      }
    },
    120_000
  )

  it('refuses it under a lower limit, naming file, dims and size, before allocating', async () => {
    const { outcome, rssGrowthMb } = await measured(() => readNifti(file, { maxVoxelBytes: 2 ** 31 }))
    expectVoxloopError(
      outcome,
      'NIFTI_UNSUPPORTED',
      `${file}: volume too large: 1024x1024x1050x1 int16 needs 2,202,009,600 bytes (2.05 GiB); the limit is 2,147,483,648 bytes (2.00 GiB)`
    )
    expect(rssGrowthMb).toBeLessThan(100)
  })

  it('reads its header cheaply', async () => {
    const { outcome, rssGrowthMb } = await measured(() => readNiftiHeader(file))
    expect((outcome as { dims: number[] }).dims).toEqual(dims)
    expect(rssGrowthMb).toBeLessThan(100)
    // No timing: the machine's load would decide it (speed belongs to benchmarks); memory shows the voxels stayed unread.
  })

  it.each([
    // NIfTI-2: its dims are int64 (NIfTI-1's int16 cannot say 65535).
    ['65535^3 int16', { version: 2, dims: [65535, 65535, 65535], datatype: 4 }, 'dim[1] is 65,535; the limit is 16,384 (dims 65535x65535x65535, int16: 562,924,184,010,750 bytes (524264.00 GiB))'],
    ['16384^3 float64', { dims: [16384, 16384, 16384], datatype: 64 }, 'volume too large: 16384x16384x16384x1 float64 needs 35,184,372,088,832 bytes'],
    ['16384^2 x 8 int16 scaled to float32', { dims: [16384, 16384, 8], datatype: 4, sclSlope: 2 }, 'volume too large: 16384x16384x8x1 int16 scaled to float32 needs 8,589,934,592 bytes (8.00 GiB)']
  ] as [string, NiftiSpec, string][])('refuses a header declaring %s at once, whatever the file holds', async (name, spec, message) => {
    const file = path.join(tmp, `${name.replace(/\W+/g, '-')}.nii`)
    // Only the header: nothing may be read or allocated past it.
    writeFileSync(file, headerBytes(spec, spec.version === 2 ? 544 : 352))
    for (const read of [readNifti, readNiftiHeader]) {
      // The file is the header alone, so refusing it at all shows nothing past the header was needed.
      const { outcome, rssGrowthMb } = await measured(() => read(file))
      expectVoxloopError(outcome, 'NIFTI_UNSUPPORTED', `${file}: ${message}`)
      expect(rssGrowthMb).toBeLessThan(50)
    }
  })
})

describe('gzip bombs', () => {
  it('refuses a 2 MB file declaring 8 GiB right after its header, in bounded time and memory', async () => {
    // 16384 x 16384 x 16 int16 = 8 GiB declared; the stream really holds 2 GiB of zeros.
    const file = gzipBomb('declares-8GiB.nii.gz', headerBytes({ dims: [16384, 16384, 16], datatype: 4 }, 352), 2 * GiB)
    const inflateAll = await fullInflateCpuMs(file)
    for (const read of [readNifti, readNiftiHeader]) {
      const { outcome, cpuMs, rssGrowthMb } = await measured(() => read(file))
      expectVoxloopError(outcome, 'NIFTI_UNSUPPORTED', file, 'volume too large: 16384x16384x16x1 int16 needs 8,589,934,592 bytes')
      expect(cpuMs, `refusing took ${cpuMs.toFixed(0)} ms of CPU, inflating the whole stream ${inflateAll.toFixed(0)} ms`).toBeLessThan(inflateAll / 10)
      expect(rssGrowthMb).toBeLessThan(200)
    }
  })

  it('inflates no more than the header declares: 2 GiB of zeros behind a 512 KiB volume', async () => {
    const dims = [64, 64, 64]
    const file = gzipBomb('small-header-long-stream.nii.gz', headerBytes({ dims, datatype: 4 }, 352), 2 * GiB)
    const inflateAll = await fullInflateCpuMs(file)
    const { outcome, cpuMs, rssGrowthMb } = await measured(() => readNifti(file))
    if (outcome instanceof Error) throw outcome
    const { header, data } = outcome as Awaited<ReturnType<typeof readNifti>>
    expect(header.dims).toEqual(dims)
    expect(data.length).toBe(64 ** 3)
    expect(data.every((v) => v === 0)).toBe(true)
    expect(cpuMs, `reading took ${cpuMs.toFixed(0)} ms of CPU, inflating the whole stream ${inflateAll.toFixed(0)} ms`).toBeLessThan(inflateAll / 10)
    expect(rssGrowthMb).toBeLessThan(200)
  })

  it('refuses a bomb that fits the hard limit but not a lowered one, before inflating it', async () => {
    // 1024 x 512 x 512 int16 = 512 MiB, really there; the limit injected here is 64 MiB.
    const file = gzipBomb('declares-512MiB.nii.gz', headerBytes({ dims: [1024, 512, 512], datatype: 4 }, 352), 512 * MiB + 352)
    const inflateAll = await fullInflateCpuMs(file)
    const { outcome, cpuMs, rssGrowthMb } = await measured(() => readNifti(file, { maxVoxelBytes: 64 * MiB }))
    expectVoxloopError(outcome, 'NIFTI_UNSUPPORTED', `${file}: volume too large: 1024x512x512x1 int16 needs 536,870,912 bytes (0.50 GiB); the limit is 67,108,864 bytes (0.06 GiB)`)
    expect(cpuMs, `refusing took ${cpuMs.toFixed(0)} ms of CPU, inflating the whole stream ${inflateAll.toFixed(0)} ms`).toBeLessThan(inflateAll / 10)
    expect(rssGrowthMb).toBeLessThan(100)
  })

  it('refuses a header declaring more than its gzip stream could ever inflate to', async () => {
    // 1 GiB declared by a file of a few kilobytes: deflate tops out near 1032:1.
    const file = path.join(tmp, 'claims-too-much.nii.gz')
    writeFileSync(file, zlib.gzipSync(Buffer.concat([headerBytes({ dims: [1024, 1024, 512], datatype: 4 }, 352), Buffer.alloc(4096)])))
    for (const read of [readNifti, readNiftiHeader]) {
      const { outcome, rssGrowthMb } = await measured(() => read(file, { maxVoxelBytes: 2 * GiB }))
      expectVoxloopError(outcome, 'NIFTI_INVALID', file, /file is truncated: the header declares 1,073,742,176 bytes but \d[\d,]* bytes of gzip cannot hold more than/)
      expect(rssGrowthMb).toBeLessThan(100)
    }
  })
})
