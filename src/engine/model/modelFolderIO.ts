/**
 * A tf.io IOHandler for one model version folder (see modelConfig.ts for the layout). Saving
 * writes model.json, weights.bin and config.json as one atomic folder; loading checks every file
 * (config.json's format version and digests, model.json's form, the weights' byte length) and
 * names the file and the problem in a MODEL_CORRUPT error before tfjs sees anything.
 */
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { VoxloopError } from '../../shared/errors'
import {
  CONFIG_JSON,
  MODEL_FORMAT_VERSION,
  MODEL_JSON,
  WEIGHTS_BIN,
  checkDigest,
  digestOf,
  modelCorrupt,
  parseJsonFile,
  readModelConfig,
  readModelFile,
  ModelConfigSchema,
  type ModelConfig
} from './modelConfig'
import { writeFolderAtomic } from '../../node/storage/durableWrite'

/** Bytes per value of the dtypes a layers model stores unquantised. */
const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1 } as const

const WeightSpecSchema = z.looseObject({
  name: z.string(),
  shape: z.array(z.number().int().min(0)),
  dtype: z.enum(['float32', 'int32', 'bool'])
})

const ModelJsonSchema = z.looseObject({
  format: z.string().optional(),
  generatedBy: z.string().optional(),
  convertedBy: z.string().nullable().optional(),
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.looseObject({ paths: z.array(z.string()), weights: z.array(WeightSpecSchema) })),
  trainingConfig: z.record(z.string(), z.unknown()).optional(),
  userDefinedMetadata: z.record(z.string(), z.unknown()).optional()
})
type ModelJson = z.infer<typeof ModelJsonSchema>

/** What saving needs besides tfjs's artifacts: config.json without the parts computed from the files. */
export type ModelDescription = Omit<ModelConfig, 'formatVersion' | 'files'>

function parseModelJson(json: unknown, file: string): ModelJson {
  const format = (json as { format?: unknown } | null)?.format
  if (format !== 'layers-model') {
    throw modelCorrupt(file, `format ${JSON.stringify(format ?? null)} is not supported; Voxloop reads tfjs 'layers-model' files`)
  }
  const parsed = ModelJsonSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw modelCorrupt(file, `not a valid tfjs model.json: ${issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'unknown problem'}`)
  }
  return parsed.data
}

/** The weight specs, provided the manifest names weights.bin and nothing else (no paths out of the folder). */
function weightSpecsOf(modelJson: ModelJson, file: string): z.infer<typeof WeightSpecSchema>[] {
  const paths = modelJson.weightsManifest.flatMap((group) => group.paths)
  if (paths.length !== 1 || paths[0] !== WEIGHTS_BIN) {
    throw modelCorrupt(file, `weightsManifest must name exactly one file, ${WEIGHTS_BIN}; it names ${JSON.stringify(paths)}`)
  }
  const specs = modelJson.weightsManifest.flatMap((group) => group.weights)
  const quantized = specs.find((spec) => spec.quantization !== undefined)
  if (quantized) throw modelCorrupt(file, `weight ${quantized.name} is quantized, which Voxloop does not read`)
  return specs
}

function expectedWeightBytes(specs: z.infer<typeof WeightSpecSchema>[]): number {
  return specs.reduce((total, spec) => total + spec.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[spec.dtype], 0)
}

/** An exact ArrayBuffer of a Node buffer's bytes (tfjs reads weights from offset 0 of the buffer). */
function exactArrayBuffer(bytes: Buffer): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength)
  new Uint8Array(copy).set(bytes)
  return copy
}

/** Reads and checks the folder's files; MODEL_CORRUPT naming the file for any problem. */
export async function readModelArtifacts(dir: string): Promise<{ config: ModelConfig; artifacts: tf.io.ModelArtifacts }> {
  const config = await readModelConfig(dir)
  const modelFile = join(dir, MODEL_JSON)
  const modelBytes = await readModelFile(dir, MODEL_JSON)
  const modelJson = parseModelJson(parseJsonFile(modelBytes, modelFile), modelFile)
  const weightSpecs = weightSpecsOf(modelJson, modelFile)
  const weightBytes = await readModelFile(dir, WEIGHTS_BIN)
  const expected = expectedWeightBytes(weightSpecs)
  if (weightBytes.byteLength !== expected) {
    throw modelCorrupt(join(dir, WEIGHTS_BIN), `${weightBytes.byteLength} bytes, but model.json's ${weightSpecs.length} weights need ${expected}`)
  }
  checkDigest(dir, MODEL_JSON, modelBytes, config.files[MODEL_JSON])
  checkDigest(dir, WEIGHTS_BIN, weightBytes, config.files[WEIGHTS_BIN])
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    weightSpecs,
    weightData: exactArrayBuffer(weightBytes)
  }
  // Passed through as written by tfjs; tfjs itself checks them when it applies them.
  if (modelJson.trainingConfig) artifacts.trainingConfig = modelJson.trainingConfig as unknown as tf.io.TrainingConfig
  if (modelJson.userDefinedMetadata) artifacts.userDefinedMetadata = modelJson.userDefinedMetadata as Record<string, object>
  return { config, artifacts }
}

function modelJsonFor(artifacts: tf.io.ModelArtifacts): string {
  const modelJson: Record<string, unknown> = {
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs }]
  }
  if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig
  if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata
  return JSON.stringify(modelJson)
}

/** config.json's text, refused (INVALID_ARGUMENT) unless loading would accept it: never write a folder that cannot be read. */
function configTextOf(config: ModelConfig, dir: string): string {
  let text: string
  try {
    text = `${JSON.stringify(config, null, 2)}\n`
  } catch (error) {
    throw new VoxloopError('INVALID_ARGUMENT', `cannot save to ${dir}: the metadata is not JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error })
  }
  const check = ModelConfigSchema.safeParse(JSON.parse(text))
  if (!check.success) {
    const issue = check.error.issues[0]
    throw new VoxloopError('INVALID_ARGUMENT', `cannot save to ${dir}: ${CONFIG_JSON} would be invalid: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`)
  }
  return text
}

async function saveArtifacts(dir: string, description: ModelDescription, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (!artifacts.modelTopology || artifacts.modelTopology instanceof ArrayBuffer || !artifacts.weightSpecs || !artifacts.weightData) {
    throw new VoxloopError('INVALID_ARGUMENT', `cannot save to ${dir}: only tfjs layers models with weights are supported`)
  }
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData))
  const modelJson = new TextEncoder().encode(modelJsonFor(artifacts))
  const config: ModelConfig = {
    formatVersion: MODEL_FORMAT_VERSION,
    ...description,
    files: { [MODEL_JSON]: digestOf(modelJson), [WEIGHTS_BIN]: digestOf(weights) }
  }
  const configText = configTextOf(config, dir)
  await writeFolderAtomic(dir, {
    [MODEL_JSON]: modelJson,
    [WEIGHTS_BIN]: weights,
    [CONFIG_JSON]: configText
  })
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) }
}

/**
 * IOHandler for the model version folder `dir`. `save` creates the folder (ALREADY_EXISTS if it is
 * there) and needs `description` for config.json; `load` reads a folder written by `save`.
 */
export function modelFolderIO(dir: string, description?: ModelDescription): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      if (!description) throw new VoxloopError('INVALID_ARGUMENT', `saving to ${dir} needs a model description for ${CONFIG_JSON}`)
      return saveArtifacts(dir, description, artifacts)
    },
    load: async () => (await readModelArtifacts(dir)).artifacts
  }
}
