import { data } from 'dcmjs'
import { describe, expect, it } from 'vitest'
import type { RecordedDicomReferences } from '../../../../../src/node/formats/dicom/dicomReferences'
import { encodeDicomSeg, newDicomUid, rgbToDicomLab } from '../../../../../src/node/formats/dicom/dicomSeg'
import { FLIPPED_GRID, index, SLICE_Z, slice } from './syntheticSeries'

const REFERENCES: RecordedDicomReferences = {
  status: 'recorded',
  studyInstanceUid: '1.2.3',
  seriesInstanceUid: '1.2.3.4',
  frameOfReferenceUid: '1.2.3.5',
  patientName: 'Doe^Jane',
  patientId: 'P1',
  studyDate: '20240102',
  // The CT variant of the synthetic series, with UIDs of its own.
  instances: SLICE_Z.map((z) => slice(z, { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: `1.2.3.4.${z * 10}` }))
}

function read(bytes: Uint8Array): Record<string, unknown> {
  const dict = data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
  return data.DicomMetaDictionary.naturalizeDataset(dict.dict)
}

/** Bit n of the pixel data (bit 0 of byte 0 first). */
function bitsOf(pixelData: unknown, count: number): number[] {
  const buffer = (Array.isArray(pixelData) ? pixelData[0] : pixelData) as ArrayBuffer
  const bytes = new Uint8Array(buffer)
  return Array.from({ length: count }, (_, n) => ((bytes[n >> 3] ?? 0) >> (n & 7)) & 1)
}

describe('rgbToDicomLab', () => {
  it('scales CIELab (D65) to 0–65535: white, black and pure red', () => {
    expect(rgbToDicomLab([255, 255, 255])).toEqual([65535, 32896, 32896])
    expect(rgbToDicomLab([0, 0, 0])).toEqual([0, 32896, 32896])
    // Red is L 53.24, a 80.09, b 67.20.
    const [L, a, b] = rgbToDicomLab([255, 0, 0])
    expect(Math.abs(L - (53.24 * 65535) / 100)).toBeLessThan(10)
    expect(Math.abs(a - ((80.09 + 128) * 65535) / 255)).toBeLessThan(10)
    expect(Math.abs(b - ((67.2 + 128) * 65535) / 255)).toBeLessThan(10)
  })
})

describe('newDicomUid', () => {
  it('is a 2.25 UID of decimal digits within 64 characters, different each time', () => {
    const uid = newDicomUid()
    expect(uid).toMatch(/^2\.25\.[1-9]\d*$/)
    expect(uid.length).toBeLessThanOrEqual(64)
    expect(newDicomUid()).not.toBe(uid)
  })
})

describe('encodeDicomSeg', () => {
  it('writes one frame per segment and touched slice, each on its source image, with bits packed across frame boundaries', () => {
    const labels = new Uint8Array(60)
    // Label 1 at pixel (r 1, c 3) of z = 0 (voxel 3, 1, 4) and pixel (r 0, c 0) of z = 10 (voxel 0, 2, 0).
    labels[index(3, 1, 4)] = 1
    labels[index(0, 2, 0)] = 1
    // Label 5, not in the table, at pixel (r 2, c 1) of z = 5 (voxel 1, 0, 2).
    labels[index(1, 0, 2)] = 5
    const out = encodeDicomSeg({ references: REFERENCES, grid: FLIPPED_GRID, labels, segments: [{ labelValue: 1, name: 'Liver', color: '#ff0000' }], what: 'case T' })
    expect([out.segments, out.frames]).toEqual([2, 3])
    const ds = read(out.bytes)
    expect(ds.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.66.4')
    expect([ds.StudyInstanceUID, ds.FrameOfReferenceUID, ds.PatientID, ds.Modality, ds.SegmentationType]).toEqual(['1.2.3', '1.2.3.5', 'P1', 'SEG', 'BINARY'])
    expect(ds.SeriesInstanceUID).toBe(out.seriesInstanceUid)
    const segments = ds.SegmentSequence as Record<string, unknown>[]
    expect(segments.map((s) => [s.SegmentNumber, s.SegmentLabel])).toEqual([
      [1, 'Liver'],
      [2, 'Label 5']
    ])
    const frames = ds.PerFrameFunctionalGroupsSequence as Record<string, Record<string, unknown>[]>[]
    const sourceOf = (frame: Record<string, Record<string, unknown>[]>): unknown =>
      (frame.DerivationImageSequence?.[0]?.SourceImageSequence as Record<string, unknown>[])[0]?.ReferencedSOPInstanceUID
    // Segment 1 on z = 0 then z = 10 (ordered along the normal), segment 2 on z = 5.
    expect(frames.map(sourceOf)).toEqual(['1.2.3.4.0', '1.2.3.4.100', '1.2.3.4.50'])
    expect(frames.map((frame) => frame.PlanePositionSequence?.[0]?.ImagePositionPatient)).toEqual([
      [0, 0, 0],
      [0, 0, 10],
      [0, 0, 5]
    ])
    expect(frames.map((frame) => frame.SegmentIdentificationSequence?.[0]?.ReferencedSegmentNumber)).toEqual([1, 1, 2])
    // 12 pixels per frame: frame 2 starts at bit 12, inside byte 1, frame 3 at bit 24.
    const bits = bitsOf(ds.PixelData, 36)
    const set = bits.flatMap((bit, n) => (bit === 1 ? [n] : []))
    expect(set).toEqual([1 * 4 + 3, 12 + 0, 24 + 2 * 4 + 1])
  })

  it('refuses an empty label and a source without a FrameOfReferenceUID, naming the case', () => {
    const labels = new Uint8Array(60)
    expect(() => encodeDicomSeg({ references: REFERENCES, grid: FLIPPED_GRID, labels, segments: [], what: 'case E' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^case E: the label is empty/) })
    )
    labels[0] = 1
    const { frameOfReferenceUid: _dropped, ...withoutFrame } = REFERENCES
    expect(() => encodeDicomSeg({ references: withoutFrame, grid: FLIPPED_GRID, labels, segments: [], what: 'case F' })).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^case F: the source images have no FrameOfReferenceUID/) })
    )
  })
})
