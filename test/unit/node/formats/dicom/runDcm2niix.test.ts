import { readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runDcm2niixHere } from '../../../../../src/node/formats/dicom/dcm2niixCore'
import { dcm2niixFiles, DCM2NIIX_VERSION } from '../../../../../src/node/formats/dicom/dcm2niixPackage'
import { spawnSync } from 'node:child_process'
import { DCM2NIIX_IDLE_MS, endSpareDcm2niixWorker, keepDcm2niixWarm, prewarmDcm2niix, runDcm2niix, spareDcm2niixWorker } from '../../../../../src/node/formats/dicom/runDcm2niix'
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

  itUnless(sharedDataMissing, 'runs a job in the spare worker, ends that worker with the job and starts a new spare after a success, not after a cancel', async () => {
    const files = dcm2niixFiles()
    await endSpareDcm2niixWorker()
    prewarmDcm2niix(files)
    const first = spareDcm2niixWorker()
    expect(first).not.toBeNull()
    const done = await runDcm2niix({ files, inputs: [], options: [] })
    expect(done.log[0]).toContain(`version ${DCM2NIIX_VERSION}`)
    // The spare ran the job and ended with it (its memory with it); another waits for the next job.
    const second = spareDcm2niixWorker()
    expect(second).not.toBeNull()
    expect(second).not.toBe(first)
    const folder = sharedDataPath('dicom', 'udacity_hcrop_study1_13')
    const inputs = readdirSync(folder).map((name) => path.join(folder, name))
    const controller = new AbortController()
    // Aborted once the spare has the files: the run is under way in it.
    const run = runDcm2niix({ files, inputs, options: ['-z', 'n'] }, { signal: controller.signal, onProgress: (p) => p.filesRead === p.total && controller.abort() })
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(spareDcm2niixWorker()).toBeNull()
  })

  itUnless(sharedDataMissing, 'keeps a spare at all times once asked to, after a cancel too, and converts the same in it as in a new worker', async () => {
    const files = dcm2niixFiles()
    await endSpareDcm2niixWorker()
    const folder = sharedDataPath('dicom', 'udacity_hcrop_study1_13')
    const inputs = readdirSync(folder).map((name) => path.join(folder, name))
    const fresh = await runDcm2niix({ files, inputs, options: ['-z', 'n', '-f', '%s'] })
    keepDcm2niixWarm(files)
    try {
      expect(spareDcm2niixWorker()).not.toBeNull()
      const controller = new AbortController()
      const run = runDcm2niix({ files, inputs, options: ['-z', 'n'] }, { signal: controller.signal, onProgress: (p) => p.filesRead === p.total && controller.abort() })
      await expect(run).rejects.toMatchObject({ code: 'CANCELLED' })
      expect(spareDcm2niixWorker()).not.toBeNull()
      const warm = await runDcm2niix({ files, inputs, options: ['-z', 'n', '-f', '%s'] })
      expect(warm.outputs.map((o) => o.name)).toEqual(fresh.outputs.map((o) => o.name))
      const image = (r: typeof warm): Uint8Array | undefined => r.outputs.find((o) => o.name.endsWith('.nii'))?.bytes
      expect(image(warm)).toEqual(image(fresh))
      expect(spareDcm2niixWorker()).not.toBeNull()
    } finally {
      await endSpareDcm2niixWorker()
    }
    expect(spareDcm2niixWorker()).toBeNull()
  })

  it(`does not keep a process alive while its worker waits (${DCM2NIIX_IDLE_MS / 1000} s)`, () => {
    const script = [
      `const { runDcm2niix } = require(${JSON.stringify(path.resolve('src/node/formats/dicom/runDcm2niix.ts'))})`,
      `const { dcm2niixFiles } = require(${JSON.stringify(path.resolve('src/node/formats/dicom/dcm2niixPackage.ts'))})`,
      'runDcm2niix({ files: dcm2niixFiles(), inputs: [], options: [] }).then((r) => { process.stdout.write("exit " + r.exitCode + " at " + Date.now()) })'
    ].join('\n')
    const started = Date.now()
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: DCM2NIIX_IDLE_MS + 20_000 })
    expect(child.stderr).toBe('')
    const printed = /exit 2 at (\d+)/.exec(child.stdout)
    expect(printed).not.toBeNull()
    // The process ends right after its conversion, not when the idle worker would time out.
    expect(Date.now() - Number(printed?.[1])).toBeLessThan(DCM2NIIX_IDLE_MS / 2)
    expect(child.status).toBe(0)
    expect(Date.now() - started).toBeLessThan(DCM2NIIX_IDLE_MS + 15_000)
  }, 60_000)
})
