/**
 * A single-file NIfTI copied as .nii.gz with its header extensions repaired (niftiExtensions):
 * streamed, so that a volume of any size costs a few megabytes, and cut at the end of the voxel
 * data that the header declares, so that whatever follows (trailing garbage, the rest of a gzip
 * bomb) is neither inflated nor stored.
 */
import type { Writable } from 'node:stream'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { FileByteStream } from './FileByteStream'
import { applyPatches, type ExtensionCheck } from './niftiExtensions'

/** Bytes handed to gzip at a time. */
const COPY_CHUNK_BYTES = 1 << 20

async function* patchedBytes(path: string, check: ExtensionCheck): AsyncGenerator<Buffer> {
  const end = check.layout.voxOffset + check.layout.dataBytes
  const stream = await FileByteStream.open(path, { reportPath: path, what: 'file' }, { maxOutputBytes: end })
  try {
    let position = 0
    while (position < end) {
      const { chunks, bytes } = await stream.readChunks(Math.min(COPY_CHUNK_BYTES, end - position))
      if (bytes === 0) return
      for (const chunk of chunks) {
        // Our own bytes (a fresh read, or a slice of zlib output that nothing else holds).
        applyPatches(chunk, position, check.patches)
        position += chunk.length
        yield chunk
      }
    }
  } finally {
    await stream.close()
  }
}

/**
 * Writes the gzipped, repaired copy of `path` to `destination` (which it ends). `check` is what
 * checkNiftiExtensions said about this file.
 */
export async function copyNiftiGz(path: string, check: ExtensionCheck, destination: Writable): Promise<void> {
  await pipeline(Readable.from(patchedBytes(path, check)), createGzip(), destination)
}
