import { describeAdapter, type BackendProbe, type BackendReport } from '../../../shared/backends'
import type { EngineClient } from '../../engine/EngineClient'

/** `voxloop backends [--json]`: what is available here and what would be chosen, and why. */
export async function backendsCommand(engine: EngineClient, json: boolean): Promise<void> {
  const report = await engine.start()
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    return
  }
  process.stdout.write(formatBackendReport(report))
}

/**
 * "yes", "no", or "forced" for one that works but that auto passes over (a software WebGPU
 * adapter): usable only with --backend.
 */
function availability(probe: BackendProbe): string {
  if (!probe.available) return 'no'
  return probe.autoSkipReason === undefined ? 'yes' : 'forced'
}

export function formatBackendReport(report: BackendReport): string {
  const lines = [
    `Compute backend: ${report.chosen} (TensorFlow.js ${report.tfjsVersion}, backend "${report.tfBackend}", ${report.threads} thread${report.threads === 1 ? '' : 's'})`,
    ...(report.adapter ? [`GPU adapter: ${describeAdapter(report.adapter)}`] : []),
    `Why: ${report.reason}`,
    `Preference: ${report.preference}`,
    '',
    ...report.probes.flatMap((probe) => [
      `  ${availability(probe).padEnd(6)} ${probe.id.padEnd(14)} ${probe.reason}`,
      ...(probe.autoSkipReason === undefined ? [] : [`  ${''.padEnd(6)} ${''.padEnd(14)} auto skips it: ${probe.autoSkipReason}`])
    ])
  ]
  return `${lines.join('\n')}\n`
}
