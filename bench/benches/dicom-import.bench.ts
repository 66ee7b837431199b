/**
 * Seconds to import a DICOM series, against Debian's native dcm2niix on the same files in the same
 * run: the 20-slice 512×512 JPEG 2000 CT and the 150-file GE EPI series (../shared/data/dicom). Runs
 * are interleaved (one of each, then again) and the median kept, so that the load of the shared
 * machine moves both sides alike. The breakdown shows where the time goes: the converter alone
 * (dcm2niix's wasm build on this thread), the conversion as the app runs it (folder search, worker
 * thread, sidecars, log), and the whole import into a new project (gzip, staging, commit).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { importDataset } from '../../src/main/services/project/importDataset'
import { ProjectStore } from '../../src/main/services/project/ProjectStore'
import { runDcm2niixHere } from '../../src/node/formats/dicom/dcm2niixCore'
import { convertDicomFiles, DCM2NIIX_OPTIONS } from '../../src/node/formats/dicom/convertDicomFiles'
import { dcm2niixFiles, DCM2NIIX_VERSION } from '../../src/node/formats/dicom/dcm2niixPackage'
import { findDicomFiles } from '../../src/node/formats/dicom/findDicomFiles'
import { loadAverage, lowerMedian } from '../benchCommon'
import type { Bench, BenchReport, BenchRow, BenchTarget } from '../report'

const DICOM_DIR = path.resolve(__dirname, '../../../shared/data/dicom')
const DATASETS = [
  { key: 'CT j2k', folder: 'totalseg_example_ct_j2k', what: '20 × 512×512 JPEG 2000 CT' },
  { key: 'GE EPI', folder: 'dcm_qa_nih_ge_epi_mr_0004', what: '150 × 64×64 GE EPI, 15 positions × 10 times' }
]
const RUNS = 5
const TARGET_RATIO = 2
/**
 * The built CLI (`npm run build`), timed as a whole process like the native binary: what a user
 * runs, with the worker thread loading its bundle (from source it first registers tsx, which costs
 * a few hundred milliseconds per conversion). VOXLOOP_BENCH_CLI points at another build.
 */
const BUILT_CLI = process.env.VOXLOOP_BENCH_CLI ? path.resolve(process.env.VOXLOOP_BENCH_CLI) : path.resolve(__dirname, '../../out/main/cli.js')

function builtCli(): string | null {
  return existsSync(BUILT_CLI) && existsSync(path.join(path.dirname(BUILT_CLI), 'dcm2niixWorker.js')) ? BUILT_CLI : null
}

function debianDcm2niix(): { path: string; version: string } | null {
  const which = spawnSync('sh', ['-c', 'command -v dcm2niix'], { encoding: 'utf8' })
  const found = which.stdout.trim()
  if (which.status !== 0 || !found) return null
  const version = spawnSync(found, ['--version'], { encoding: 'utf8' }).stdout.trim().split('\n').pop() ?? 'unknown'
  return { path: found, version }
}

async function seconds(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now()
  await fn()
  return (performance.now() - start) / 1000
}

