import { describe, expect, it } from 'vitest'
import { parseDcm2niixLog } from '../../../../../src/node/formats/dicom/dcm2niixLog'

/** Lines as dcm2niix v1.0.20241231 prints them with -v 1 (from a run on a mixed folder). */
const LOG = [
  "Chris Rorden's dcm2niiX version v1.0.20241231  (JP2:OpenJPEG) (JP-LS:CharLS) Clang20.0.0  (32-bit Windows)",
  'Found 3 DICOM file(s)',
  'DICOM file: /in/0',
  ' patient position (0020,0032)\t0\t0\t1',
  ' orient (0020,0037)\t1\t0\t0\t0\t1\t0',
  ' acq 0 img 1 ser 0 dim 35x51x1x1 mm 1x1x1 offset 1182 loc 0 valid 1 ph 0 mag 0 nDTI 0 3d 0 bits 16 littleEndian 1 echo 0 coilCRC 0 TE 0 TR 0',
  "Warning: Unsupported transfer syntax '1.2.840.10008.1.2.4.110' (see www.nitrc.org/plugins/mwiki/index.php/dcm2nii:MainPage)",
  'DICOM file: /in/1',
  ' patient position (0020,0032)\tnan\tnan\tnan',
  ' orient (0020,0037)\t0\t0\t0\t0\t0\t0',
  ' acq 0 img 0 ser -1 dim 1x1x1x1 mm 1x1x3.6 offset 0 loc 0 valid 0 ph 0 mag 1 nDTI 0 3d 0 bits 16 littleEndian 1 echo 1 coilCRC 0 TE 30 TR 3000',
  'DICOM file: /in/2',
  ' acq 1 img 1 ser 7 dim 384x384x1x1 mm 3.25x3.25x3.6 offset 88604 loc 0 valid 1 ph 0 mag 1 nDTI 0 3d 0 bits 16 littleEndian 1 echo 1 coilCRC 798937909 TE 30 TR 3000',
  'Warning: Patient Position (0018,5100) not specified (issue 642).',
  'Converting /in/0',
  'Convert 1 DICOM as /out/-1381334831 (35x51x1x1)',
  'Converting /in/2',
  'Error: Image dimensions differ /in/2 /in/5',
  'Convert 1 DICOM as /out/7_e2 (64x64x35x1)'
]

describe('parseDcm2niixLog', () => {
  const log = parseDcm2niixLog(LOG)

  it('maps each "DICOM file: /in/<n>" back to input n with its "valid" field', () => {
    expect([...log.inputs].map(([index, verdict]) => [index, verdict.valid])).toEqual([
      [0, true],
      [1, false],
      [2, true]
    ])
  })

  it('gives a file the warnings printed while it was read (they come before its file line)', () => {
    expect(log.inputs.get(1)?.problems).toEqual([expect.stringMatching(/^Warning: Unsupported transfer syntax '1\.2\.840\.10008\.1\.2\.4\.110'/)])
    expect(log.inputs.get(0)?.problems).toEqual([])
    expect(log.inputs.get(2)?.problems).toEqual([])
  })

  it('counts the files behind each output, by its name in /out (suffixes and negative series numbers kept)', () => {
    expect(Object.fromEntries(log.filesPerOutput)).toEqual({ '-1381334831': 1, '7_e2': 1 })
  })

  it('keeps the error lines', () => {
    expect(log.errors).toEqual(['Error: Image dimensions differ /in/2 /in/5'])
  })

  it("gives each output the problems printed while it was converted, before its Convert line", () => {
    expect(Object.fromEntries(log.problemsPerOutput)).toEqual({
      '-1381334831': ['Warning: Patient Position (0018,5100) not specified (issue 642).'],
      '7_e2': ['Error: Image dimensions differ /in/2 /in/5']
    })
    // dcm2niix v1.0.20241231 on the HippoCrop series with its 16th image removed.
    const uneven = parseDcm2niixLog([
      'DICOM file: /in/30',
      ' acq 0 img 32 ser 0 dim 35x51x1x1 mm 1x1x1 offset 1182 loc 0 valid 1 ph 0 mag 0 nDTI 0 3d 0 bits 16 littleEndian 1 echo 0 coilCRC 0 TE 0 TR 0',
      'Converting /in/0',
      'Warning: Instance Number (0020,0013) order is not spatial.',
      'Warning: Interslice distance varies in this volume (incompatible with NIfTI format).',
      'Dimensions 35 51 31 1 nAcq 1 nConvert 31',
      'Warning: Missing images? Expected 31 images, but instance number (0020,0013) ranges from 1 to 32',
      'Convert 31 DICOM as /out/-1381334831 (35x51x31x1)'
    ])
    expect(uneven.problemsPerOutput.get('-1381334831')).toEqual([
      'Warning: Instance Number (0020,0013) order is not spatial.',
      'Warning: Interslice distance varies in this volume (incompatible with NIfTI format).',
      'Warning: Missing images? Expected 31 images, but instance number (0020,0013) ranges from 1 to 32'
    ])
  })

  it('reads the pairs of files it found to be one image (it converts the first of each pair)', () => {
    const duplicated = parseDcm2niixLog(['Found 33 DICOM file(s)', '\t/in/27\t=\t/in/28', '1 images have identical time, series, acquisition and instance values. Duplicates removed.'])
    expect(duplicated.duplicates).toEqual([[27, 28]])
    expect(log.duplicates).toEqual([])
  })

  it('finds nothing in a log of another format, so that the caller falls back to counts', () => {
    const other = parseDcm2niixLog(['Found 2 DICOM file(s)', 'Convert 2 DICOM as out/x (2x2x2x1)'])
    expect(other.inputs.size).toBe(0)
    expect(other.filesPerOutput.size).toBe(0)
  })
})
