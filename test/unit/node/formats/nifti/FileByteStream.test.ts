import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { FileByteStream } from '../../../../../src/node/formats/nifti/FileByteStream'
import { VoxloopError } from '../../../../../src/shared/errors'
import { itUnless } from '../../../../helpers/skipWithReason'

const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-byte-stream-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const label = (file: string): { reportPath: string; what: string } => ({ reportPath: file, what: 'file' })

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(tmp, name)
  writeFileSync(file, bytes)
  return file
}

/** Rejects with a clear message instead of letting a hang run into the test timeout. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const fifoUnavailable = process.platform === 'win32' ? 'Windows has no mkfifo (named pipes there are not files in a folder)' : null

describe('FileByteStream', () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) % 256)

  it('splits raw reads into calls of at most maxReadBytes, and puts every byte in place', async () => {
    const file = write('raw.bin', bytes)
    const stream = await FileByteStream.open(file, label(file), { maxReadBytes: 7 })
    try {
      expect(await stream.skip(13)).toBe(13)
      const target = new Uint8Array(987)
      expect(await stream.readInto(target)).toBe(987)
      expect(Array.from(target)).toEqual(Array.from(bytes.subarray(13)))
      expect(stream.rawReadCount).toBe(Math.ceil(987 / 7))
      // At the end of the file the read comes up short instead of looping.
      expect(await stream.readInto(new Uint8Array(5))).toBe(0)
    } finally {
      await stream.close()
    }
  })

  it('reads 256 MiB at a time by default (one call for a small file)', async () => {
    const file = write('raw-default.bin', bytes)
    const stream = await FileByteStream.open(file, label(file))
    try {
      expect(await stream.readInto(new Uint8Array(1000))).toBe(1000)
      expect(stream.rawReadCount).toBe(1)
    } finally {
      await stream.close()
    }
  })

  it('stops at maxOutputBytes: what follows is not handed out, and the stream ends there', async () => {
    const big = new Uint8Array(8 << 20).fill(9)
    big.set(bytes)
    const file = write('long.gz', gzipSync(big))
    const stream = await FileByteStream.open(file, label(file), { chunkBytes: 64 << 10, maxOutputBytes: 1000 })
    try {
      const { chunks, bytes: got } = await stream.readChunks(1 << 20)
      expect(got).toBe(1000)
      expect(Array.from(Buffer.concat(chunks))).toEqual(Array.from(bytes))
      expect(await stream.drain(0)).toBe(0)
    } finally {
      await stream.close()
    }
  })

  it('refuses a directory and a character device without reading them', async () => {
    await expect(FileByteStream.open(tmp, label(tmp))).rejects.toMatchObject({ code: 'NIFTI_INVALID', message: `${tmp}: file is a directory, not a regular file` })
    if (process.platform !== 'win32') {
      await expect(within(2000, FileByteStream.open('/dev/zero', label('/dev/zero')))).rejects.toMatchObject({
        code: 'NIFTI_INVALID',
        message: '/dev/zero: file is a character device, not a regular file'
      })
    }
  })

  itUnless(fifoUnavailable, 'refuses a Unix socket', async () => {
    const socketPath = path.join(tmp, 'socket.nii')
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(socketPath, resolve))
    try {
      await expect(within(2000, FileByteStream.open(socketPath, label(socketPath)))).rejects.toMatchObject({
        code: 'NIFTI_INVALID',
        message: `${socketPath}: is a socket or a device, not a regular file`
      })
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  itUnless(fifoUnavailable, 'refuses a named pipe at once instead of waiting for a writer', async () => {
    const fifo = path.join(tmp, 'pipe.nii')
    execFileSync('mkfifo', [fifo])
    const error = await within(2000, FileByteStream.open(fifo, label(fifo))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(VoxloopError)
    expect((error as VoxloopError).code).toBe('NIFTI_INVALID')
    expect((error as VoxloopError).message).toBe(`${fifo}: file is a named pipe (FIFO), not a regular file`)
  })
})
