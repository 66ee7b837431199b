/**
 * Saving and loading model versions: `<projectDir>/models/<version>/` with model.json, weights.bin
 * and config.json (layout and checks in modelConfig.ts and modelFolderIO.ts).
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import './layers' // registers the custom layers, which deserialising a saved model needs
import { MODEL_JSON, modelCorrupt, type ModelConfig, type ModelMetadata } from './modelConfig'
import { modelFolderIO, readModelArtifacts, type ModelDescription } from './modelFolderIO'
import { nextModelVersion } from '../../node/models/modelVersions'

export interface LoadedModel {
  model: tf.LayersModel
  config: ModelConfig
}

function describe(model: tf.LayersModel, metadata: ModelMetadata, savedAt: Date): ModelDescription {
  const [input] = model.inputs
  const [output] = model.outputs
  // Outputs after the first are deep supervision's low-resolution heads (predictionModel): saved with
  // the rest so that a resumed run keeps them; the first is what predicts, and what config.json describes.
  if (!input || !output || model.inputs.length !== 1) {
    throw new VoxloopError('INVALID_ARGUMENT', `model ${model.name} must have one input and at least one output to be saved`)
  }
  return {
    savedAt: savedAt.toISOString(),
    tfjsVersion: tf.version.tfjs,
    model: { name: model.name, inputShape: input.shape, outputShape: output.shape, parameters: model.countParams() },
    architecture: metadata.architecture,
    training: metadata.training ?? {}
  }
}

/**
 * Saves `model` as the new folder `dir` (normally `<projectDir>/models/<version>`), all files or
 * none. Throws ALREADY_EXISTS if `dir` exists. Returns what config.json now holds.
 */
export async function saveModel(model: tf.LayersModel, dir: string, metadata: ModelMetadata, now: Date = new Date()): Promise<ModelConfig> {
  const description = describe(model, metadata, now)
  await model.save(modelFolderIO(dir, description))
  // The handler wrote config.json from these same values; reading it back is cheap and proves it.
  return (await readModelArtifacts(dir)).config
}

/**
 * Saves `model` as the next version in `modelsDir` (`v0001-YYYYMMDD-HHMMSS`, …). Two saves racing
 * for one name: the loser takes the next number.
 */
export async function saveModelVersion(
  model: tf.LayersModel,
  modelsDir: string,
  metadata: ModelMetadata,
  now: Date = new Date()
): Promise<{ version: string; dir: string; config: ModelConfig }> {
  for (let attempt = 0; ; attempt++) {
    const version = await nextModelVersion(modelsDir, now)
    const dir = join(modelsDir, version)
    try {
      return { version, dir, config: await saveModel(model, dir, metadata, now) }
    } catch (error) {
      if (!(error instanceof VoxloopError && error.code === 'ALREADY_EXISTS') || attempt >= 3) throw error
    }
  }
}

function tfjsProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const unknownClass = /Unknown (?:layer|[a-z ]+): (\S+?)\.? /.exec(`${message} `)
  if (unknownClass) return `uses class '${unknownClass[1]}', which this version of Voxloop does not know`
  return `tfjs could not build the model: ${message.split('\n')[0]}`
}

/**
 * Loads the model version folder `dir`. NOT_FOUND if it does not exist; MODEL_CORRUPT naming the
 * file for anything wrong inside (missing file, bad JSON, other format version, weights of the
 * wrong size or checksum, unknown layer class, weights that do not fit the layers).
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new VoxloopError('NOT_FOUND', `model folder ${dir} is not a folder`)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new VoxloopError('NOT_FOUND', `model folder ${dir} does not exist`, { cause: error })
    throw error
  }
  const { config, artifacts } = await readModelArtifacts(dir)
  try {
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts), { strict: true })
    return { model, config }
  } catch (error) {
    throw modelCorrupt(join(dir, MODEL_JSON), tfjsProblem(error), error)
  }
}
