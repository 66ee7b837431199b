/**
 * The engine's side of `voxloop export-model --onnx`: a model version's best checkpoint as ONNX
 * bytes (main writes the file), and the optional check that runs such a file with onnxruntime on a
 * case and compares it with Voxloop's own prediction of the same patch.
 */
import { readFile } from 'node:fs/promises'
import * as tf from '@tensorflow/tfjs'
import type { OnnxCheckRequest, OnnxCheckResult, OnnxExportRequest, OnnxExportResult } from '../../../shared/engineProtocol'
import { VoxloopError } from '../../../shared/errors'
import { encodeOnnxModel } from '../../../node/formats/onnx'
import { centredOrigin, extractPatch } from '../../data/extractPatch'
import type { Shape3 } from '../../data/layout'
import { loadVersionModel } from '../../infer/loadVersionModel'
import { prepareCaseVolumes, prepareOptionsOf, readModelInputVolumes } from '../../train/caseVolumes'
import { predictionModel } from '../predictionModel'
import { onnxMetadata } from './onnxMetadata'
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, tfjsToOnnx } from './tfjsToOnnx'

export type { OnnxCheckRequest, OnnxCheckResult, OnnxExportRequest, OnnxExportResult }

export async function exportVersionOnnx(request: OnnxExportRequest): Promise<OnnxExportResult> {
  const { model, plan, bestEpoch, postprocessing } = await loadVersionModel(request.modelsDir, request.version)
  try {
    const network = predictionModel(model)
    const metadata = onnxMetadata({ producerVersion: request.producerVersion, version: request.version, bestEpoch, plan, postprocessing })
    const onnx = tfjsToOnnx(network, {
      producerVersion: request.producerVersion,
      metadata,
      docString: `Voxloop model ${request.version} (${plan.architecture ?? 'residual-unet'}, epoch ${bestEpoch}): NDHWC normalised image in, NDHWK class probabilities out; see metadata 'preprocessing'.`
    })
    const bytes = encodeOnnxModel(onnx)
    return {
      version: request.version,
      bytes,
      opset: onnx.opsetVersion,
      nodes: onnx.graph.nodes.length,
      parameters: network.countParams(),
      inputShape: network.inputs[0]?.shape ?? [],
      outputShape: network.outputs[0]?.shape ?? [],
      metadata: Object.fromEntries(metadata.map(({ key, value }) => [key, value]))
    }
  } finally {
    model.dispose()
  }
}

/** The onnxruntime-node module, as far as the check uses it. */
interface OnnxRuntime {
  InferenceSession: {
    create(model: Uint8Array, options?: { executionProviders?: string[] }): Promise<{
      run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] } | undefined>>
      release(): Promise<void>
    }>
  }
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown
  env: { versions: { node?: string } }
}

/**
 * onnxruntime-node if it can be loaded here. It is a development dependency (the tests use it), not
 * shipped with the app: the name is kept out of the bundler's sight so that a build without it still
 * starts, and the check says how to get it.
 */
async function loadOnnxRuntime(): Promise<OnnxRuntime> {
  const name = 'onnxruntime-node'
  try {
    const loaded = (await import(/* @vite-ignore */ name)) as Partial<OnnxRuntime> & { default?: OnnxRuntime }
    // A CommonJS package through import(): named exports where Node's lexer finds them, else under default.
    return loaded.InferenceSession ? (loaded as OnnxRuntime) : (loaded.default as OnnxRuntime)
  } catch (error) {
    throw new VoxloopError(
      'BACKEND_UNAVAILABLE',
      `--check needs the package onnxruntime-node, which cannot be loaded here (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); ` +
        'install it (npm install onnxruntime-node) or check the file in your own pipeline (docs/ONNX.md)',
      { cause: error }
    )
  }
}

/**
 * Runs the ONNX file and the version's tfjs model on the same input, the patch of the plan's size at
 * the centre of the case as Voxloop prepares it (resampled, normalised, padded with each channel's
 * minimum), and reports the largest difference of a class probability.
 */
export async function checkVersionOnnx(request: OnnxCheckRequest): Promise<OnnxCheckResult> {
  const startedAt = performance.now()
  const ort = await loadOnnxRuntime()
  const { model, plan } = await loadVersionModel(request.modelsDir, request.version)
  try {
    const volumes = await readModelInputVolumes({ ...request.case, labelPath: null }, plan, request.version)
    const prepared = prepareCaseVolumes(volumes, prepareOptionsOf(plan))
    const patchShape: Shape3 = [...plan.patchSize]
    const patch = extractPatch({ ...prepared, label: null }, centredOrigin(prepared.shape, patchShape), patchShape, { mode: 'constant', values: prepared.padValues })
    const inputShape = [1, ...patchShape, prepared.channels]
    const expected = tf.tidy(() => (predictionModel(model).predict(tf.tensor(patch.image, inputShape)) as tf.Tensor).dataSync() as Float32Array)
    const session = await ort.InferenceSession.create(new Uint8Array(await readFile(request.onnxPath)), { executionProviders: ['cpu'] })
    let actual: Float32Array
    try {
      const outputs = await session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', patch.image, inputShape) })
      const output = outputs[ONNX_OUTPUT_NAME]
      if (!output || !(output.data instanceof Float32Array)) throw new VoxloopError('MODEL_CORRUPT', `the ONNX model gave no float32 output '${ONNX_OUTPUT_NAME}'`)
      actual = output.data
    } finally {
      await session.release()
    }
    if (actual.length !== expected.length) {
      throw new VoxloopError('MODEL_CORRUPT', `the ONNX model gave ${actual.length} values for the patch; Voxloop's model gives ${expected.length}`)
    }
    let maxAbsDifference = 0
    for (let i = 0; i < expected.length; i++) maxAbsDifference = Math.max(maxAbsDifference, Math.abs((actual[i] as number) - (expected[i] as number)))
    return {
      caseId: request.case.id,
      version: request.version,
      patchShape,
      values: expected.length,
      maxAbsDifference,
      onnxRuntimeVersion: ort.env.versions.node ?? 'unknown',
      seconds: (performance.now() - startedAt) / 1000
    }
  } finally {
    model.dispose()
  }
}
