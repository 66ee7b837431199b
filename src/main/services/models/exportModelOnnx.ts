/**
 * `voxloop export-model <project> <version> --onnx`: a trained model version as one .onnx file for a
 * hospital's own pipeline (docs/ONNX.md). The engine converts the version's best checkpoint; main
 * confines the paths, writes the file atomically outside the project, and on request has the engine
 * run the written file with onnxruntime-node on one case against Voxloop's own prediction.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { parseModelVersion, resolveModelVersion } from '../../../node/models/modelVersions'
import { writeFileAtomic } from '../../../node/storage/durableWrite'
import type { EngineMethod, EngineMethods, OnnxCheckResult } from '../../../shared/engineProtocol'
import { VoxloopError } from '../../../shared/errors'
import { isInside } from '../project/projectPaths'
import type { ProjectStore } from '../project/ProjectStore'
import { pathExists } from '../../../node/storage/pathExists'

/** The largest difference of a class probability the check accepts (the bound). */
export const ONNX_CHECK_TOLERANCE = 1e-4

/** What the export needs of the engine client. */
export interface OnnxEngine {
  call<M extends EngineMethod>(method: M, ...args: EngineMethods[M]['args']): Promise<EngineMethods[M]['result']>
}

export interface ExportModelOnnxOptions {
  /** The .onnx file to write, outside the project; default `<version>.onnx` in `defaultDir`. */
  out?: string | undefined
  /** Folder of the default file name (the CLI: the working directory). */
  defaultDir: string
  /** Run the written file on this case with onnxruntime-node and compare with Voxloop's prediction. */
  checkCaseId?: string | undefined
  /** Voxloop's version, recorded in the file. */
  appVersion: string
}

export interface ExportModelOnnxReport {
  version: string
  file: string
  bytes: number
  opset: number
  nodes: number
  parameters: number
  inputShape: (number | null)[]
  outputShape: (number | null)[]
  metadata: Record<string, string>
  /** Null without --check; `passed` when the largest difference is within ONNX_CHECK_TOLERANCE. */
  check: (OnnxCheckResult & { tolerance: number; passed: boolean }) | null
}

/** The destination file: *.onnx, outside the project, not there yet (an export never replaces a file). */
async function destinationOf(store: ProjectStore, version: string, options: ExportModelOnnxOptions): Promise<string> {
  const file = path.resolve(options.defaultDir, options.out ?? `${version}.onnx`)
  if (path.extname(file).toLowerCase() !== '.onnx') throw new VoxloopError('INVALID_ARGUMENT', `${file}: the ONNX file's name must end in .onnx`)
  if (isInside(store.root, file)) throw new VoxloopError('INVALID_ARGUMENT', `${file}: write the ONNX file outside the project ${store.root}`)
  if (await pathExists(file)) throw new VoxloopError('ALREADY_EXISTS', `${file} already exists; remove it or choose another --out`)
  return file
}

export async function exportModelOnnx(store: ProjectStore, engine: OnnxEngine, requested: string, options: ExportModelOnnxOptions): Promise<ExportModelOnnxReport> {
  // Its folder's name or its number (`v3`), as in every command; an unknown one names those there are.
  const version = await resolveModelVersion(store.paths.dir('models'), requested)
  if (!parseModelVersion(version)) throw new VoxloopError('INVALID_ARGUMENT', `${JSON.stringify(version)} is not a model version name (like v0003-20261206-101500; the model table lists them)`)
  // confine: the folder stays in the project after symlinks.
  const modelDir = await store.paths.confine(store.paths.modelDir(version))
  if (!(await pathExists(modelDir))) throw new VoxloopError('NOT_FOUND', `the project has no model version ${version} (voxloop train makes one)`)
  if (options.checkCaseId !== undefined && !store.hasCase(options.checkCaseId)) {
    throw new VoxloopError('NOT_FOUND', `--check: the project has no case ${options.checkCaseId}`)
  }
  const file = await destinationOf(store, version, options)
  const modelsDir = path.dirname(modelDir)
  const exported = await engine.call('model:exportOnnx', { modelsDir, version, producerVersion: options.appVersion })
  await mkdir(path.dirname(file), { recursive: true })
  await writeFileAtomic(file, exported.bytes)
  let check: ExportModelOnnxReport['check'] = null
  if (options.checkCaseId !== undefined) {
    const imagePath = await store.paths.confine(store.paths.image(options.checkCaseId))
    const result = await engine.call('model:checkOnnx', { modelsDir, version, onnxPath: file, case: { id: options.checkCaseId, imagePath, labelPath: null } })
    check = { ...result, tolerance: ONNX_CHECK_TOLERANCE, passed: result.maxAbsDifference <= ONNX_CHECK_TOLERANCE }
  }
  return {
    version,
    file,
    bytes: exported.bytes.byteLength,
    opset: exported.opset,
    nodes: exported.nodes,
    parameters: exported.parameters,
    inputShape: exported.inputShape,
    outputShape: exported.outputShape,
    metadata: exported.metadata,
    check
  }
}
