import { FourDImportSchema, type FourDImport } from '../../shared/project'
import { parseEnumFlag } from './enumFlag'

/** `--4d channels|time` (voxloop import): undefined without the flag; anything else is refused with what is accepted. */
export function parseFourDFlag(value: string | undefined): FourDImport | undefined {
  return parseEnumFlag('4d', value, FourDImportSchema)
}
