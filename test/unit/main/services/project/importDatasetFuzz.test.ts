/**
 * Seeded fuzzing of import with real NIfTI files whose header and extension bytes are mutated, then
 * the property that matters to anyone using the project outside Voxloop: every image Voxloop
 * stored loads in nibabel (one Python process checks them all), and holds the same voxels that
 * Voxloop read from the source. Each import must also finish (no hang) with every file either
 * imported or skipped with a reason.
 *
 * Sources, each a real header with real extensions: nibabel's example_nifti2 (NIfTI-2, two comment
 * extensions), MSD hippocampus_001 with example4d's two comment extensions spliced in (NIfTI-1),
 * and NIFTI-Reader-JS's with_extension header (big-endian, a Mango XML extension) over small data.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { readNifti } from '../../../../../src/main/services/volumes/nifti'
import { createRandom, type Random } from '../../../../../src/shared/random'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { makeTempDir, removeDir } from './projectFixtures'

const PYTHON = '/usr/bin/python3'
const SEED = Number(process.env.VOXLOOP_FUZZ_SEED ?? 0x1e_2026)
const CASES_PER_SOURCE = Number(process.env.VOXLOOP_FUZZ_CASES ?? 100)

function nibabelAvailability(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import nibabel, numpy'], { encoding: 'utf8' })
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`
  if (probe.status !== 0) return `${PYTHON} -c "import nibabel" failed (install python3-nibabel): ${probe.stderr.trim().split('\n').pop() ?? ''}`
  return null
}

const unavailable = sharedDataMissing ?? nibabelAvailability()

/** Loads every file given on stdin (one JSON list) in full; prints {path: error or null}. */
const NIBABEL_SCRIPT = String.raw`
import sys, json, warnings
import numpy as np
import nibabel as nib
warnings.simplefilter('ignore')
result = {}
for path in json.load(sys.stdin):
    try:
        img = nib.load(path)
        np.asanyarray(img.dataobj)
        result[path] = None
    except Exception as e:
        result[path] = '%s: %s' % (type(e).__name__, e)
print(json.dumps(result))
`

interface Source {
  name: string
  /** Decompressed bytes of a single-file NIfTI with extensions. */
  bytes: Uint8Array
  version: 1 | 2
  littleEndian: boolean
}

function gunzipIfNeeded(bytes: Uint8Array): Uint8Array {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? Uint8Array.from(gunzipSync(bytes)) : Uint8Array.from(bytes)
}

async function loadSources(): Promise<Source[]> {
  const nifti2 = gunzipIfNeeded(await readFile(sharedDataPath('nifti-suite', 'nibabel', 'example_nifti2.nii.gz')))
  // NIfTI-1: a real image with real extensions (example4d's two comments, bytes 352–416) spliced in.
  const hippo = gunzipIfNeeded(await readFile(sharedDataPath('labeled', 'msd_task04_hippocampus', 'imagesTr', 'hippocampus_001.nii.gz')))
  const example4d = gunzipIfNeeded(await readFile(sharedDataPath('nifti-suite', 'nibabel', 'example4d.nii.gz')))
  const extension = example4d.subarray(352, 416)
  const spliced = new Uint8Array(hippo.length + extension.length)
  spliced.set(hippo.subarray(0, 352))
  spliced.set(extension, 352)
  spliced.set(hippo.subarray(352), 416)
  spliced[348] = 1
  new DataView(spliced.buffer).setFloat32(108, 416, true)
  // Big-endian: with_extension's header and Mango extension (vox_offset 736) over a small uint8 grid.
  const mango = gunzipIfNeeded(await readFile(sharedDataPath('nifti-suite', 'nifti-reader-js', 'with_extension.nii.gz')))
  const dims = [20, 16, 12]
  const bigEndian = new Uint8Array(736 + dims[0] * dims[1] * dims[2])
  bigEndian.set(mango.subarray(0, 736))
  const view = new DataView(bigEndian.buffer)
  view.setInt16(40, 3, false)
  dims.forEach((d, i) => view.setInt16(42 + 2 * i, d, false))
  for (let i = 736; i < bigEndian.length; i++) bigEndian[i] = i % 251
  return [
    { name: 'nifti2', bytes: nifti2, version: 2, littleEndian: true },
    { name: 'nifti1', bytes: spliced, version: 1, littleEndian: true },
    { name: 'big-endian', bytes: bigEndian, version: 1, littleEndian: false }
  ]
}

