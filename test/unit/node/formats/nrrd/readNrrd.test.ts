import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { labelMapFromSegmentation, readNrrd } from '../../../../../src/node/formats/nrrd/readNrrd'
import { encodeSegNrrd } from '../../../../../src/node/formats/nrrd/segNrrd'
import type { Mat4 } from '../../../../../src/shared/volume'

const dir = mkdtempSync(path.join(tmpdir(), 'voxloop-nrrd-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function write(name: string, header: string, data: Uint8Array = new Uint8Array(0)): string {
  const file = path.join(dir, name)
  writeFileSync(file, Buffer.concat([Buffer.from(header, 'utf8'), data]))
  return file
}

/** int16 values 0…n−1 as little- or big-endian bytes. */
function int16Bytes(n: number, littleEndian = true): Uint8Array {
  const bytes = new Uint8Array(2 * n)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < n; i++) view.setInt16(2 * i, i - 3, littleEndian)
  return bytes
}

const LPS_HEADER = (extra: string): string =>
  'NRRD0004\n# Complete NRRD file format specification at:\ntype: short\ndimension: 3\nspace: left-posterior-superior\nsizes: 2 3 4\n' +
  'space directions: (0.5,0,0) (0,0.75,0) (0,0,2)\nkinds: domain domain domain\nspace origin: (10,-20,30)\n' +
  extra +
  '\n'

