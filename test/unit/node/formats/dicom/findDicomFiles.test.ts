import { execFileSync } from 'node:child_process'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DICOMDIR_REASON, dicomSignatureOf, findDicomFiles, NOT_DICOM_REASON } from '../../../../../src/node/formats/dicom'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { itUnless } from '../../../../helpers/skipWithReason'
import { makeTempDir, removeDir } from '../../../main/services/project/projectFixtures'

/** A Part 10 file: 128-byte preamble, "DICM", then a little filler. */
function part10(size = 300): Uint8Array {
  const bytes = new Uint8Array(size)
  bytes.set([0x44, 0x49, 0x43, 0x4d], 128)
  return bytes
}

/** An old data set without preamble: it starts with a (0008,xxxx) element. */
function rawDataSet(size = 300): Uint8Array {
  const bytes = new Uint8Array(size)
  bytes.set([0x08, 0x00, 0x05, 0x00], 0)
  return bytes
}

describe('dicomSignatureOf: dcm2niix\'s own DICOM test (isDICOMfile)', () => {
  it.each([
    ['a Part 10 file (DICM at byte 128)', part10(), 'part10'],
    ['a data set without preamble that starts with group 0008', rawDataSet(), 'raw'],
    ['a file under 256 bytes, even with DICM', part10(200), null],
    ['a PNG', Uint8Array.from({ length: 300 }, (_, n) => [0x89, 0x50, 0x4e, 0x47][n] ?? 0), null],
    ['text', new TextEncoder().encode('x'.repeat(300)), null]
  ] as const)('%s → %s', (_, bytes, expected) => {
    expect(dicomSignatureOf(bytes)).toBe(expected)
  })
})

describe('findDicomFiles', () => {
  let dir: string
  beforeEach(async () => {
    dir = await makeTempDir('dicom-search')
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('searches sub-folders, keeps the DICOM files and gives every other file its reason', async () => {
    await mkdir(path.join(dir, 'study', 'series 1'), { recursive: true })
    await mkdir(path.join(dir, '.hidden-folder'))
    await writeFile(path.join(dir, 'study', 'series 1', 'IM0001'), part10())
    await writeFile(path.join(dir, 'study', 'series 1', 'IM0002.dcm'), rawDataSet())
    await writeFile(path.join(dir, 'study', 'DICOMDIR'), part10())
    await writeFile(path.join(dir, 'README.txt'), 'exported by PACS')
    await writeFile(path.join(dir, 'study', 'tiny.dcm'), part10(200))
    await writeFile(path.join(dir, '.hidden-folder', 'IM9'), part10())
    await writeFile(path.join(dir, '.DS_Store'), 'x')
    await writeFile(path.join(dir, '._IM0001'), part10())
    await symlink(path.join(dir, 'study'), path.join(dir, 'loop'))

    const found = await findDicomFiles(dir)

    expect(found.dicom).toEqual([path.join(dir, 'study', 'series 1', 'IM0001'), path.join(dir, 'study', 'series 1', 'IM0002.dcm')])
    const reasons = Object.fromEntries(found.skipped.map((skip) => [path.relative(dir, skip.file), skip.reason]))
    expect(reasons).toEqual({
      '._IM0001': 'macOS resource-fork file (._*), not an image',
      'README.txt': NOT_DICOM_REASON,
      loop: expect.stringMatching(/^a link to a folder, not followed/),
      'study/DICOMDIR': DICOMDIR_REASON,
      'study/tiny.dcm': NOT_DICOM_REASON
    })
  })

  it('reports files in folder order when it reads many at once (80 files, a link, DICOMDIR and a sub-folder among them)', async () => {
    const name = (n: number): string => `f${String(n).padStart(3, '0')}`
    for (let n = 0; n < 80; n++) await writeFile(path.join(dir, name(n)), n % 3 === 0 ? 'not an image' : part10())
    await symlink(path.join(dir, 'missing'), path.join(dir, 'f020link'))
    await writeFile(path.join(dir, 'DICOMDIR'), part10())
    await mkdir(path.join(dir, 'f040x'))
    await writeFile(path.join(dir, 'f040x', 'a'), 'not an image')
    await writeFile(path.join(dir, 'f040x', 'b'), part10())

    const found = await findDicomFiles(dir)
    const expected: { file: string; reason: string }[] = [{ file: path.join(dir, 'DICOMDIR'), reason: DICOMDIR_REASON }]
    for (let n = 0; n < 80; n++) {
      if (n % 3 === 0) expected.push({ file: path.join(dir, name(n)), reason: NOT_DICOM_REASON })
      if (n === 20) expected.push({ file: path.join(dir, 'f020link'), reason: 'a broken link' })
      if (n === 40) expected.push({ file: path.join(dir, 'f040x', 'a'), reason: NOT_DICOM_REASON })
    }
    expect(found.skipped).toEqual(expected)
    const dicom = Array.from({ length: 80 }, (_, n) => n)
      .filter((n) => n % 3 !== 0)
      .map((n) => path.join(dir, name(n)))
    expect(found.dicom).toEqual([...dicom, path.join(dir, 'f040x', 'b')].sort())
  })

  it('reports a named pipe without opening it (reading one would block until some program writes to it)', async () => {
    const fifo = path.join(dir, 'pipe')
    execFileSync('mkfifo', [fifo])
    const found = await findDicomFiles(dir)
    expect(found).toEqual({ dicom: [], skipped: [{ file: fifo, reason: 'a named pipe (FIFO), not a regular file' }] })
  })

  itUnless(sharedDataMissing, 'finds all 32 files of a real series, whatever their names (1.dcm … 32.dcm)', async () => {
    const found = await findDicomFiles(sharedDataPath('dicom', 'udacity_hcrop_study1_13'))
    expect(found.skipped).toEqual([])
    expect(found.dicom).toHaveLength(32)
  })

  itUnless(sharedDataMissing, 'goes by content, not by name (the CT files are named CT.<SOP instance UID>, no .dcm)', async () => {
    const found = await findDicomFiles(sharedDataPath('dicom', 'totalseg_example_ct_j2k'))
    expect(found.dicom).toHaveLength(20)
    expect(found.dicom.filter((file) => /\.dcm$/i.test(file))).toEqual([])
  })
})
