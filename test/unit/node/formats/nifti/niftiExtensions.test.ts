/**
 * Header-extension checks and the repaired .nii.gz copy made from them: each broken file below is
 * one that nibabel refuses to load, its repaired copy is one that nibabel loads, and the repair
 * changes only the bytes it names (voxels, vox_offset and valid extensions stay where they were).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { copyNiftiGz } from '../../../../../src/node/formats/nifti/copyNiftiGz'
import { checkNiftiExtensions } from '../../../../../src/node/formats/nifti/niftiExtensions'
import { readNifti } from '../../../../../src/node/formats/nifti'
import { buildNifti, type NiftiSpec } from '../../../../helpers/niftiBuilder'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { itUnless } from '../../../../helpers/skipWithReason'

const PYTHON = '/usr/bin/python3'
const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-nifti-ext-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function nibabelAvailability(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import nibabel, numpy'], { encoding: 'utf8' })
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`
  if (probe.status !== 0) return `${PYTHON} -c "import nibabel" failed (install python3-nibabel): ${probe.stderr.trim().split('\n').pop() ?? ''}`
  return null
}

/** {path: null when nibabel loads it in full, else its error} for every file, in one process. */
function nibabelLoads(files: string[]): Record<string, string | null> {
  const script = String.raw`
import sys, json, warnings
import numpy as np
import nibabel as nib
warnings.simplefilter('ignore')
out = {}
for p in json.load(sys.stdin):
    try:
        np.asanyarray(nib.load(p).dataobj)
        out[p] = None
    except Exception as e:
        out[p] = '%s: %s' % (type(e).__name__, e)
print(json.dumps(out))
`
  const run = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(files), encoding: 'utf8' })
  if (run.status !== 0) throw new Error(run.stderr)
  return JSON.parse(run.stdout) as Record<string, string | null>
}

function extension(esize: number, ecode: number, content: string | Uint8Array, le = true, length = esize): Uint8Array {
  const out = new Uint8Array(length)
  const view = new DataView(out.buffer)
  view.setInt32(0, esize, le)
  view.setInt32(4, ecode, le)
  out.set(typeof content === 'string' ? new TextEncoder().encode(content) : content, 8)
  return out
}

const dims = [4, 5, 6]
const voxels = Int16Array.from({ length: 120 }, (_, i) => i * 3 - 50)
const comment = (text: string, le = true): Uint8Array => extension(32, 6, text, le)
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts))

function write(name: string, bytes: Uint8Array, gz = false): string {
  const file = path.join(tmp, `${name}.nii${gz ? '.gz' : ''}`)
  writeFileSync(file, gz ? gzipSync(bytes) : bytes)
  return file
}

async function repairedCopy(file: string): Promise<{ copy: string; bytes: Uint8Array }> {
  const check = await checkNiftiExtensions(file)
  const copy = file.replace(/\.nii(\.gz)?$/, '.repaired.nii.gz')
  const sink = new PassThrough()
  const parts: Buffer[] = []
  sink.on('data', (chunk: Buffer) => parts.push(chunk))
  await copyNiftiGz(file, check, sink)
  writeFileSync(copy, Buffer.concat(parts))
  return { copy, bytes: Uint8Array.from(gunzipSync(Buffer.concat(parts))) }
}

// Broken files nibabel refuses, with what our check must patch.
const broken: [string, NiftiSpec, RegExp][] = [
  ['esize 0', { dims, datatype: 4, extension: concat(comment('kept'), extension(0, 6, 'x', true, 32)) }, /at byte 384: esize 0 is not a positive multiple of 16; it and the rest of the extension area \(32 bytes\) dropped/],
  ['esize 8', { dims, datatype: 4, extension: extension(8, 6, 'x', true, 48) }, /esize 8 is not a positive multiple of 16/],
  ['negative esize', { dims, datatype: 4, extension: extension(-16, 6, 'x', true, 32) }, /esize -16 is not/],
  ['esize past vox_offset', { dims, datatype: 4, extension: extension(4096, 6, 'x', true, 32) }, /esize 4,096 runs past vox_offset 384/],
  ['DICOM that pydicom cannot parse', { dims, datatype: 4, extension: extension(32, 2, new Uint8Array([0, 1, 2, 3, 0x80, 0x81, 0xfe])) }, /a DICOM extension \(ecode 2\)/],
  ['CIFTI XML that is not XML', { dims, datatype: 4, extension: extension(32, 32, '<<not xml') }, /a CIFTI extension \(ecode 32\)/],
  ['big-endian esize 0', { dims, datatype: 4, littleEndian: false, extension: concat(comment('kept', false), extension(0, 6, 'x', false, 32)) }, /esize 0 is not/],
  ['NIfTI-2 esize past vox_offset', { version: 2, dims, datatype: 4, extension: extension(64, 6, 'x', true, 48) }, /esize 64 runs past vox_offset 592/],
  ['vox_offset inside the header', { dims, datatype: 4, voxOffset: 100 }, /vox_offset 100 is inside the header; set to 352/],
  ['extension flag with vox_offset 0', { dims, datatype: 4, voxOffset: 0, extension: new Uint8Array(0) }, /extension flag is set but vox_offset is 0/]
]

