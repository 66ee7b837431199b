import { describe, expect, it } from 'vitest'
import { VoxloopError } from '../../../../../src/shared/errors'
import type { LabelDef } from '../../../../../src/shared/project'
import {
  caretLabelsFromExtensions,
  formatCaretLabelTable,
  isCaretExtension,
  NIFTI_ECODE_CARET,
  parseCaretLabelTable
} from '../../../../../src/node/formats/labelTables/caretXml'

const LABELS: LabelDef[] = [
  { id: 1, name: 'spleen', color: '#00ff00' },
  { id: 2, name: 'a <b> & "c"', color: '#0080ff' },
  { id: 3, name: 'odd ]]> name', color: '#010203' },
  { id: 65535, name: 'last', color: '#fefdfc' }
]

/** The layout TotalSegmentator writes (two labels of its `total` table). */
const TOTALSEG_XML = `<?xml version="1.0" encoding="UTF-8"?> <CaretExtension>  <Date><![CDATA[2013-07-14T05:45:09]]></Date>   <VolumeInformation Index="0">   <LabelTable>
<Label Key="1" Red="0.0" Green="1.0" Blue="0.0" Alpha="1"><![CDATA[spleen]]></Label>
<Label Key="117" Red="0.0" Green="0.5019607843137255" Blue="1.0" Alpha="1"><![CDATA[costal_cartilages]]></Label>

  </LabelTable>  <StudyMetaDataLinkSet>  </StudyMetaDataLinkSet>  <VolumeType><![CDATA[Label]]></VolumeType>   </VolumeInformation></CaretExtension>
              \0\0\0`

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

function parseError(xml: string): VoxloopError {
  try {
    parseCaretLabelTable(xml, '/data/seg.nii.gz')
  } catch (error) {
    if (error instanceof VoxloopError) return error
    throw error
  }
  throw new Error('expected the table to be refused')
}

const table = (labels: string): string => `<CaretExtension><VolumeInformation Index="0"><LabelTable>${labels}</LabelTable></VolumeInformation></CaretExtension>`

describe('Caret XML label tables (NIfTI header extensions)', () => {
  it('round-trips ids, names (markup characters included) and colours through format and parse', () => {
    expect(parseCaretLabelTable(formatCaretLabelTable(LABELS), 'x')).toEqual(LABELS)
  })

  it("reads TotalSegmentator's layout: CDATA names, 0..1 colours, NUL padding after the document", () => {
    expect(parseCaretLabelTable(TOTALSEG_XML, 'seg.nii.gz')).toEqual([
      { id: 1, name: 'spleen', color: '#00ff00' },
      { id: 117, name: 'costal_cartilages', color: '#0080ff' }
    ])
  })

  it('reads escaped text names, single-quoted attributes and skips Key 0', () => {
    const xml = table(`<Label Key='0' Red='0' Green='0' Blue='0' Alpha='0'>???</Label><Label Key='4' Red='1' Green='0' Blue='.5'>Left &amp; right &#x41;&#66;</Label>`)
    expect(parseCaretLabelTable(xml, 'x')).toEqual([{ id: 4, name: 'Left & right AB', color: '#ff0080' }])
  })

  it('answers null for a Caret document without a label table', () => {
    expect(parseCaretLabelTable('<CaretExtension><VolumeInformation Index="0"/></CaretExtension>', 'x')).toBeNull()
  })

  it.each([
    ['unclosed markup', '<CaretExtension><LabelTable><Label Key="1">a</Label>', /not well-formed XML: <LabelTable> is not closed/],
    ['mismatched tags', table('<Label Key="1" Red="1" Green="1" Blue="1">a</Lable>'), /<\/Lable> closes <Label>/],
    ['a DOCTYPE (entity expansion)', '<!DOCTYPE x [<!ENTITY a "b">]><CaretExtension/>', /DOCTYPE or ENTITY declaration is not accepted/],
    ['an unknown entity', table('<Label Key="1" Red="1" Green="1" Blue="1">&bogus;</Label>'), /unknown entity &bogus;/],
    ['a Key that is not an integer', table('<Label Key="1.5" Red="1" Green="1" Blue="1">a</Label>'), /<Label Key="1\.5">\): Key "1\.5" is not an integer/],
    ['a Key over 65535', table('<Label Key="65536" Red="1" Green="1" Blue="1">a</Label>'), /Key "65536"/],
    ['a colour over 1', table('<Label Key="1" Red="255" Green="0" Blue="0">a</Label>'), /Red="255" is not a number from 0 to 1/],
    ['a missing colour', table('<Label Key="1" Red="1">a</Label>'), /Red, Green and Blue are required/],
    ['an empty name', table('<Label Key="1" Red="1" Green="1" Blue="1"> </Label>'), /label 1 " " is not usable/],
    ['a Key given twice', table('<Label Key="1" Red="1" Green="1" Blue="1">a</Label><Label Key="1" Red="1" Green="1" Blue="1">b</Label>'), /label id 1 appears twice/]
  ])('refuses %s, naming the file and the problem', (_case, xml, message) => {
    const error = parseError(xml)
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).toMatch(/^\/data\/seg\.nii\.gz \(Caret label table/)
    expect(error.message).toMatch(message)
  })

  it('finds the table under ecode 30, and under ecode 0 only when the content is a Caret document', () => {
    const caret = { ecode: 0, content: utf8(TOTALSEG_XML) }
    expect(isCaretExtension(caret)).toBe(true)
    expect(isCaretExtension({ ecode: NIFTI_ECODE_CARET, content: utf8(formatCaretLabelTable(LABELS)) })).toBe(true)
    expect(isCaretExtension({ ecode: 0, content: utf8('{"json": "sidecar"}') })).toBe(false)
    expect(isCaretExtension({ ecode: 4, content: utf8(TOTALSEG_XML) })).toBe(false)
    const found = caretLabelsFromExtensions([{ ecode: 0, content: utf8('<other/>') }, { ecode: 4, content: utf8('x') }, caret], 'seg.nii.gz')
    expect(found?.map((label) => label.name)).toEqual(['spleen', 'costal_cartilages'])
    expect(caretLabelsFromExtensions([{ ecode: 0, content: utf8('<other/>') }], 'seg.nii.gz')).toBeNull()
  })

  it('refuses a Caret extension that is not UTF-8, naming the file', () => {
    const bytes = new Uint8Array([...utf8('<CaretExtension><LabelTable><Label Key="1" Red="1" Green="1" Blue="1">'), 0xff, 0xfe, ...utf8('</Label></LabelTable></CaretExtension>')])
    expect(() => caretLabelsFromExtensions([{ ecode: NIFTI_ECODE_CARET, content: bytes }], '/data/seg.nii.gz')).toThrow(
      /\/data\/seg\.nii\.gz \(Caret label table\): the header extension is not UTF-8 text/
    )
  })
})
