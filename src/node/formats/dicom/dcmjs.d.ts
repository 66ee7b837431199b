/**
 * The small part of dcmjs (which ships no types) that Voxloop uses: reading a Part 10 file up to a
 * tag, (de)naturalizing data sets, and writing a DicomDict. Values stay `unknown` here; callers
 * check what they read (dicomHeaders.ts) and build what they write (dicomSeg.ts).
 */
declare module 'dcmjs' {
  /** A data element as dcmjs holds it before naturalizing: keyed by its tag, e.g. '00080018'. */
  export interface DicomElement {
    vr: string
    Value?: unknown[]
  }
  export type DicomDataset = Record<string, DicomElement>

  export interface ReadFileOptions {
    ignoreErrors?: boolean
    /** Stop reading at this tag (e.g. '7FE00010', pixel data); its element is kept without its value. */
    untilTag?: string | null
    includeUntilTagValue?: boolean
    noCopy?: boolean
    forceStoreRaw?: boolean
  }

  export interface DicomDictInstance {
    meta: DicomDataset
    dict: DicomDataset
    write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer
  }

  export const data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: ReadFileOptions): DicomDictInstance }
    DicomMetaDictionary: {
      naturalizeDataset(dataset: DicomDataset): Record<string, unknown>
      denaturalizeDataset(dataset: Record<string, unknown>): DicomDataset
    }
    DicomDict: new (meta: DicomDataset) => DicomDictInstance
  }

  type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'
  export const log: { setLevel(level: LogLevel): void; getLogger(name: string): { setLevel(level: LogLevel): void } }
}
