/**
 * Peer test: every NIfTI file of the shared data read by our reader and by nibabel (one Python
 * process for all of them), compared on shape, affine, spacing, stored datatype and voxel values;
 * and labels written by our writer read back by nibabel on exactly their image's affine.
 *
 * Known, intended differences (asserted below, not skipped):
 * - qform_code = sform_code = 0 (nifti_nimh/minimal.*): we follow nifti1.h "method 1", diag(pixdim)
 *   with the origin at voxel 0 ('RAS'); nibabel falls back to an ANALYZE-style affine (x flipped,
 *   origin at the grid centre, 'LAS').
 * - 5D_small.nii (1x2x3x1x3): nibabel reads it; we refuse 5D by design (NIFTI_UNSUPPORTED).
 * - row_major.dconn.nii: nibabel loads it as a Cifti2Image, not a volume; we refuse it as CIFTI.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { readNifti, writeLabelNifti } from '../../../../../src/node/formats/nifti'
import { VoxloopError } from '../../../../../src/shared/errors'
import type { Volume, VolumeHeader } from '../../../../../src/shared/volume'
import { listSharedNiftiFiles, SHARED_DATA_DIR, sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'

const PYTHON = '/usr/bin/python3'
const SAMPLES = 50
const RELATIVE_TOLERANCE = 1e-5

function nibabelAvailability(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import nibabel, numpy'], { encoding: 'utf8' })
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`
  if (probe.status !== 0) return `${PYTHON} -c "import nibabel" failed: ${probe.stderr.trim().split('\n').pop() ?? ''}`
  return null
}

const unavailable = sharedDataMissing ?? nibabelAvailability()

const NIBABEL_SCRIPT = String.raw`
import sys, json, warnings
import numpy as np
import nibabel as nib
warnings.simplefilter('ignore')
request = json.load(sys.stdin)
samples = request['samples']

def stored_dtype(img):
    dt = img.get_data_dtype()
    if dt.names:
        return 'rgb24' if len(dt.names) == 3 else 'rgba32'
    return dt.newbyteorder('=').name

def finite_or_none(v):
    return float(v) if np.isfinite(v) else None

def describe(path):
    try:
        img = nib.load(path)
    except Exception as e:
        return {'ok': False, 'error': '%s: %s' % (type(e).__name__, e)}
    if isinstance(img, nib.Cifti2Image) or not isinstance(img, (nib.Nifti1Pair, nib.Nifti2Pair)):
        return {'ok': False, 'error': 'not a NIfTI volume: %s' % type(img).__name__}
    try:
        raw = np.asanyarray(img.dataobj)
        if raw.dtype.names:
            data = np.stack([raw[name] for name in raw.dtype.names], axis=-1).astype(np.float64)
        else:
            data = img.get_fdata(dtype=np.float64)
    except Exception as e:
        return {'ok': False, 'error': '%s: %s' % (type(e).__name__, e)}
    hdr = img.header
    flat = data.reshape(-1, order='F')
    idx = (np.arange(samples, dtype=np.int64) * 2654435761 + 97) % flat.size
    finite = flat[np.isfinite(flat)]
    return {
        'ok': True,
        'shape': [int(s) for s in data.shape],
        'affine': img.affine.tolist(),
        'voxelSizes': nib.affines.voxel_sizes(img.affine).tolist(),
        'zooms': [float(z) for z in hdr.get_zooms()[:3]],
        'dtype': stored_dtype(img),
        'qformCode': int(hdr['qform_code']),
        'sformCode': int(hdr['sform_code']),
        'sum': float(finite.sum()),
        'absSum': float(np.abs(finite).sum()),
        'min': float(finite.min()) if finite.size else None,
        'max': float(finite.max()) if finite.size else None,
        'nonFinite': int(flat.size - finite.size),
        'sampleIndices': [int(i) for i in idx],
        'samples': [finite_or_none(v) for v in flat[idx]],
    }

def check_label(check):
    img = nib.load(check['image'])
    lab = nib.load(check['label'])
    arr = np.asanyarray(lab.dataobj)
    expected = ((np.arange(arr.size, dtype=np.int64) * 7919) % check['modulo']).reshape(arr.shape, order='F')
    ih, lh = img.header, lab.header
    return {
        'affineEqual': bool(np.array_equal(img.affine, lab.affine)),
        'sformEqual': bool(np.array_equal(ih.get_sform(), lh.get_sform())) and int(ih['sform_code']) == int(lh['sform_code']),
        'qformEqual': bool(np.array_equal(ih.get_qform(), lh.get_qform())) and int(ih['qform_code']) == int(lh['qform_code']),
        'pixdimEqual': bool(np.array_equal(ih['pixdim'][:4], lh['pixdim'][:4])),
        'unitsEqual': int(ih['xyzt_units']) == int(lh['xyzt_units']),
        'shape': [int(s) for s in arr.shape],
        'imageShape': [int(s) for s in img.shape[:3]],
        'dtype': arr.dtype.newbyteorder('=').name,
        'dim0': int(lh['dim'][0]),
        'valuesEqual': bool(np.array_equal(arr, expected)),
    }

json.dump({
    'files': {p: describe(p) for p in request['files']},
    'labels': [check_label(c) for c in request['labels']],
}, sys.stdout)
`

interface NibabelFile {
  ok: boolean
  error?: string
  shape: number[]
  affine: number[][]
  voxelSizes: number[]
  zooms: number[]
  dtype: string
  qformCode: number
  sformCode: number
  sum: number
  absSum: number
  min: number | null
  max: number | null
  nonFinite: number
  sampleIndices: number[]
  samples: (number | null)[]
}

interface NibabelLabelCheck {
  affineEqual: boolean
  sformEqual: boolean
  qformEqual: boolean
  pixdimEqual: boolean
  unitsEqual: boolean
  shape: number[]
  imageShape: number[]
  dtype: string
  dim0: number
  valuesEqual: boolean
}

type Ours = { ok: true; volume: Volume } | { ok: false; error: VoxloopError }

const files = unavailable ? [] : listSharedNiftiFiles()
const relative = (file: string): string => path.relative(SHARED_DATA_DIR, file)
/** Files one side refuses and the other reads, with the reason (see the header comment). */
const REFUSED_BY_DESIGN: Record<string, RegExp> = {
  'nifti-suite/nifti-reader-js/5D_small.nii': /5D images are not supported/
}
const LABEL_IMAGES = [
  { file: sharedDataPath('labeled', 'msd_task04_hippocampus', 'imagesTr', 'hippocampus_001.nii.gz'), modulo: 3 },
  { file: sharedDataPath('labeled', 'totalsegmentator_examples', 'imagesTr', 'example_mr_sm.nii.gz'), modulo: 50 },
  { file: sharedDataPath('nifti-suite', 'niivue-demo-images', 'CT_pitch.nii.gz'), modulo: 300 },
  { file: sharedDataPath('nifti-suite', 'nibabel', 'example4d.nii.gz'), modulo: 7 }
]

