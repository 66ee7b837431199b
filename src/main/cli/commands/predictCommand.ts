/**
 * `voxloop predict <project|file.nii.gz> [--model <version or dir>] [--out <dir>] [--tta] [--json]`.
 * A project: predicts every case not in review or done with the given (or active) model, saving
 * predictions and uncertainty maps under predictions/. A file: writes <out>/<case>.nii.gz (labels)
 * and <out>/<case>.uncertainty.nii.gz on the input's own grid and affine.
 */
import { mkdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import type { PredictionFinished, PredictionProgress } from '../../../shared/prediction'
import type { VoxloopApp } from '../../app/VoxloopApp'
import { readNiftiHeader, writeLabelNifti } from '../../services/volumes/nifti'
import { writeImageNifti } from '../../services/volumes/nifti/writeImageNifti'

export interface PredictCommandOptions {
  model: string | undefined
  out: string | undefined
  tta: boolean
  json: boolean
}

const NIFTI_NAME = /\.nii(\.gz)?$/i

export async function predictCommand(app: VoxloopApp, target: string, options: PredictCommandOptions): Promise<number> {
  const resolved = path.resolve(target)
  const info = await stat(resolved).catch(() => null)
  if (!info) throw new VoxloopError('NOT_FOUND', `${resolved}: no such file or folder`)
  return info.isDirectory() ? predictProject(app, resolved, options) : predictFile(app, resolved, options)
}

async function predictProject(app: VoxloopApp, projectDir: string, options: PredictCommandOptions): Promise<number> {
  await app.project.open(projectDir)
  const model = options.model ? path.basename(options.model) : undefined
  const finished = new Promise<PredictionFinished>((resolve) => {
    const off = app.events.subscribe((name, payload) => {
      if (name === 'predictions:progress' && !options.json) {
        const p = payload as PredictionProgress
        process.stderr.write(`[${p.done}/${p.total}] ${p.caseId}: uncertainty ${p.score.toFixed(3)} (${p.seconds.toFixed(1)} s)\n`)
      }
      if (name === 'predictions:finished') {
        off()
        resolve(payload as PredictionFinished)
      }
    })
  })
  const started = await app.predictions.start({ ...(model ? { model } : {}), tta: options.tta })
  if (started.total === 0) process.stderr.write('No case to predict: every case is in review or done.\n')
  const result = await finished
  const cases = app.project
    .listCases()
    .filter((c) => c.prediction?.modelVersion === result.model)
    .map((c) => ({ caseId: c.id, uncertainty: c.prediction?.uncertainty ?? null }))
  if (options.json) process.stdout.write(`${JSON.stringify({ ...result, cases }, null, 2)}\n`)
  else process.stdout.write(`Predicted ${result.done} of ${result.total} case(s) with ${result.model}${result.error ? `: ${result.error}` : ''}\n`)
  return result.error ? 1 : 0
}

async function predictFile(app: VoxloopApp, file: string, options: PredictCommandOptions): Promise<number> {
  if (!NIFTI_NAME.test(file)) throw new VoxloopError('INVALID_ARGUMENT', `${file}: expected a .nii or .nii.gz file, or a project folder`)
  if (!options.model) throw new VoxloopError('INVALID_ARGUMENT', 'voxloop predict <file>: --model <models/version folder> is required')
  const modelDir = path.resolve(options.model)
  const caseId = path.basename(file).replace(NIFTI_NAME, '')
  const out = path.resolve(options.out ?? path.dirname(file))
  const header = await readNiftiHeader(file)
  const result = await app.engine.call('infer:predictCase', {
    modelsDir: path.dirname(modelDir),
    version: path.basename(modelDir),
    case: { id: caseId, imagePath: file, labelPath: null },
    tta: options.tta
  })
  await mkdir(out, { recursive: true })
  const labelsFile = path.join(out, `${caseId}.nii.gz`)
  const uncertaintyFile = path.join(out, `${caseId}.uncertainty.nii.gz`)
  await writeLabelNifti(labelsFile, result.labels, header)
  await writeImageNifti(uncertaintyFile, { header: { ...header, channels: 1 }, data: result.uncertainty })
  if (options.tta && result.ttaPasses === 1) {
    process.stderr.write(`--tta: model ${result.version} was trained without mirroring, so mirror test-time augmentation has no axis it may use; predicted once\n`)
  }
  const report = { caseId, model: result.version, uncertainty: result.score, ttaPasses: result.ttaPasses, seconds: result.seconds, labels: labelsFile, uncertaintyMap: uncertaintyFile }
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${labelsFile}\n${uncertaintyFile}\nuncertainty ${result.score.toFixed(3)}, ${result.seconds.toFixed(1)} s\n`)
  return 0
}
