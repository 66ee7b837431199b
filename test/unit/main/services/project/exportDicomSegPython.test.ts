/**
 * Peer test of the DICOM SEG export on a real series: a DICOM folder imported, two labels painted
 * asymmetrically (so a flip or a reversed slice order would move them), exported as DICOM SEG and
 * read back by pydicom in a separate Python program. The label map rebuilt from the SEG's frames
 * (placed by ImagePositionPatient on the source images' pixel grids) is compared pixel for pixel
 * with the label Voxloop exports as NIfTI, sampled by nibabel's affine at each source pixel's
 * position computed from the source files' own headers: indices are never trusted. Also checks the
 * references the import recorded against the folder's files as pydicom reads them.
 */
import { spawnSync } from 'node:child_process'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { exportProject } from '../../../../../src/main/services/project/exportProject'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { DicomReferencesFileSchema } from '../../../../../src/node/formats/dicom'
import { runCli } from '../../../../helpers/runCli'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { createProjectWithCases, makeTempDir, removeDir } from './projectFixtures'

const PYTHON = '/usr/bin/python3'

function pydicomAvailability(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import pydicom, nibabel, numpy'], { encoding: 'utf8' })
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message}); the DICOM SEG peer check needs python3 with pydicom, nibabel and numpy (apt install python3-pydicom python3-nibabel)`
  if (probe.status !== 0) return `${PYTHON} -c "import pydicom, nibabel, numpy" failed (apt install python3-pydicom python3-nibabel): ${probe.stderr.trim().split('\n').pop() ?? ''}`
  return null
}

const skipReason = sharedDataMissing ?? pydicomAvailability()
const SERIES = 'udacity_hcrop_study1_13'

const PEER_SCRIPT = String.raw`
import json, os, sys
import numpy as np
import nibabel as nib
import pydicom

request = json.load(sys.stdin)
sources = []
for name in sorted(os.listdir(request['folder'])):
    ds = pydicom.dcmread(os.path.join(request['folder'], name), stop_before_pixels=True)
    sources.append(ds)
source_uids = [str(ds.SOPInstanceUID) for ds in sources]
out = {'sourceUids': source_uids}

if 'seg' in request:
    seg = pydicom.dcmread(request['seg'])
    out['sopClassUid'] = str(seg.SOPClassUID)
    out['modality'] = str(seg.Modality)
    out['studyMatches'] = str(seg.StudyInstanceUID) == str(sources[0].StudyInstanceUID)
    out['frameOfReferenceMatches'] = str(seg.FrameOfReferenceUID) == str(sources[0].FrameOfReferenceUID)
    out['patientIdMatches'] = str(seg.get('PatientID', '')) == str(sources[0].get('PatientID', ''))
    out['seriesIsNew'] = str(seg.SeriesInstanceUID) != str(sources[0].SeriesInstanceUID)
    out['segments'] = [{'number': int(s.SegmentNumber), 'label': str(s.SegmentLabel), 'lab': [int(v) for v in s.RecommendedDisplayCIELabValue],
                        'category': str(s.SegmentedPropertyCategoryCodeSequence[0].CodeValue), 'algorithm': str(s.SegmentAlgorithmType)} for s in seg.SegmentSequence]
    out['referencedSeries'] = [str(item.ReferencedSOPInstanceUID) for item in seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence]
    rows, cols, frames = int(seg.Rows), int(seg.Columns), int(seg.NumberOfFrames)
    # Unpacked by hand (bit 0 first, frames back to back), not by pydicom's pixel handlers.
    bits = np.unpackbits(np.frombuffer(seg.PixelData, dtype=np.uint8), bitorder='little')[: rows * cols * frames].reshape(frames, rows, cols)
    value_of_segment = {int(k): v for k, v in request['valueOfSegment'].items()}
    by_uid = {str(ds.SOPInstanceUID): ds for ds in sources}
    rebuilt = {uid: np.zeros((int(ds.Rows), int(ds.Columns)), dtype=np.int64) for uid, ds in by_uid.items()}
    frame_refs, position_mismatches, overlaps = [], 0, 0
    for n, item in enumerate(seg.PerFrameFunctionalGroupsSequence):
        uid = str(item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)
        frame_refs.append(uid)
        ipp = np.array([float(v) for v in item.PlanePositionSequence[0].ImagePositionPatient])
        # The frame's position picks its source image; it must be the one it references.
        nearest = min(sources, key=lambda ds: np.linalg.norm(np.array([float(v) for v in ds.ImagePositionPatient]) - ipp))
        if str(nearest.SOPInstanceUID) != uid or np.linalg.norm(np.array([float(v) for v in nearest.ImagePositionPatient]) - ipp) > 1e-3:
            position_mismatches += 1
        segment = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        mask = bits[n] == 1
        overlaps += int(np.count_nonzero(rebuilt[str(nearest.SOPInstanceUID)][mask]))
        rebuilt[str(nearest.SOPInstanceUID)][mask] = value_of_segment[segment]
    out['frameRefs'] = frame_refs
    out['positionMismatches'] = position_mismatches
    out['overlaps'] = overlaps

    label = nib.load(request['niftiLabel'])
    volume = np.asanyarray(label.dataobj).astype(np.int64)
    ijk_from_ras = np.linalg.inv(label.affine)
    differing, labelled, sampled = 0, 0, np.zeros(volume.shape, dtype=np.int64)
    for ds in sources:
        ipp = np.array([float(v) for v in ds.ImagePositionPatient])
        iop = [float(v) for v in ds.ImageOrientationPatient]
        row_dir, col_dir = np.array(iop[:3]), np.array(iop[3:])
        dr, dc = [float(v) for v in ds.PixelSpacing]
        r, c = np.meshgrid(np.arange(int(ds.Rows)), np.arange(int(ds.Columns)), indexing='ij')
        lps = ipp[None, None, :] + c[..., None] * dc * row_dir + r[..., None] * dr * col_dir
        ras = lps * np.array([-1.0, -1.0, 1.0])
        ijk = np.einsum('ij,rcj->rci', ijk_from_ras[:3, :3], ras) + ijk_from_ras[:3, 3]
        index = np.rint(ijk).astype(np.int64)
        assert np.max(np.abs(ijk - index)) < 1e-3, 'source pixels are not on the label grid'
        expected = volume[index[..., 0], index[..., 1], index[..., 2]]
        sampled[index[..., 0], index[..., 1], index[..., 2]] += 1
        differing += int(np.count_nonzero(expected != rebuilt[str(ds.SOPInstanceUID)]))
        labelled += int(np.count_nonzero(expected))
    out['differingPixels'] = differing
    out['labelledPixels'] = labelled
    out['everyVoxelSampledOnce'] = bool(np.all(sampled == 1))
    out['labelledVoxels'] = int(np.count_nonzero(volume))