const ours = new Map<string, Ours>()
let nibabel: { files: Record<string, NibabelFile>; labels: NibabelLabelCheck[] }
let labelHeaders: VolumeHeader[] = []
const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-nibabel-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function close(actual: number, expected: number, scale = Math.abs(expected)): boolean {
  return Math.abs(actual - expected) <= RELATIVE_TOLERANCE * Math.max(1, scale)
}

describeUnless(unavailable, 'our NIfTI reader agrees with nibabel', () => {
  beforeAll(async () => {
    for (const file of files) {
      try {
        ours.set(file, { ok: true, volume: await readNifti(file) })
      } catch (error) {
        if (!(error instanceof VoxloopError)) throw error
        ours.set(file, { ok: false, error })
      }
    }
    const labelChecks = []
    labelHeaders = []
    for (const [n, { file, modulo }] of LABEL_IMAGES.entries()) {
      const { header } = await readNifti(file)
      const [nx, ny, nz] = header.dims
      const labels = modulo > 256 ? new Uint16Array(nx * ny * nz) : new Uint8Array(nx * ny * nz)
      for (let i = 0; i < labels.length; i++) labels[i] = (i * 7919) % modulo
      const label = path.join(tmp, `label-${n}.nii.gz`)
      await writeLabelNifti(label, labels, header)
      labelChecks.push({ image: file, label, modulo })
      labelHeaders.push(header)
    }
    const run = spawnSync(PYTHON, ['-c', NIBABEL_SCRIPT], {
      input: JSON.stringify({ files, labels: labelChecks, samples: SAMPLES }),
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      timeout: 120_000
    })
    if (run.status !== 0) throw new Error(`nibabel script failed: ${run.stderr}`)
    nibabel = JSON.parse(run.stdout) as typeof nibabel
  })

  it('covers every NIfTI file of the shared data', () => {
    expect(files.length).toBeGreaterThan(100)
    expect(files.some((f) => f.includes(`${path.sep}_reference${path.sep}`))).toBe(true)
    expect(files.some((f) => f.endsWith('.hdr.gz'))).toBe(true)
  })

  it.each(files.map((file) => [relative(file), file]))('%s', (name, file) => {
    const mine = ours.get(file)
    const theirs = nibabel.files[file]
    expect(mine).toBeDefined()
    if (!mine || !theirs) return

    if (!mine.ok || !theirs.ok) {
      if (!mine.ok) {
        expect(mine.error.message).toContain(file)
        expect(['NIFTI_INVALID', 'NIFTI_UNSUPPORTED']).toContain(mine.error.code)
      }
      const byDesign = REFUSED_BY_DESIGN[name.split(path.sep).join('/')]
      if (byDesign && !mine.ok && theirs.ok) {
        expect(mine.error.message).toMatch(byDesign)
        return
      }
      // Otherwise both must refuse.
      expect({ oursRefused: !mine.ok, nibabelRefused: !theirs.ok }).toEqual({ oursRefused: true, nibabelRefused: true })
      return
    }

    const { header, data } = mine.volume
    const shape = [...theirs.shape]
    while (shape.length < 4) shape.push(1)
    while (shape.length > 4 && shape[shape.length - 1] === 1) shape.pop()
    expect([...header.dims, header.channels]).toEqual(shape)
    expect(header.storedDatatype).toBe(theirs.dtype)

    if (theirs.qformCode <= 0 && theirs.sformCode <= 0) {
      // nifti1.h method 1 versus nibabel's ANALYZE fallback (see the header comment).
      expect(header.affineSource).toBe('pixdim')
      header.spacing.forEach((s, axis) => expect(header.rasFromIjk[axis][axis]).toBe(s))
      expect(theirs.affine[0][0]).toBeCloseTo(-header.spacing[0], 6)
      expect(theirs.affine[0][3]).toBeCloseTo(((header.dims[0] - 1) / 2) * header.spacing[0], 6)
    } else {
      header.rasFromIjk.forEach((row, r) => row.forEach((v, c) => expect(close(v, theirs.affine[r][c]), `affine[${r}][${c}] ${v} vs ${theirs.affine[r][c]}`).toBe(true)))
    }
    header.spacing.forEach((s, axis) => expect(close(s, theirs.voxelSizes[axis])).toBe(true))

    let sum = 0
    let min = Number.POSITIVE_INFINITY
    let max = Number.NEGATIVE_INFINITY
    let nonFinite = 0
    for (let i = 0; i < data.length; i++) {
      const v = data[i]
      if (!Number.isFinite(v)) {
        nonFinite++
        continue
      }
      sum += v
      if (v < min) min = v
      if (v > max) max = v
    }
    expect(nonFinite).toBe(theirs.nonFinite)
    expect(close(sum, theirs.sum, theirs.absSum), `sum ${sum} vs ${theirs.sum}`).toBe(true)
    if (theirs.min !== null && theirs.max !== null) {
      expect(close(min, theirs.min)).toBe(true)
      expect(close(max, theirs.max)).toBe(true)
    }
    theirs.sampleIndices.forEach((index, n) => {
      const expected = theirs.samples[n]
      const actual = data[index]
      if (expected === null) expect(Number.isFinite(actual)).toBe(false)
      else expect(close(actual, expected), `voxel ${index}: ${actual} vs ${expected}`).toBe(true)
    })
  })

  it('labels written for real images have exactly the image affine and values in nibabel', () => {
    expect(nibabel.labels).toHaveLength(LABEL_IMAGES.length)
    nibabel.labels.forEach((check, n) => {
      expect(check, LABEL_IMAGES[n].file).toEqual({
        affineEqual: true,
        sformEqual: true,
        qformEqual: true,
        pixdimEqual: true,
        unitsEqual: true,
        shape: check.imageShape,
        imageShape: [...labelHeaders[n].dims],
        dtype: LABEL_IMAGES[n].modulo > 256 ? 'uint16' : 'uint8',
        dim0: 3,
        valuesEqual: true
      })
    })
  })
})
