import { readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runDcm2niixHere } from '../../../../../src/node/formats/dicom/dcm2niixCore'
import { dcm2niixFiles, DCM2NIIX_VERSION } from '../../../../../src/node/formats/dicom/dcm2niixPackage'
import { runDcm2niix } from '../../../../../src/node/formats/dicom/runDcm2niix'
import { sharedDataMissing, sharedDataPath } from '../../../../helpers/sharedData'
import { itUnless } from '../../../../helpers/skipWithReason'

describe('the dcm2niix WebAssembly build', () => {
  it('loads from node_modules on disk (no download) and is the version the docs and records name', async () => {
    const files = dcm2niixFiles()
    expect(files.wasm).toMatch(/node_modules[/\\]@niivue[/\\]dcm2niix[/\\]dist[/\\]dcm2niix\.jpeg\.wasm$/)
    const result = await runDcm2niixHere({ files, inputs: [], options: [] })
    expect(result.log[0]).toContain(`version ${DCM2NIIX_VERSION}`)
    // The build that decodes JPEG 2000 and JPEG-LS.
    expect(result.log[0]).toMatch(/\(JP2:OpenJPEG\) \(JP-LS:CharLS\)/)
  })

  it("leaves the calling process's exit status alone (Emscripten sets it to dcm2niix's: 2 for no DICOM)", async () => {
    const before = process.exitCode
    const result = await runDcm2niixHere({ files: dcm2niixFiles(), inputs: [], options: [] })
    expect(result.exitCode).toBe(2)
    expect(process.exitCode).toBe(before)
  })
})

describe('runDcm2niix (worker thread)', () => {
  it('rejects at once with CANCELLED when the signal has already fired', async () => {
    await expect(runDcm2niix({ files: dcm2niixFiles(), inputs: [], options: [] }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'CANCELLED' })
  })

  itUnless(sharedDataMissing, 'stops a running conversion when the signal fires (the worker is terminated)', async () => {
    const folder = sharedDataPath('dicom', 'totalseg_example_ct_j2k')
    const inputs = readdirSync(folder).map((name) => path.join(folder, name))
    const controller = new AbortController()
    const run = runDcm2niix({ files: dcm2niixFiles(), inputs, options: ['-z', 'n'] }, { signal: controller.signal, onProgress: (p) => p.filesRead === p.total && controller.abort() })
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED', message: 'conversion of 20 DICOM file(s) cancelled' })
  })
})
