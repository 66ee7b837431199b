/**
 * The dicom-import bench's "running process": bundled with the app's code by electron-vite
 * (vite.config.ts beside this file, as `npm run build` bundles the CLI), so that conversions start
 * the built worker (dcm2niixWorker.js) as the app does, not TypeScript under tsx. The bench forks it
 * once and sends it one job at a time; it answers with the seconds each took. Like the app, it keeps
 * the compiled converter between jobs (runDcm2niix's cache).
 */
import { importDataset } from '../../src/main/services/project/importDataset'
import { ProjectStore } from '../../src/main/services/project/ProjectStore'
import { convertDicomFiles, DCM2NIIX_OPTIONS } from '../../src/node/formats/dicom/convertDicomFiles'
import { runDcm2niixHere } from '../../src/node/formats/dicom/dcm2niixCore'
import { dcm2niixFiles } from '../../src/node/formats/dicom/dcm2niixPackage'
import { findDicomFiles } from '../../src/node/formats/dicom/findDicomFiles'
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
    case 'import': {
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
  const start = performance.now()
  run(message).then(
    (outcome) => reply({ kind: 'done', seconds: (performance.now() - start) / 1000, outcome }),
    (error: unknown) => reply({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
  )
})
reply({ kind: 'ready' })
