/**
 * The 'webgpu' backend for the WGSL kernel tests: the machine's adapter (or SwiftShader's) through
 * the engine's own Dawn setup (test/helpers/webgpuForTests.ts), switched to, with our kernels.
 */
import * as tf from '@tensorflow/tfjs'
import { registerWebGpuKernels } from '../../../../../src/engine/kernels/webgpu'
import { webGpuForTests } from '../../../../helpers/webgpuForTests'

/** null when the webgpu backend is active with our kernels, else why the tests cannot run. */
export async function setUpWebGpu(): Promise<string | null> {
  const gpu = await webGpuForTests()
  if (gpu.reason !== null) return `webgpu: ${gpu.reason}`
  if (!(await tf.setBackend('webgpu'))) return 'webgpu: the backend failed to initialise'
  await tf.ready()
  registerWebGpuKernels()
  return null
}

/** Runs `body` on `backend`, then switches back to webgpu. */
export async function onBackend<T>(backend: string, body: () => Promise<T>): Promise<T> {
  await tf.setBackend(backend)
  try {
    return await body()
  } finally {
    await tf.setBackend('webgpu')
  }
}
