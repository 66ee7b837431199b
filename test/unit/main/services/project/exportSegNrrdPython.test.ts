/**
 * Peer test: the exported `.seg.nrrd` files read by a separate Python program that uses only the
 * standard library's gzip and numpy for the NRRD (as another tool without a NRRD library would),
 * compared with the project's own NIfTI files read by nibabel: voxel values, segment names and
 * label values, and the LPS geometry against nibabel's RAS affine with x and y negated.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { exportProject } from '../../../../../src/main/services/project/exportProject'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { imageHeaderForGrid } from '../../../../../src/node/formats/nifti/writeImageNifti'
import type { LabelDef } from '../../../../../src/shared/project'
import type { Mat4 } from '../../../../../src/shared/volume'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { makeTempDir, removeDir } from './projectFixtures'

const PYTHON = '/usr/bin/python3'

function nibabelAvailability(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import nibabel, numpy'], { encoding: 'utf8' })
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message}); the seg.nrrd peer check needs python3 with numpy and nibabel (apt install python3-nibabel)`
  if (probe.status !== 0) return `${PYTHON} -c "import nibabel, numpy" failed (apt install python3-nibabel): ${probe.stderr.trim().split('\n').pop() ?? ''}`
  return null
}

const unavailable = nibabelAvailability()

const PEER_SCRIPT = String.raw`
import gzip, json, sys
import numpy as np
import nibabel as nib

request = json.load(sys.stdin)
out = {}
for case in request['cases']:
    raw = open(case['segNrrd'], 'rb').read()
    end = raw.index(b'\n\n')
    lines = raw[:end].decode('utf-8').split('\n')
    assert lines[0] == 'NRRD0004', lines[0]
    fields, pairs = {}, {}
    for line in lines[1:]:
        if line.startswith('#'):
            continue
        if ':=' in line and (': ' not in line or line.index(':=') < line.index(': ')):
            key, value = line.split(':=', 1)
            pairs[key] = value.replace('\\n', '\n').replace('\\\\', '\\')
        else:
            key, value = line.split(': ', 1)
            fields[key] = value
    assert fields['encoding'] == 'gzip' and fields['dimension'] == '3' and fields['space'] == 'left-posterior-superior'
    assert fields['kinds'] == 'domain domain domain'
    dtype = {'unsigned char': np.dtype('u1'), 'unsigned short': np.dtype('<u2')}[fields['type']]
    if dtype.itemsize > 1:
        assert fields['endian'] == 'little'
    sizes = [int(v) for v in fields['sizes'].split()]
    voxels = np.frombuffer(gzip.decompress(raw[end + 2:]), dtype=dtype).reshape(sizes, order='F')
    vectors = lambda text: [[float(x) for x in group.split(',')] for group in text.replace(')', '').split('(')[1:]]
    lps = np.eye(4)
    lps[:3, :3] = np.array(vectors(fields['space directions'])).T
    lps[:3, 3] = vectors(fields['space origin'])[0]

    image = nib.load(case['image'])
    label = nib.load(case['label'])
    source = np.asanyarray(label.dataobj)
    expected_lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ image.affine
    names, values, index = [], [], 0
    while 'Segment%d_ID' % index in pairs:
        names.append(pairs['Segment%d_Name' % index])
        values.append(int(pairs['Segment%d_LabelValue' % index]))
        index += 1
    out[case['id']] = {
        'type': fields['type'],
        'shapeMatches': list(voxels.shape) == list(source.shape),
        'voxelsEqual': bool(voxels.shape == source.shape and np.array_equal(voxels.astype(np.int64), source.astype(np.int64))),
        'labelledVoxels': int(np.count_nonzero(voxels)),
        'geometryMaxAbsDiff': float(np.max(np.abs(lps - expected_lps))),
        'labelAffineMatchesImage': bool(np.allclose(label.affine, image.affine, atol=1e-6)),
        'names': names,
        'labelValues': values,
    }
json.dump(out, sys.stdout)
`

interface PeerResult {
  type: string
  shapeMatches: boolean
  voxelsEqual: boolean
  labelledVoxels: number
  geometryMaxAbsDiff: number
  labelAffineMatchesImage: boolean
  names: string[]
  labelValues: number[]
}

const LABELS: LabelDef[] = [
  { id: 1, name: 'Organ', color: '#ff0000' },
  { id: 2, name: 'Läsion "a"', color: '#00ff00' }
]
/** Added before the second case: a label value above 255 makes the map 16-bit. */
const WIDE_LABEL: LabelDef = { id: 300, name: 'Vessel tree', color: '#0000ff' }

