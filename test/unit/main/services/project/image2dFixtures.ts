import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { crc32 } from 'node:zlib'
import { PNG } from 'pngjs'

/**
 * PNG files for 2D import tests, written with pngjs (not with the code under test): 8-bit grey from
 * `values` (row-major, row 0 on top) or 8-bit RGB from `rgb` (interleaved).
 */

export function greyPng(width: number, height: number, values: ArrayLike<number>): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false })
  png.data = Buffer.from(Array.from({ length: width * height }, (_, n) => values[n] ?? 0))
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false })
}

export function rgbPng(width: number, height: number, rgb: ArrayLike<number>): Buffer {
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, bitDepth: 8, inputHasAlpha: false })
  png.data = Buffer.from(Array.from({ length: width * height * 3 }, (_, n) => rgb[n] ?? 0))
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, bitDepth: 8, inputHasAlpha: false })
}

/** Writes `files` (relative path → bytes or text) under `dir`, making folders as needed. */
export async function writeTree(dir: string, files: Record<string, Uint8Array | string>): Promise<string> {
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(dir, relative)
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, content)
  }
  return dir
}

/** `png` with a pHYs chunk (pixels per metre, unit metre) after its header, as image editors write it. */
export function withPixelsPerMetre(png: Buffer, perMetreX: number, perMetreY: number): Buffer {
  const data = Buffer.alloc(9)
  data.writeUInt32BE(perMetreX, 0)
  data.writeUInt32BE(perMetreY, 4)
  data.writeUInt8(1, 8)
  const chunk = Buffer.alloc(12 + data.length)
  chunk.writeUInt32BE(data.length, 0)
  chunk.write('pHYs', 4, 'latin1')
  data.copy(chunk, 8)
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length)
  // Signature (8 bytes) + IHDR (4 length + 4 type + 13 data + 4 CRC).
  const afterHeader = 8 + 25
  return Buffer.concat([png.subarray(0, afterHeader), chunk, png.subarray(afterHeader)])
}
