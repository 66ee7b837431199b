/**
 * readNiftiExtensions, the NIfTI reader's view of header extensions (for the Caret label table),
 * on built files and on TotalSegmentator's real label maps.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readNiftiExtensions } from '../../../../../src/node/formats/nifti'
import { caretLabelsFromExtensions, formatCaretLabelTable, NIFTI_ECODE_CARET } from '../../../../../src/node/formats/labelTables'
import { buildNifti, buildNiftiGz } from '../../../../helpers/niftiBuilder'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { itUnless } from '../../../../helpers/skipWithReason'

const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-read-ext-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const TOTALSEG_LABELS = sharedDataPath('labeled', 'totalsegmentator_examples', 'labelsTr')

/** One extension: esize (content + 8, padded to 16, unless given), ecode, content, zero padding. */
function extension(ecode: number, content: Uint8Array, esize?: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((content.length + 8) / 16) * 16)
  const view = new DataView(out.buffer)
  view.setInt32(0, esize ?? out.length, true)
  view.setInt32(4, ecode, true)
  out.set(content, 8)
  return out
}

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(tmp, name)
  writeFileSync(file, bytes)
  return file
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
const voxels = new Uint8Array(2 * 2 * 2)

describe('readNiftiExtensions', () => {
  it('returns every extension in file order with its code, offset and content, from .nii and .nii.gz', async () => {
    const xml = formatCaretLabelTable([{ id: 7, name: 'Liver', color: '#ff0000' }])
    const first = extension(6, utf8('{"a": 1}'))
    const area = new Uint8Array([...first, ...extension(NIFTI_ECODE_CARET, utf8(xml))])
    for (const [name, bytes] of [
      ['two.nii', buildNifti({ dims: [2, 2, 2], datatype: 2, extension: area }, voxels)],
      ['two.nii.gz', buildNiftiGz({ dims: [2, 2, 2], datatype: 2, extension: area }, voxels)]
    ] as const) {
      const found = await readNiftiExtensions(write(name, bytes))
      expect(found.map((e) => [e.ecode, e.offset, e.content.length])).toEqual([
        [6, 352, first.length - 8],
        [NIFTI_ECODE_CARET, 352 + first.length, area.length - first.length - 8]
      ])
      expect(new TextDecoder().decode(found[0]?.content).replace(/\0+$/, '')).toBe('{"a": 1}')
      expect(caretLabelsFromExtensions(found, name)).toEqual([{ id: 7, name: 'Liver', color: '#ff0000' }])
    }
  })

  it('returns nothing for a file without extensions or with the flag clear', async () => {
    expect(await readNiftiExtensions(write('none.nii', buildNifti({ dims: [2, 2, 2], datatype: 2 }, voxels)))).toEqual([])
  })

  it('stops at an esize that is not a multiple of 16 or runs past vox_offset, keeping what came before', async () => {
    const good = extension(4, utf8('ok'))
    const bad = extension(6, utf8('bad'), 20)
    const file = write('bad.nii', buildNifti({ dims: [2, 2, 2], datatype: 2, extension: new Uint8Array([...good, ...bad, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }, voxels))
    expect((await readNiftiExtensions(file)).map((e) => e.ecode)).toEqual([4])
    const past = write('past.nii', buildNifti({ dims: [2, 2, 2], datatype: 2, extension: extension(4, utf8('x'), 4096) }, voxels))
    expect(await readNiftiExtensions(past)).toEqual([])
  })

  itUnless(sharedDataMissing, "reads the Caret label table of TotalSegmentator's CT and MR label maps (ecode 0)", async () => {
    const ct = path.join(TOTALSEG_LABELS, 'example_ct_sm.nii.gz')
    const ctExtensions = await readNiftiExtensions(ct)
    // MANIFEST.md: one extension, ecode 0, 12816 bytes (esize), vox_offset 13168.
    expect(ctExtensions.map((e) => [e.ecode, e.offset, e.content.length + 8])).toEqual([[0, 352, 12816]])
    const ctLabels = caretLabelsFromExtensions(ctExtensions, ct)
    expect(ctLabels).toHaveLength(117)
    expect(ctLabels?.slice(0, 2)).toEqual([
      { id: 1, name: 'spleen', color: '#00ff00' },
      { id: 2, name: 'kidney_right', color: '#0000ff' }
    ])
    expect(ctLabels?.at(-1)).toEqual({ id: 117, name: 'costal_cartilages', color: '#0080ff' })

    const mr = path.join(TOTALSEG_LABELS, 'example_mr_sm.nii.gz')
    const mrLabels = caretLabelsFromExtensions(await readNiftiExtensions(mr), mr)
    expect(mrLabels).toHaveLength(50)
    // The two tables share ids for different organs: what the import must refuse to merge.
    expect(ctLabels?.find((label) => label.id === 10)?.name).toBe('lung_upper_lobe_left')
    expect(mrLabels?.find((label) => label.id === 10)?.name).toBe('lung_left')
    expect(mrLabels?.at(-1)).toEqual({ id: 50, name: 'brain', color: '#0000ff' })
  })
})