describe('readNrrd: NRRD volumes as Voxloop reads NIfTI ones', () => {
  it('turns an LPS raw file into RAS (x and y change sign), i fastest, with the voxels as stored', async () => {
    const { volume, segments } = await readNrrd(write('lps.nrrd', LPS_HEADER('endian: little\nencoding: raw\n'), int16Bytes(24)))
    expect(volume.header.dims).toEqual([2, 3, 4])
    expect(volume.header.channels).toBe(1)
    expect(volume.header.datatype).toBe('int16')
    expect(volume.header.rasFromIjk).toEqual([
      [-0.5, 0, 0, -10],
      [0, -0.75, 0, 20],
      [0, 0, 2, 30],
      [0, 0, 0, 1]
    ] satisfies Mat4)
    expect(volume.header.spacing).toEqual([0.5, 0.75, 2])
    expect(Array.from(volume.data)).toEqual(Array.from({ length: 24 }, (_, i) => i - 3))
    expect(segments).toEqual([])
  })

  it('reads gzip and big-endian data, an ASCII body, and a .nhdr whose data is in another file', async () => {
    const big = await readNrrd(write('big.nrrd', LPS_HEADER('endian: big\nencoding: gzip\n'), gzipSync(int16Bytes(24, false))))
    expect(Array.from(big.volume.data)).toEqual(Array.from({ length: 24 }, (_, i) => i - 3))
    const ascii = await readNrrd(write('ascii.nrrd', LPS_HEADER('encoding: ascii\n'), new TextEncoder().encode(Array.from({ length: 24 }, (_, i) => i - 3).join(' '))))
    expect(Array.from(ascii.volume.data)).toEqual(Array.from(big.volume.data))
    writeFileSync(path.join(dir, 'detached.raw.gz'), gzipSync(int16Bytes(24)))
    const detached = await readNrrd(write('detached.nhdr', LPS_HEADER('encoding: gzip\ndata file: detached.raw.gz\n')))
    expect(Array.from(detached.volume.data)).toEqual(Array.from(big.volume.data))
    expect(detached.volume.header.rasFromIjk).toEqual(big.volume.header.rasFromIjk)
  })

  it('keeps a leading vector axis as channels, one whole volume after another', async () => {
    const header = 'NRRD0005\ntype: uchar\ndimension: 4\nspace: RAS\nsizes: 2 2 1 1\nspace directions: none (1,0,0) (0,1,0) (0,0,1)\nkinds: vector domain domain domain\nencoding: raw\n\n'
    const { volume } = await readNrrd(write('vector.nrrd', header, Uint8Array.from([1, 10, 2, 20])))
    expect(volume.header).toMatchObject({ dims: [2, 1, 1], channels: 2 })
    expect(Array.from(volume.data)).toEqual([1, 2, 10, 20])
    expect(volume.header.rasFromIjk[0]).toEqual([1, 0, 0, 0])
  })

  it('refuses what it cannot read, naming the file and the problem', async () => {
    await expect(readNrrd(write('png.nrrd', 'PNG not nrrd\n'))).rejects.toThrow(/png\.nrrd: not an NRRD file/)
    await expect(readNrrd(write('long.nrrd', LPS_HEADER('encoding: raw\n').replace('type: short', 'type: longlong'), new Uint8Array(192)))).rejects.toThrow(/voxel type "longlong" is not supported/)
    await expect(readNrrd(write('cut.nrrd', LPS_HEADER('encoding: raw\n'), int16Bytes(20)))).rejects.toThrow(/cut\.nrrd: is truncated: its 2×3×4 short voxels need 48 bytes, the data hold 40/)
    await expect(readNrrd(write('bz.nrrd', LPS_HEADER('encoding: bzip2\n'), new Uint8Array(10)))).rejects.toThrow(/encoding "bzip2" is not supported/)
    await expect(readNrrd(write('scanner.nrrd', LPS_HEADER('encoding: raw\n').replace('left-posterior-superior', 'scanner-xyz'), int16Bytes(24)))).rejects.toThrow(/space "scanner-xyz"/)
    await expect(readNrrd(write('list.nhdr', LPS_HEADER('encoding: raw\ndata file: LIST\n')))).rejects.toThrow(/a list of files/)
    await expect(readNrrd(write('gone.nhdr', LPS_HEADER('encoding: raw\ndata file: gone.raw\n')))).rejects.toThrow(/gone\.nhdr: its data file .*gone\.raw cannot be read/)
    await expect(readNrrd(write('5d.nrrd', 'NRRD0004\ntype: uchar\ndimension: 5\nsizes: 1 1 1 1 1\nencoding: raw\n\n', new Uint8Array(1)))).rejects.toThrow(/do not describe a 3D volume/)
    const timeSeries = 'NRRD0004\ntype: uchar\ndimension: 4\nsizes: 2 1 1 3\nkinds: domain domain domain time\nencoding: raw\n\n'
    await expect(readNrrd(write('time.nrrd', timeSeries, new Uint8Array(6)))).rejects.toThrow(/its 4 axes \(kinds "domain domain domain time"\) are not a 3D volume with a leading axis of components: a time series/)
    // A header names its data file; the import reads nothing outside the header's folder.
    await expect(readNrrd(write('escape.nhdr', LPS_HEADER('encoding: raw\ndata file: ../../etc/passwd\n')))).rejects.toThrow(/escape\.nhdr: its data file \/.*etc\/passwd lies outside the header's folder/)
  })
})

describe('labelMapFromSegmentation: a Slicer .seg.nrrd as one label map and its table', () => {
  const rasFromIjk: Mat4 = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1]
  ]

  it("reads back what Voxloop's own seg.nrrd export wrote: voxels, names, colours and label values", async () => {
    const labels = Uint8Array.from([0, 1, 2, 2, 0, 7])
    const bytes = await encodeSegNrrd({
      dims: [3, 2, 1],
      labels,
      rasFromIjk,
      segments: [
        { labelValue: 1, name: 'Liver', color: '#ff0000', generated: false },
        { labelValue: 2, name: 'Spleen', color: '#00ff00', generated: false },
        { labelValue: 7, name: 'Label 7', color: '#808080', generated: true }
      ]
    })
    const file = path.join(dir, 'export.seg.nrrd')
    writeFileSync(file, bytes)
    const read = await readNrrd(file)
    expect(read.segments.map((s) => [s.name, s.labelValue, s.color])).toEqual([
      ['Liver', 1, '#ff0000'],
      ['Spleen', 2, '#00ff00'],
      ['Label 7', 7, '#808080']
    ])
    const map = labelMapFromSegmentation(read, file)
    expect(Array.from(map.volume.data)).toEqual(Array.from(labels))
    expect(map.volume.header.rasFromIjk).toEqual(rasFromIjk)
    expect(map.labels).toEqual([
      { id: 1, name: 'Liver', color: '#ff0000' },
      { id: 2, name: 'Spleen', color: '#00ff00' },
      { id: 7, name: 'Label 7', color: '#808080' }
    ])
  })

  const layered = (voxels: number[]): string =>
    write(
      `layers-${voxels.join('')}.seg.nrrd`,
      'NRRD0004\ntype: unsigned char\ndimension: 4\nspace: left-posterior-superior\nsizes: 2 2 1 1\nspace directions: none (1,0,0) (0,1,0) (0,0,1)\n' +
        'kinds: list domain domain domain\nencoding: raw\nspace origin: (0,0,0)\n' +
        'Segment0_ID:=a\nSegment0_Name:=Tumour\nSegment0_Color:=1 0 0\nSegment0_LabelValue:=1\nSegment0_Layer:=0\n' +
        'Segment1_ID:=b\nSegment1_Name:=Oedema\nSegment1_Color:=0 0 1\nSegment1_LabelValue:=1\nSegment1_Layer:=1\n\n',
      Uint8Array.from(voxels)
    )

  it('merges segments kept in separate layers, renumbered 1…n where their label values repeat', async () => {
    // Voxel-interleaved layers: voxel 0 in layer 0, voxel 1 in layer 1.
    const file = layered([1, 0, 0, 1])
    const map = labelMapFromSegmentation(await readNrrd(file), file)
    expect(Array.from(map.volume.data)).toEqual([1, 2])
    expect(map.labels.map((label) => [label.id, label.name])).toEqual([
      [1, 'Tumour'],
      [2, 'Oedema']
    ])
  })

  it('refuses segments that overlap, naming both', async () => {
    const file = layered([1, 1, 0, 0])
    await expect(readNrrd(file).then((read) => labelMapFromSegmentation(read, file))).rejects.toThrow(/segments "Tumour" and "Oedema" overlap; a label map holds one label per voxel/)
  })
})