json.dump(out, sys.stdout)
`

interface PeerResult {
  sourceUids: string[]
  sopClassUid?: string
  modality?: string
  studyMatches?: boolean
  frameOfReferenceMatches?: boolean
  patientIdMatches?: boolean
  seriesIsNew?: boolean
  segments?: { number: number; label: string; lab: number[]; category: string; algorithm: string }[]
  referencedSeries?: string[]
  frameRefs?: string[]
  positionMismatches?: number
  overlaps?: number
  differingPixels?: number
  labelledPixels?: number
  everyVoxelSampledOnce?: boolean
  labelledVoxels?: number
}

function runPeer(request: Record<string, unknown>): PeerResult {
  const run = spawnSync(PYTHON, ['-c', PEER_SCRIPT], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 })
  if (run.status !== 0) throw new Error(`peer script failed (${run.status}): ${run.stderr}`)
  return JSON.parse(run.stdout) as PeerResult
}

/** Linear indices of a box [i0, i1) × [j0, j1) × [k0, k1) on a grid of `dims`. */
function box(dims: readonly number[], from: [number, number, number], to: [number, number, number]): number[] {
  const [nx = 0, ny = 0] = dims
  const out: number[] = []
  for (let k = from[2]; k < to[2]; k++) for (let j = from[1]; j < to[1]; j++) for (let i = from[0]; i < to[0]; i++) out.push(i + nx * (j + ny * k))
  return out
}

describeUnless(skipReason, 'DICOM SEG export of an imported DICOM series, read by pydicom', () => {
  let base: string
  beforeEach(async () => {
    base = await makeTempDir('dicom-seg')
  })
  afterEach(async () => {
    await removeDir(base)
  })

  it('records one reference per source file at import, with the SOPInstanceUIDs pydicom reads from the folder', async () => {
    const folder = sharedDataPath('dicom', SERIES)
    const store = await ProjectStore.create(path.join(base, 'p'), { name: 'p' })
    try {
      const report = await importDataset(store, folder)
      const [imported] = report.imported
      if (!imported) throw new Error('nothing imported')
      const file = DicomReferencesFileSchema.parse(JSON.parse(await readFile(path.join(base, 'p', 'dicom', `${imported.caseId}.json`), 'utf8')))
      if (file.references.status !== 'recorded') throw new Error(`references not recorded: ${file.references.reason}`)
      const peer = runPeer({ folder })
      expect(file.references.instances).toHaveLength((await readdir(folder)).length)
      expect(file.references.instances.map((instance) => instance.sopInstanceUid).sort()).toEqual([...peer.sourceUids].sort())
      expect(file.references.frameOfReferenceUid).toMatch(/^[0-9.]+$/)
    } finally {
      await store.dispose()
    }
  }, 120_000)

  it('writes a SEG whose frames, placed by position on the source images, rebuild the painted labels exactly', async () => {
    const folder = sharedDataPath('dicom', SERIES)
    const store = await ProjectStore.create(path.join(base, 'p'), { name: 'p' })
    const out = path.join(base, 'out')
    try {
      const report = await importDataset(store, folder)
      const caseId = report.imported[0]?.caseId
      if (!caseId) throw new Error('nothing imported')
      await store.updateLabelTable([
        { id: 1, name: 'Anterior blob', color: '#ff0000' },
        { id: 2, name: 'Posterior blob', color: '#00ff00' }
      ])
      const { dims } = await store.loadImageHeader(caseId)
      // Asymmetric along every axis: a flip of i, j or k, or a reversed slice order, moves the boxes.
      const one = box(dims, [1, 2, 1], [9, 7, 4])
      const two = box(dims, [dims[0] - 6, dims[1] - 12, dims[2] - 9], [dims[0] - 1, dims[1] - 3, dims[2] - 6])
      await store.applyLabelEdit(caseId, { indices: Uint32Array.from([...one, ...two]), values: Uint16Array.from([...one.map(() => 1), ...two.map(() => 2)]) })
      await store.saveLabel(caseId)

      const seg = await exportProject(store, out, { format: 'dicom-seg' })
      expect(seg.files).toEqual([`${caseId}.seg.dcm`])
      expect(seg.skipped).toEqual([])
      const nifti = await exportProject(store, path.join(base, 'nifti'), { format: 'nifti' })
      expect(nifti.files).toContain(`${caseId}.nii.gz`)

      const peer = runPeer({
        folder,
        seg: path.join(out, `${caseId}.seg.dcm`),
        niftiLabel: path.join(base, 'nifti', `${caseId}.nii.gz`),
        valueOfSegment: { '1': 1, '2': 2 }
      })
      expect(peer.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.66.4')
      expect(peer.modality).toBe('SEG')
      expect([peer.studyMatches, peer.frameOfReferenceMatches, peer.patientIdMatches, peer.seriesIsNew]).toEqual([true, true, true, true])
      expect(peer.segments?.map((s) => [s.number, s.label, s.category, s.algorithm])).toEqual([
        [1, 'Anterior blob', '85756007', 'MANUAL'],
        [2, 'Posterior blob', '85756007', 'MANUAL']
      ])
      // Pure red in CIELab (D65) is L 53.24, a 80.09, b 67.20; DICOM scales L by 65535/100, a and b (+128) by 65535/255.
      const red = [(53.24 * 65535) / 100, ((80.09 + 128) * 65535) / 255, ((67.2 + 128) * 65535) / 255]
      expect(peer.segments?.[0]?.lab.every((v, n) => Math.abs(v - (red[n] ?? 0)) < 20)).toBe(true)
      expect(peer.referencedSeries?.slice().sort()).toEqual([...peer.sourceUids].sort())
      expect(peer.frameRefs?.every((uid) => peer.sourceUids.includes(uid))).toBe(true)
      // Box one spans 3 slices, box two 3: one frame per segment and slice it touches, none empty.
      expect(peer.frameRefs).toHaveLength(6)
      expect(peer.positionMismatches).toBe(0)
      expect(peer.overlaps).toBe(0)
      expect(peer.everyVoxelSampledOnce).toBe(true)
      expect(peer.labelledVoxels).toBe(one.length + two.length)
      expect(peer.labelledPixels).toBe(one.length + two.length)
      expect(peer.differingPixels).toBe(0)
    } finally {
      await store.dispose()
    }
  }, 180_000)

  it('skips a Siemens mosaic (one image holding every slice) with the reason, naming the case', async () => {
    const store = await ProjectStore.create(path.join(base, 'p'), { name: 'p' })
    try {
      const report = await importDataset(store, sharedDataPath('dicom', 'dcm_qa_ts'), { dicomSeries: '1' })
      const caseId = report.imported[0]?.caseId
      if (!caseId) throw new Error('nothing imported')
      await store.applyLabelEdit(caseId, { indices: Uint32Array.from([0, 100]), values: Uint16Array.from([1, 1]) })
      await store.saveLabel(caseId)
      const exported = await exportProject(store, path.join(base, 'out'), { format: 'dicom-seg' })
      expect(exported.files).toEqual([])
      expect(exported.skipped).toEqual([{ file: caseId, reason: expect.stringMatching(new RegExp(`^case ${caseId}: source image [0-9.]+ is a Siemens mosaic`)) }])
    } finally {
      await store.dispose()
    }
  }, 120_000)

  it('skips a case without DICOM references with the reason, and the CLI exits 1 when it wrote nothing', async () => {
    const projectDir = path.join(base, 'p')
    const store = await createProjectWithCases(projectDir, { cases: 1 })
    try {
      await store.applyLabelEdit('case-0', { indices: Uint32Array.from([0, 1]), values: Uint16Array.from([1, 1]) })
      await store.saveLabel('case-0')
      const report = await exportProject(store, path.join(base, 'out'), { format: 'dicom-seg' })
      expect(report.files).toEqual([])
      expect(report.skipped).toEqual([{ file: 'case-0', reason: expect.stringMatching(/no DICOM references recorded/) }])
    } finally {
      await store.dispose()
    }
    const cli = runCli(['export', projectDir, path.join(base, 'cli-out'), '--format', 'dicom-seg'])
    expect(cli.status).toBe(1)
    expect(cli.stdout).toMatch(/Wrote 0 file\(s\)[\s\S]*skipped case-0: no DICOM references recorded/)
  }, 120_000)
})
