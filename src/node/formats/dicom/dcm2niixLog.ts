/**
 * What dcm2niix's verbose log (`-v 1`) says about each input and output, for the import report.
 * The runner names inputs /in/<n>, so every file line maps back to one input. Lines read:
 *   `DICOM file: /in/<n>`            one per file it took for DICOM, after the file's own warnings;
 *   ` acq … valid <0|1> …`           whether that file holds an image it can use;
 *   `Convert <k> DICOM as /out/<name> (<x>x<y>x<z>x<t>)`  one per volume written, from k files;
 *   `\t/in/<a>\t=\t/in/<b>`          two files of the same image (time, series, acquisition, instance): one is dropped;
 *   `Error: …`, `Warning: …`, `Unsupported transfer syntax …`  the problems.
 * These lines are dcm2niix's (nii_dicom.cpp, nii_dicom_batch.cpp) in the pinned version; if a
 * later version words them differently the report falls back to counts (convertDicomFolder.ts), and
 * dcm2niixLog.test.ts fails on the real log first.
 */

export interface InputVerdict {
  /** dcm2niix's "valid" for the file: an image it can convert. */
  valid: boolean
  /** Warnings and errors printed while it read the file. */
  problems: string[]
}

export interface Dcm2niixLog {
  /** By input index, for every file dcm2niix listed. */
  inputs: Map<number, InputVerdict>
  /** Files used per output (by its name in /out, without extension). */
  filesPerOutput: Map<string, number>
  /** Error lines not tied to one input file (conversion failures). */
  errors: string[]
  /** Problems printed while converting each output, before its `Convert` line (e.g. uneven slice spacing). */
  problemsPerOutput: Map<string, string[]>
  /** Pairs of inputs dcm2niix found to be the same image (`\t/in/<a>\t=\t/in/<b>`); it converts one of each pair. */
  duplicates: [number, number][]
}

const FILE_LINE = /^DICOM file: \/in\/(\d+)$/
const VALID_FIELD = /^ acq .* valid (\d+) /
const CONVERT_LINE = /^Convert (\d+) DICOM as \/out\/(.+) \(\d+x\d+x\d+x\d+\)$/
const DUPLICATE_LINE = /^\t\/in\/(\d+)\t=\t\/in\/(\d+)$/
const PROBLEM_LINE = /^(Error|Warning|Unsupported)\b|^Unable to/i

export function parseDcm2niixLog(lines: readonly string[]): Dcm2niixLog {
  const log: Dcm2niixLog = { inputs: new Map(), filesPerOutput: new Map(), errors: [], problemsPerOutput: new Map(), duplicates: [] }
  let pending: string[] = []
  let current: InputVerdict | null = null
  // Problems since the last file or output line: an output's own, once its `Convert` line comes.
  let sinceLast: string[] = []
  for (const line of lines) {
    const file = FILE_LINE.exec(line)
    if (file) {
      current = { valid: false, problems: pending }
      pending = []
      sinceLast = []
      log.inputs.set(Number(file[1]), current)
      continue
    }
    const valid = VALID_FIELD.exec(line)
    if (valid && current) {
      current.valid = valid[1] !== '0'
      current = null
      continue
    }
    const duplicate = DUPLICATE_LINE.exec(line)
    if (duplicate) {
      log.duplicates.push([Number(duplicate[1]), Number(duplicate[2])])
      continue
    }
    const convert = CONVERT_LINE.exec(line)
    if (convert) {
      log.filesPerOutput.set(convert[2] as string, Number(convert[1]))
      log.problemsPerOutput.set(convert[2] as string, sinceLast)
      sinceLast = []
      continue
    }
    if (PROBLEM_LINE.test(line.trim())) {
      // While files are read, a problem precedes the file line it belongs to; after that, it is
      // about a conversion.
      pending.push(line.trim())
      sinceLast.push(line.trim())
      if (/^Error/i.test(line.trim())) log.errors.push(line.trim())
    }
  }
  return log
}