/** Rotated about two axes, anisotropic, with a flipped axis: a plain diagonal would hide a sign or transpose slip. */
function obliqueRasFromIjk(): Mat4 {
  const [c1, s1] = [Math.cos(0.3), Math.sin(0.3)]
  const [c2, s2] = [Math.cos(-0.5), Math.sin(-0.5)]
  // R = Rz(0.3) · Rx(-0.5); columns scaled by the spacing (0.7, 0.9, -2.5).
  const rotation = [
    [c1, -s1 * c2, s1 * s2],
    [s1, c1 * c2, -c1 * s2],
    [0, s2, c2]
  ]
  const spacing = [0.7, 0.9, -2.5]
  const row = (r: number, offset: number): [number, number, number, number] => [
    (rotation[r]?.[0] ?? 0) * (spacing[0] ?? 0),
    (rotation[r]?.[1] ?? 0) * (spacing[1] ?? 0),
    (rotation[r]?.[2] ?? 0) * (spacing[2] ?? 0),
    offset
  ]
  return [row(0, -41.25), row(1, 17.5), row(2, 63.125), [0, 0, 0, 1]]
}

let base: string
let store: ProjectStore

beforeEach(async () => {
  base = await makeTempDir('segnrrd-peer')
  store = await ProjectStore.create(path.join(base, 'project'), { name: 'Peer', modality: 'CT', labels: LABELS })
})

afterEach(async () => {
  await store.dispose()
  await removeDir(base)
})

describeUnless(unavailable, 'seg.nrrd export read by numpy + gzip, checked against nibabel', () => {
  it('matches the project NIfTI in voxels, segments and LPS geometry, for 8- and 16-bit label maps', async () => {
    const dims: [number, number, number] = [7, 5, 4]
    const voxels = dims[0] * dims[1] * dims[2]
    const header = imageHeaderForGrid({ dims, datatype: 'int16', rasFromIjk: obliqueRasFromIjk(), description: 'oblique' })
    const image = { header, data: Int16Array.from({ length: voxels }, (_, n) => n * 3 - 50) }
    const small = Uint8Array.from({ length: voxels }, (_, n) => (n % 7 === 0 ? 1 : n % 11 === 0 ? 2 : 0))
    const wide = Uint16Array.from({ length: voxels }, (_, n) => (n % 5 === 0 ? 300 : n % 9 === 0 ? 1 : 0))
    const destination = path.join(base, 'slicer')
    await store.addCase({ id: 'small', image, labels: small })
    await exportProject(store, destination, { format: 'seg-nrrd', caseIds: ['small'] })
    await store.updateLabelTable([...LABELS, WIDE_LABEL])
    await store.addCase({ id: 'wide', image, labels: wide })
    await exportProject(store, destination, { format: 'seg-nrrd', caseIds: ['wide'] })
    const cases = ['small', 'wide'].map((id) => ({
      id,
      segNrrd: path.join(destination, `${id}.seg.nrrd`),
      image: path.join(store.root, 'images', `${id}.nii.gz`),
      label: path.join(store.root, 'labels', `${id}.nii.gz`)
    }))
    const run = spawnSync(PYTHON, ['-c', PEER_SCRIPT], { input: JSON.stringify({ cases }), encoding: 'utf8', timeout: 60_000 })
    expect(run.status, run.stderr).toBe(0)
    const results = JSON.parse(run.stdout) as Record<string, PeerResult>
    for (const [id, type, labelled, table] of [
      ['small', 'unsigned char', small.filter((v) => v > 0).length, LABELS],
      ['wide', 'unsigned short', wide.filter((v) => v > 0).length, [...LABELS, WIDE_LABEL]]
    ] as const) {
      const result = results[id]
      expect(result, id).toMatchObject({ type, shapeMatches: true, voxelsEqual: true, labelledVoxels: labelled, labelAffineMatchesImage: true })
      expect(result?.geometryMaxAbsDiff, id).toBeLessThan(1e-6)
      expect(result?.names, id).toEqual(table.map((label) => label.name))
      expect(result?.labelValues, id).toEqual(table.map((label) => label.id))
    }
  })
})
