import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'

/**
 * Where the DICOM converter lives: dcm2niix compiled to WebAssembly, from the npm package
 * `@niivue/dcm2niix` (a production dependency, so electron-builder ships it inside app.asar; the
 * packaging test traces the two files below). Its "jpeg" build carries OpenJPEG (JPEG 2000) and
 * CharLS (JPEG-LS) besides dcm2niix's own JPEG lossless and RLE decoders. Nothing is downloaded:
 * both files are read from node_modules on disk. Why this library: docs/DICOM.md.
 */

export const DCM2NIIX_PACKAGE = '@niivue/dcm2niix'
/** The dcm2niix release inside the pinned package version (its `--version`), for records and reports. */
export const DCM2NIIX_VERSION = 'v1.0.20241231'

const SCRIPT = 'dcm2niix.jpeg.js'
const WASM = 'dcm2niix.jpeg.wasm'

export interface Dcm2niixFiles {
  /** Emscripten's ES-module loader for the wasm build. */
  script: string
  wasm: string
}

const requireAtRuntime = createRequire(import.meta.url)

/**
 * The package's loader and wasm binary. Node's own lookup (`require.resolve`) cannot name them: the
 * package exports only its browser entry, under the "import" condition. So walk the folders Node
 * would search for the package, which also finds it inside app.asar in the installed app.
 */
export function dcm2niixFiles(): Dcm2niixFiles {
  const searched = requireAtRuntime.resolve.paths(DCM2NIIX_PACKAGE) ?? []
  for (const dir of searched) {
    const dist = path.join(dir, ...DCM2NIIX_PACKAGE.split('/'), 'dist')
    const files = { script: path.join(dist, SCRIPT), wasm: path.join(dist, WASM) }
    if (existsSync(files.script) && existsSync(files.wasm)) return files
  }
  throw new VoxloopError('INTERNAL', `the DICOM converter (${DCM2NIIX_PACKAGE}/dist/${WASM}) is missing from node_modules; reinstall Voxloop (npm ci in a source checkout)`)
}
