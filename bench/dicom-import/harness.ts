/**
 * The dicom-import bench's "running process": bundled with the app's code by electron-vite
 * (vite.config.ts beside this file, as `npm run build` bundles the CLI), so that conversions start
 * the built worker (dcm2niixWorker.js) as the app does, not TypeScript under tsx. The bench forks it
 * once and sends it one job at a time; it answers with the seconds each took. Like the app, it keeps
 * the compiled converter between jobs (runDcm2niix's cache) and a warmed converter worker waiting
 * (keepDcm2niixWarm); an 'import-cold' job runs without that worker.
 */
import { importDataset } from '../../src/main/services/project/importDataset'
import { ProjectStore } from '../../src/main/services/project/ProjectStore'
import { convertDicomFiles, DCM2NIIX_OPTIONS } from '../../src/node/formats/dicom/convertDicomFiles'
import { runDcm2niixHere } from '../../src/node/formats/dicom/dcm2niixCore'
import { dcm2niixFiles } from '../../src/node/formats/dicom/dcm2niixPackage'
import { findDicomFiles } from '../../src/node/formats/dicom/findDicomFiles'
import { endSpareDcm2niixWorker, keepDcm2niixWarm, spareDcm2niixReady } from '../../src/node/formats/dicom/runDcm2niix'
import { isHarnessJob, type HarnessJob, type HarnessReply } from './protocol'

async function run(job: HarnessJob): Promise<string> {
  switch (job.kind) {
    case 'converter': {
      // dcm2niix alone on this thread, compiled afresh: the converter's own cost, nothing around it.
      const result = await runDcm2niixHere({ files: dcm2niixFiles(), inputs: (await findDicomFiles(job.folder)).dicom, options: DCM2NIIX_OPTIONS })
      return `${result.outputs.length} output file(s)`
    }
    case 'convert': {
      const conversion = await convertDicomFiles(job.folder, await findDicomFiles(job.folder))
      return `${conversion.series.length} volume(s)`
    }
    case 'import':
    case 'import-cold': {
      const store = await ProjectStore.create(job.project, { name: 'bench' })
      try {
        const report = await importDataset(store, job.folder)
        return `${report.imported.length} case(s) imported, ${report.skipped.length} skipped`
      } finally {
        await store.dispose()
      }
    }
  }
}

function reply(message: HarnessReply): void {
  process.send?.(message)
}

process.on('message', (message: unknown) => {
  if (!isHarnessJob(message)) {
    reply({ kind: 'failed', message: 'not a harness job' })
    return
  }
  // 'import' runs as in the app, which keeps a warmed converter worker waiting (keepDcm2niixWarm,
  // below and in src/main/app); 'import-cold' finds none, as an import started the moment the app
  // starts would, or a process that keeps none (`voxloop import`).
  // Before an 'import', the spare has finished warming up, as it has long before a user's next click
  // (it takes about 0.1 s after the previous job; the bench sends its jobs back to back).
  const ready = message.kind === 'import-cold' ? endSpareDcm2niixWorker() : message.kind === 'import' ? spareDcm2niixReady().then(() => undefined) : Promise.resolve()
  void ready.then(() => {
    const start = performance.now()
    run(message).then(
      (outcome) => {
        const seconds = (performance.now() - start) / 1000
        if (message.kind === 'import-cold') keepDcm2niixWarm(dcm2niixFiles())
        reply({ kind: 'done', seconds, outcome })
      },
      (error: unknown) => reply({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
    )
  })
})
keepDcm2niixWarm(dcm2niixFiles())
reply({ kind: 'ready' })
