/**
 * Run by activateBackend.test.ts in a child process (`node --import tsx activateInChild.ts <preference>`),
 * so that each preference starts from a fresh TensorFlow.js and Dawn, under the environment the test
 * gives it (VK_ICD_FILENAMES picks the Vulkan driver). Prints one JSON line: the backend report, how
 * long activation took, and a sum computed on the chosen backend.
 */
import * as tf from '@tensorflow/tfjs'
import { activateBackend } from '../../../../src/engine/backends/activateBackend'
import { shutdownWebGpu } from '../../../../src/engine/backends/webgpu/dawn'
import { parseBackendPreference } from '../../../../src/shared/backends'
import { serializeError } from '../../../../src/shared/errors'

async function main(): Promise<void> {
  const started = performance.now()
  try {
    const report = await activateBackend(parseBackendPreference(process.argv[2]))
    const activationMs = performance.now() - started
    // webgpu cannot read synchronously in Node (dawn.ts): read as the engine must, with await data().
    const sum = Array.from(await tf.add(tf.tensor1d([1, 2, 3]), tf.tensor1d([10, 20, 30])).data())
    process.stdout.write(`${JSON.stringify({ ok: true, report, activationMs, sum })}\n`)
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: serializeError(error) })}\n`)
  }
  shutdownWebGpu()
  // The threaded wasm build's worker pool would keep the process alive.
  process.exit(0)
}

void main()
