/**
 * Which files hold a NIfTI image: one `.nii`/`.nii.gz`, or a `.hdr` + `.img` pair (either half may be
 * gzipped). Given either half of a pair we find the other beside it.
 */
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { niftiInvalid } from './niftiErrors'

export interface NiftiFiles {
  headerPath: string
  /** Same as headerPath for a single file. */
  dataPath: string
  isPair: boolean
}

const PAIR_SUFFIX = /\.(hdr|img)(\.gz)?$/i

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/** `a.hdr.gz` → ['a.img.gz', 'a.img'] (same compression first, as writers keep pairs alike). */
function partnerCandidates(path: string, partner: 'hdr' | 'img'): string[] {
  const match = PAIR_SUFFIX.exec(path)
  if (!match) return []
  const base = path.slice(0, match.index)
  const upper = match[1] === match[1].toUpperCase()
  const ext = upper ? partner.toUpperCase() : partner
  const gz = upper ? '.GZ' : '.gz'
  const sameCompression = match[2] ? [`${base}.${ext}${gz}`, `${base}.${ext}`] : [`${base}.${ext}`, `${base}.${ext}${gz}`]
  return sameCompression
}

export async function resolveNiftiFiles(path: string): Promise<NiftiFiles> {
  const match = PAIR_SUFFIX.exec(path)
  if (!match) return { headerPath: path, dataPath: path, isPair: false }
  const givenIsHeader = match[1].toLowerCase() === 'hdr'
  const candidates = partnerCandidates(path, givenIsHeader ? 'img' : 'hdr')
  for (const candidate of candidates) {
    if (await isFile(candidate)) {
      return givenIsHeader
        ? { headerPath: path, dataPath: candidate, isPair: true }
        : { headerPath: candidate, dataPath: path, isPair: true }
    }
  }
  const half = givenIsHeader ? 'image (.img)' : 'header (.hdr)'
  throw niftiInvalid(
    path,
    `the ${half} half of this .hdr/.img pair is missing (looked for ${candidates.map((c) => basename(c)).join(', ')})`
  )
}