describe('checkNiftiExtensions', () => {
  itUnless(sharedDataMissing, 'finds nothing to repair in real files with extensions (NIfTI-1, NIfTI-2, big-endian)', async () => {
    for (const file of [
      sharedDataPath('nifti-suite', 'nibabel', 'example4d.nii.gz'),
      sharedDataPath('nifti-suite', 'nibabel', 'example_nifti2.nii.gz'),
      sharedDataPath('nifti-suite', 'nifti-reader-js', 'with_extension.nii.gz')
    ]) {
      const check = await checkNiftiExtensions(file)
      expect(check.patches, file).toEqual([])
      expect(check.dropped, file).toEqual([])
      expect(check.compressed).toBe(true)
    }
  })

  it('finds nothing to repair in an uncompressed file with two valid extensions', async () => {
    const plain = write('two-comments', buildNifti({ dims, datatype: 4, extension: concat(comment('one'), comment('two')) }, voxels))
    expect(await checkNiftiExtensions(plain)).toMatchObject({ compressed: false, patches: [], dropped: [], layout: { voxOffset: 416, dataBytes: 240 } })
  })

  it.each(broken)('repairs %s', async (name, spec, dropped) => {
    const source = buildNifti(spec, voxels)
    if (spec.voxOffset === 0) source[348] = 1 // the builder sets the flag only for a non-empty extension
    for (const gz of [false, true]) {
      const file = write(`${name.replace(/\W+/g, '-')}${gz ? '-gz' : ''}`, source, gz)
      const check = await checkNiftiExtensions(file)
      expect(check.dropped).toHaveLength(1)
      expect(check.dropped[0]).toMatch(dropped)
      const { copy, bytes } = await repairedCopy(file)
      // Only the patched bytes differ; the copy is the original otherwise, up to the last voxel.
      expect(bytes.length).toBe(check.layout.voxOffset + check.layout.dataBytes)
      const changed = [...bytes.keys()].filter((i) => bytes[i] !== source[i])
      const patched = new Set(check.patches.flatMap((p) => Array.from({ length: p.bytes.length }, (_, k) => p.offset + k)))
      expect(changed.every((i) => patched.has(i)), `${name}: bytes ${changed.join(',')} changed`).toBe(true)
      // The copy needs no further repair and reads as the same volume.
      expect((await checkNiftiExtensions(copy)).patches).toEqual([])
      expect(Array.from((await readNifti(copy)).data)).toEqual(Array.from((await readNifti(file)).data))
    }
  })

  it('keeps a valid extension before a broken one byte for byte', async () => {
    const file = write('kept-first', buildNifti(broken[0][1], voxels))
    const { bytes } = await repairedCopy(file)
    expect(Buffer.from(bytes.subarray(352, 384)).equals(Buffer.from(comment('kept')))).toBe(true)
    const view = new DataView(bytes.buffer)
    expect([view.getInt32(384, true), view.getInt32(388, true)]).toEqual([32, 0])
  })

  it('cuts a copy at the declared end: trailing bytes are neither inflated nor stored', async () => {
    const whole = concat(buildNifti({ dims, datatype: 4 }, voxels), new Uint8Array(8 << 20).fill(7))
    const file = write('trailing', whole, true)
    const { bytes } = await repairedCopy(file)
    expect(bytes.length).toBe(352 + 240)
    expect(Buffer.from(bytes).equals(Buffer.from(whole.subarray(0, 592)))).toBe(true)
  })

  itUnless(sharedDataMissing ?? nibabelAvailability(), 'nibabel refuses every broken file and loads every repaired copy', async () => {
    const originals: string[] = []
    const copies: string[] = []
    for (const [name, spec] of broken) {
      const source = buildNifti(spec, voxels)
      if (spec.voxOffset === 0) source[348] = 1
      const file = write(`nib-${name.replace(/\W+/g, '-')}`, source, true)
      originals.push(file)
      copies.push((await repairedCopy(file)).copy)
    }
    const loaded = nibabelLoads([...originals, ...copies])
    expect(originals.filter((file) => loaded[file] === null)).toEqual([])
    expect(copies.filter((file) => loaded[file] !== null).map((file) => `${file}: ${loaded[file] ?? ''}`)).toEqual([])
  })
})