export const bench: Bench = {
  name: 'dicom-import',
  description: "DICOM import (dcm2niix wasm in a worker) vs Debian's native dcm2niix on the same files",
  async run(): Promise<BenchReport> {
    const native = debianDcm2niix()
    const cli = builtCli()
    const loadBefore = loadAverage()
    const scratch = mkdtempSync(path.join(tmpdir(), 'voxloop-bench-dicom-'))
    const rows: BenchRow[] = []
    const targets: BenchTarget[] = []
    try {
      for (const dataset of DATASETS) {
        const folder = path.join(DICOM_DIR, dataset.folder)
        const inputs = (await findDicomFiles(folder)).dicom
        const times: Record<string, number[]> = { nativeRaw: [], nativeGz: [], wasmHere: [], convert: [], importing: [], cliImport: [] }
        for (let run = 0; run < RUNS; run++) {
          if (native) {
            for (const [key, gz] of [['nativeRaw', 'n'], ['nativeGz', 'y']] as const) {
              const out = path.join(scratch, `${dataset.folder}-${key}-${run}`)
              mkdirSync(out)
              times[key]?.push(await seconds(() => spawnSync(native.path, ['-o', out, '-z', gz, '-b', 'y', '-ba', 'n', '-f', '%s', folder], { stdio: 'ignore' })))
            }
          }
          times.wasmHere?.push(await seconds(() => runDcm2niixHere({ files: dcm2niixFiles(), inputs, options: DCM2NIIX_OPTIONS })))
          times.convert?.push(await seconds(async () => convertDicomFiles(folder, await findDicomFiles(folder))))
          if (cli) {
            const cliProject = path.join(scratch, `${dataset.folder}-project-cli-${run}`)
            times.cliImport?.push(await seconds(() => spawnSync(process.execPath, [cli, 'import', folder, cliProject], { stdio: 'ignore' })))
          }
          const project = path.join(scratch, `${dataset.folder}-project-${run}`)
          times.importing?.push(
            await seconds(async () => {
              const store = await ProjectStore.create(project, { name: 'bench' })
              try {
                await importDataset(store, folder)
              } finally {
                await store.dispose()
              }
            })
          )
        }
        const median = (key: string): number => lowerMedian(times[key] ?? [])
        const nativeRaw = `${dataset.key}: Debian dcm2niix -z n`
        const nativeGz = `${dataset.key}: Debian dcm2niix -z y`
        if (native) {
          rows.push({ name: nativeRaw, value: median('nativeRaw'), unit: 's', note: `${dataset.what}; .nii + sidecar` })
          rows.push({ name: nativeGz, value: median('nativeGz'), unit: 's', note: '.nii.gz + sidecar' })
        }
        rows.push({ name: `${dataset.key}: wasm dcm2niix, this thread`, value: median('wasmHere'), unit: 's', ...(native ? { baselineOf: nativeRaw } : {}) })
        rows.push({ name: `${dataset.key}: convertDicomFiles (worker)`, value: median('convert'), unit: 's', ...(native ? { baselineOf: nativeRaw } : {}) })
        const importRow = `${dataset.key}: import into a new project`
        rows.push({
          name: importRow,
          value: median('importing'),
          unit: 's',
          ...(native ? { baselineOf: nativeGz } : {}),
          note: dataset.folder.startsWith('dcm_qa_nih') ? 'converted, then refused as 4D (the project is removed)' : 'gzip level 3, staged, committed'
        })
        if (cli) {
          rows.push({
            name: `${dataset.key}: voxloop import, built CLI process`,
            value: median('cliImport'),
            unit: 's',
            ...(native ? { baselineOf: nativeGz } : {}),
            note: 'node out/main/cli.js import <folder> <new project>, start to exit'
          })
        }
        // Two figures a user meets: an import in the running app (the converter compiled once per
        // process; here from source, so with the tsx cost in each worker), and a `voxloop import`
        // process, which also pays Node's start, the CLI's modules and a cold converter every time.
        const judged: [string, number | null][] = [
          ['import in a running process', median('importing')],
          ['voxloop import (built CLI process)', cli ? median('cliImport') : null]
        ]
        for (const [what, value] of judged) {
          const ratio = native && value !== null ? value / median('nativeGz') : null
          const why = !native ? " (Debian's dcm2niix not installed)" : value === null ? ' (no built CLI)' : ` (${(ratio ?? 0).toFixed(2)}×)`
          targets.push({ description: `${dataset.key}: ${what} ≤ ${TARGET_RATIO}× Debian dcm2niix -z y on the same files${why}`, met: ratio === null ? null : ratio <= TARGET_RATIO })
        }
        const leftovers = readdirSync(scratch).filter((name) => name.includes('-project-'))
        for (const name of leftovers) rmSync(path.join(scratch, name), { recursive: true, force: true })
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true })
    }
    return {
      name: 'dicom-import',
      rows,
      targets,
      notes: [
        `median of ${RUNS} interleaved runs each; load average before ${loadBefore}, after ${loadAverage()} (1/5/15 min)`,
        `Voxloop: @niivue/dcm2niix (dcm2niix ${DCM2NIIX_VERSION}, WebAssembly, single thread); Debian: ${native ? `${native.path} ${native.version}` : 'not installed'}`,
        'rows other than the built CLI run from source under tsx: there the worker thread registers tsx before loading its TypeScript, which the built app (out/main/dcm2niixWorker.js) does not',
        cli ? `built CLI: ${cli}` : `no built CLI at ${BUILT_CLI} (npm run build, or VOXLOOP_BENCH_CLI=<out/main/cli.js>): the target is judged on the import from source`
      ],
      environment: { loadAverage: loadBefore }
    }
  }
}
