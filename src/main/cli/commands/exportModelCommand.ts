/**
 * `voxloop export-model <project> <version> --onnx [--out file.onnx] [--check <caseId>] [--json]`:
 * a model version as an ONNX file (docs/ONNX.md). Exits 1 when --check finds the file's
 * probabilities further than the tolerance from Voxloop's own.
 */
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import type { VoxloopApp } from '../../app/VoxloopApp'
import { exportModelOnnx, type ExportModelOnnxReport } from '../../services/models/exportModelOnnx'

export interface ExportModelCommandOptions {
  onnx: boolean
  out: string | undefined
  check: string | undefined
  json: boolean
  appVersion: string
}

/** Checked before the engine starts, so that a missing format fails at once. */
export function requireOnnxFormat(onnx: boolean): void {
  if (!onnx) throw new VoxloopError('INVALID_ARGUMENT', 'voxloop export-model: name the format, --onnx (the only one so far)')
}

const shape = (dims: (number | null)[]): string => `[${dims.map((d) => d ?? '?').join(', ')}]`

function formatReport(report: ExportModelOnnxReport): string {
  const lines = [
    `Wrote ${report.file} (${(report.bytes / 2 ** 20).toFixed(1)} MiB, ONNX opset ${report.opset}, ${report.nodes} nodes, ${report.parameters.toLocaleString('en-US')} parameters)`,
    `  input  'image'         float32 ${shape(report.inputShape)} = [batch, D, H, W, channels], normalised and resampled (docs/ONNX.md)`,
    `  output 'probabilities' float32 ${shape(report.outputShape)} = [batch, D, H, W, classes]`,
    `  classes ${report.metadata.classes ?? '?'}`,
    `  target spacing ${report.metadata.target_spacing_mm ?? '?'} mm, patch ${report.metadata.patch_size ?? '?'}, sizes multiples of ${report.metadata.spatial_divisor ?? '?'}`
  ]
  const check = report.check
  if (check) {
    lines.push(
      `  check on ${check.caseId} (centre patch ${check.patchShape.join('×')}, ${check.values.toLocaleString('en-US')} probabilities, onnxruntime ${check.onnxRuntimeVersion}): ` +
        `max |onnx − voxloop| = ${check.maxAbsDifference.toExponential(2)} ${check.passed ? '≤' : '>'} ${check.tolerance} ${check.passed ? 'passed' : 'FAILED'}`
    )
  }
  return `${lines.join('\n')}\n`
}

export async function exportModelCommand(app: VoxloopApp, projectDir: string, version: string, options: ExportModelCommandOptions): Promise<number> {
  requireOnnxFormat(options.onnx)
  await app.project.open(path.resolve(projectDir))
  const report = await exportModelOnnx(app.project.activeStore(), app.engine, path.basename(version), {
    out: options.out,
    defaultDir: process.cwd(),
    checkCaseId: options.check,
    appVersion: options.appVersion
  })
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report))
  return report.check && !report.check.passed ? 1 : 0
}
