import type { BackendReport } from '../../../shared/backends'
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

export function formatBackendReport(report: BackendReport): string {
  const lines = [
    `Compute backend: ${report.chosen} (TensorFlow.js ${report.tfjsVersion}, backend "${report.tfBackend}", ${report.threads} thread${report.threads === 1 ? '' : 's'})`,
    `Why: ${report.reason}`,
    `Preference: ${report.preference}`,
    '',
    ...report.probes.map((probe) => `  ${probe.available ? 'yes' : 'no '}  ${probe.id.padEnd(14)} ${probe.reason}`)
  ]
  return `${lines.join('\n')}\n`
}
