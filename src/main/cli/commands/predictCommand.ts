/**
 * `voxloop predict <project|file.nii.gz> [--model <version or dir>] [--out <dir>] [--tta] [--json]`.
 * A project: predicts every case not in review or done with the given (or active) model, saving
 * predictions and uncertainty maps under predictions/, or, with --out (the way for a read-only
 * project), writing them into that folder and leaving the project untouched. A file: writes
 * <out>/<case>.nii.gz (labels) and <out>/<case>.uncertainty.nii.gz on the input's own grid and affine,
 * <out> by default voxloop-predictions/ beside the file. Where they may go: predictionDestination.ts.
 */
import { mkdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import type { PredictionFinished, PredictionProgress } from '../../../shared/prediction'
import type { VoxloopApp } from '../../app/VoxloopApp'
import { predictableCaseIds } from '../../services/prediction/PredictionService'
import { readNiftiHeader, writeLabelNifti } from '../../../node/formats/nifti'
import { writeImageNifti } from '../../../node/formats/nifti/writeImageNifti'
import { resolveModelVersion } from '../../../node/models/modelVersions'
import { DEFAULT_PREDICTION_FOLDER, predictionFiles, type PredictionFiles } from '../predictionDestination'

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
  const overview = await app.project.open(projectDir)
  if (options.out) return predictProjectInto(app, path.resolve(options.out), options)
  if (overview.readOnly) {
    throw new VoxloopError('READ_ONLY', `${projectDir} is read-only, so predictions cannot be stored in it; add --out <folder> to write them there`)
  }
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

/** `--out` on a project: every case it would predict, written as files into `out`; the project is not changed. */
async function predictProjectInto(app: VoxloopApp, out: string, options: PredictCommandOptions): Promise<number> {
  const store = app.project.activeStore()
  const version = await app.predictions.resolveModel(options.model ? path.basename(options.model) : undefined)
  const modelDir = path.join(store.paths.dir('models'), version)
  const caseIds = predictableCaseIds(store)
  if (caseIds.length === 0) process.stderr.write('No case to predict: every case is in review or done.\n')
  // Every destination checked before the first is written: a refusal leaves nothing half done.
  const images = await Promise.all(caseIds.map((caseId) => store.paths.confine(store.paths.image(caseId))))
  const destinations = await predictionFiles(out, caseIds, images)
  const reports = []
  for (const [i, caseId] of caseIds.entries()) {
    reports.push(await predictInto(app, images[i] as string, caseId, modelDir, destinations[i] as PredictionFiles, options))
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ model: version, out, cases: reports }, null, 2)}\n`)
  else process.stdout.write(`Predicted ${reports.length} case(s) with ${version} into ${out}\n`)
  return 0
}

async function predictFile(app: VoxloopApp, file: string, options: PredictCommandOptions): Promise<number> {
  if (!NIFTI_NAME.test(file)) throw new VoxloopError('INVALID_ARGUMENT', `${file}: expected a .nii or .nii.gz file, or a project folder`)
  if (!options.model) throw new VoxloopError('INVALID_ARGUMENT', 'voxloop predict <file>: --model <models/version folder> is required')
  const caseId = path.basename(file).replace(NIFTI_NAME, '')
  // `--model proj/models/v3` means that folder's version 3, as `--model v3` does on a project.
  const given = path.resolve(options.model)
  const modelDir = path.join(path.dirname(given), await resolveModelVersion(path.dirname(given), path.basename(given)))
  const [destination] = await predictionFiles(path.resolve(options.out ?? path.join(path.dirname(file), DEFAULT_PREDICTION_FOLDER)), [caseId], [file])
  const report = await predictInto(app, file, caseId, modelDir, destination as PredictionFiles, options)
  process.stdout.write(
    options.json ? `${JSON.stringify(report, null, 2)}\n` : `${report.labels}\n${report.uncertaintyMap}\nuncertainty ${report.uncertainty.toFixed(3)}, ${report.gridPasses} tile-grid pass(es), ${report.seconds.toFixed(1)} s\n`
  )
  return 0
}

interface FilePrediction {
  caseId: string
  model: string
  uncertainty: number
  ttaPasses: number
  gridPasses: number
  seconds: number
  labels: string
  uncertaintyMap: string
}

/** Predicts one image file with the model in `modelDir`; writes labels and uncertainty (checked destinations) on the image's grid. */
async function predictInto(app: VoxloopApp, file: string, caseId: string, modelDir: string, destination: PredictionFiles, options: PredictCommandOptions): Promise<FilePrediction> {
  const header = await readNiftiHeader(file)
  const result = await app.engine.call('infer:predictCase', {
    modelsDir: path.dirname(modelDir),
    version: path.basename(modelDir),
    case: { id: caseId, imagePath: file, labelPath: null },
    tta: options.tta
  })
  await mkdir(path.dirname(destination.labels), { recursive: true })
  const labelsFile = destination.labels
  const uncertaintyFile = destination.uncertainty
  await writeLabelNifti(labelsFile, result.labels, header)
  await writeImageNifti(uncertaintyFile, { header: { ...header, channels: 1 }, data: result.uncertainty })
  if (options.tta && result.ttaPasses === 1) {
    process.stderr.write(`--tta: model ${result.version} was trained without mirroring, so mirror test-time augmentation has no axis it may use; predicted once\n`)
  }
  return { caseId, model: result.version, uncertainty: result.score, ttaPasses: result.ttaPasses, gridPasses: result.gridPasses, seconds: result.seconds, labels: labelsFile, uncertaintyMap: uncertaintyFile }
}