/** One mutation of the header or extension bytes; returns a short name for the file. */
function mutate(bytes: Uint8Array, source: Source, random: Random): string {
  const le = source.littleEndian
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerBytes = source.version === 1 ? 348 : 540
  const readVoxOffset = (): number => (source.version === 1 ? view.getFloat32(108, le) : Number(view.getBigInt64(168, le)))
  const voxOffset = readVoxOffset()
  const writeVoxOffset = (value: number): void => {
    if (source.version === 1) view.setFloat32(108, value, le)
    else view.setBigInt64(168, BigInt(value), le)
  }
  // Where the extensions are, to aim mutations at their esize/ecode fields.
  const starts: number[] = []
  const areaEnd = Math.min(voxOffset, bytes.length)
  for (let at = headerBytes + 4; at + 8 <= areaEnd; ) {
    starts.push(at)
    const esize = view.getInt32(at, le)
    if (esize < 16) break
    at += esize
  }
  const extensionAt = starts.length > 0 ? random.pick(starts) : headerBytes + 4
  const kind = random.pick(['esize', 'esize', 'ecode', 'ecode', 'flag', 'vox_offset', 'ext-flip', 'ext-flip', 'header-flip'] as const)
  switch (kind) {
    case 'esize': {
      const value = random.pick([0, 8, 12, -16, 24, 48, 2 ** 31 - 1, -(2 ** 31), voxOffset - extensionAt + 16, voxOffset - extensionAt - 8, 16])
      view.setInt32(extensionAt, value, le)
      return `esize@${extensionAt}=${value}`
    }
    case 'ecode': {
      const value = random.pick([2, 1, 7, -1, 44, 46, 1_000_000, 32, 0, 6])
      if (extensionAt === headerBytes + 4 && starts.length > 0) {
        // Make some DICOM claims hold content pydicom cannot decode.
        bytes.set([0x80, 0x81, 0xfe, 0xff], extensionAt + 8)
      }
      view.setInt32(extensionAt + 4, value, le)
      return `ecode@${extensionAt}=${value}`
    }
    case 'flag': {
      const value = random.pick([0, 1, 255])
      bytes[headerBytes] = value
      return `flag=${value}`
    }
    case 'vox_offset': {
      const value = random.pick([0, 100, headerBytes + 4, headerBytes + 12, voxOffset - 16, voxOffset + 16])
      writeVoxOffset(value)
      return `vox_offset=${value}`
    }
    case 'ext-flip': {
      const flips = random.int(1, 6)
      for (let n = 0; n < flips; n++) bytes[random.int(headerBytes, Math.max(headerBytes, areaEnd - 1))] ^= 1 << random.int(0, 7)
      return `ext-flip${flips}`
    }
    case 'header-flip': {
      const flips = random.int(1, 3)
      for (let n = 0; n < flips; n++) bytes[random.int(0, headerBytes - 1)] ^= 1 << random.int(0, 7)
      return `header-flip${flips}`
    }
  }
}

let base: string
const stores: ProjectStore[] = []

beforeAll(async () => {
  base = await makeTempDir('import-fuzz')
})

afterAll(async () => {
  for (const store of stores) await store.dispose()
  await removeDir(base)
})

describeUnless(unavailable, 'import of files with mutated headers and extensions', () => {
  it(
    `stores only files that nibabel loads (${CASES_PER_SOURCE} mutations of each of 3 real files)`,
    async () => {
      const random = createRandom(SEED)
      const sources = await loadSources()
      const stored: { file: string; source: string }[] = []
      let repaired = 0
      let skipped = 0
      for (const source of sources) {
        const dir = path.join(base, `source-${source.name}`)
        await mkdir(dir)
        const written: string[] = []
        for (let n = 0; n < CASES_PER_SOURCE; n++) {
          const bytes = Uint8Array.from(source.bytes)
          const mutations = random.int(1, 3)
          const names: string[] = []
          for (let m = 0; m < mutations; m++) names.push(mutate(bytes, source, random))
          const gz = random.chance(0.5)
          // The mutations in the name: a failure then says what was done to the file.
          const stem = `case${String(n).padStart(3, '0')}-${names.join('-').replace(/[^A-Za-z0-9]+/g, '_')}`
          const file = path.join(dir, `${stem}.nii${gz ? '.gz' : ''}`)
          await writeFile(file, gz ? gzipSync(bytes, { level: 1 }) : bytes)
          written.push(file)
        }
        const store = await ProjectStore.create(path.join(base, `project-${source.name}`), { name: source.name })
        stores.push(store)
        const report = await importDataset(store, dir)
        // Every file is accounted for: imported, or skipped with a reason naming it.
        const importedFiles = new Set(report.imported.map((c) => c.imageFile))
        const repairedFiles = new Set(report.skipped.filter((s) => /header repaired/.test(s.reason)).map((s) => s.file))
        const skippedFiles = new Set(report.skipped.filter((s) => !/header repaired/.test(s.reason)).map((s) => s.file))
        for (const file of written) expect(importedFiles.has(file) !== skippedFiles.has(file), file).toBe(true)
        for (const file of repairedFiles) expect(importedFiles.has(file), file).toBe(true)
        repaired += repairedFiles.size
        skipped += skippedFiles.size
        for (const imported of report.imported) {
          const target = path.join(store.root, 'images', `${imported.caseId}.nii.gz`)
          stored.push({ file: target, source: imported.imageFile })
        }
      }
      const run = spawnSync(PYTHON, ['-c', NIBABEL_SCRIPT], {
        input: JSON.stringify(stored.map((s) => s.file)),
        encoding: 'utf8',
        maxBuffer: 64 << 20
      })
      expect(run.status, run.stderr).toBe(0)
      const loaded = JSON.parse(run.stdout) as Record<string, string | null>
      const failures = stored.filter((s) => loaded[s.file] !== null).map((s) => `${s.source} → ${s.file}: ${loaded[s.file] ?? 'not checked'}`)
      expect(failures).toEqual([])
      // The mutations must exercise all three paths, or the fuzzer has stopped testing anything.
      expect(stored.length).toBeGreaterThan(60)
      expect(repaired).toBeGreaterThan(30)
      expect(skipped).toBeGreaterThan(10)

      // Repairs touch header bytes only: the voxels Voxloop stored are the voxels it read.
      for (const { file, source } of stored.filter((_, n) => n % 5 === 0)) {
        const [original, copy] = await Promise.all([readNifti(source), readNifti(file)])
        expect(copy.header.dims, file).toEqual(original.header.dims)
        expect(Buffer.from(copy.data.buffer, copy.data.byteOffset, copy.data.byteLength).equals(Buffer.from(original.data.buffer, original.data.byteOffset, original.data.byteLength)), file).toBe(true)
      }
    },
    120_000
  )
})
