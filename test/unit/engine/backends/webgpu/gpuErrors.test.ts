/**
 * GPU errors fail the work they surfaced in (issue #16 item 5): the message built from Dawn's
 * reports, the check on the webgpu backend with real errors made on a real device (SwiftShader on a
 * machine without a GPU), and a prediction tile batch that fails with it.
 */
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shutdownWebGpu, takeGpuErrors } from '../../../../../src/engine/backends/webgpu/dawn'
import { checkedOnGpu, gpuFailure, RESUME_ON_ANOTHER_BACKEND } from '../../../../../src/engine/backends/webgpu/gpuErrors'
import { slidingWindowPredict } from '../../../../../src/engine/infer/slidingWindow'
import { VoxloopError } from '../../../../../src/shared/errors'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { makeGpuValidationError, webGpuDevice, webGpuForTests } from '../../../../helpers/webgpuForTests'

const gpu = await webGpuForTests()

afterAll(() => {
  shutdownWebGpu()
})

const atStep = { at: 'at step 7', then: RESUME_ON_ANOTHER_BACKEND }

/** What `promise` rejected with (fails the test if it resolved). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error
  )
}

describe('gpuFailure', () => {
  it('is null without errors; else GPU_ERROR naming where, the first report’s first line, how many more, and what to do', () => {
    expect(gpuFailure(atStep, [])).toBeNull()
    const reports = ['Buffer usages (BufferUsage::(MapRead|Storage)) is invalid.\n - While calling [Device].CreateBuffer().\n', 'Out of memory.\n']
    const cause = new Error('mapAsync failed')
    const failure = gpuFailure(atStep, reports, cause)
    expect(failure).toBeInstanceOf(VoxloopError)
    expect(failure?.code).toBe('GPU_ERROR')
    expect(failure?.message).toBe(
      'the GPU reported an error at step 7: Buffer usages (BufferUsage::(MapRead|Storage)) is invalid. (and 1 more); the run can resume from its last checkpoint on another backend (--backend wasm)'
    )
    expect(failure?.details).toEqual({ gpuErrors: ['Buffer usages (BufferUsage::(MapRead|Storage)) is invalid.\n - While calling [Device].CreateBuffer().', 'Out of memory.'] })
    expect(failure?.cause).toBe(cause)
    expect(gpuFailure(atStep, ['Out of memory.'])?.message).toBe(`the GPU reported an error at step 7: Out of memory.; ${RESUME_ON_ANOTHER_BACKEND}`)
  })
})

describeUnless(gpu.reason, 'checkedOnGpu on the webgpu backend (real errors from Dawn)', () => {
  beforeAll(async () => {
    await tf.setBackend('webgpu')
    takeGpuErrors()
  })

  afterAll(async () => {
    await tf.setBackend('cpu')
  })

  it('passes work that raised no GPU error, and fails work that did with GPU_ERROR carrying Dawn’s message; the next check starts clean', async () => {
    await expect(checkedOnGpu(atStep, async () => (await tf.add(tf.tensor1d([1, 2]), 1).data())[1])).resolves.toBe(3)
    const failure = await rejectionOf(
      checkedOnGpu(atStep, async () => {
        makeGpuValidationError(webGpuDevice())
        return 1
      })
    )
    expect(failure).toBeInstanceOf(VoxloopError)
    expect((failure as VoxloopError).code).toBe('GPU_ERROR')
    expect((failure as VoxloopError).message).toMatch(/^the GPU reported an error at step 7: .*MapRead.*; the run can resume from its last checkpoint on another backend \(--backend wasm\)$/)
    expect(((failure as VoxloopError).details as { gpuErrors: string[] }).gpuErrors[0]).toMatch(/CreateBuffer/)
    expect(takeGpuErrors()).toEqual([])
    await expect(checkedOnGpu(atStep, async () => 2)).resolves.toBe(2)
  })

  it('an exception thrown while GPU errors are pending becomes GPU_ERROR with it as the cause; without them it passes unchanged', async () => {
    const thrown = new Error('the buffer could not be read')
    const failure = await rejectionOf(
      checkedOnGpu(atStep, async () => {
        makeGpuValidationError(webGpuDevice())
        throw thrown
      })
    )
    expect((failure as VoxloopError).code).toBe('GPU_ERROR')
    expect((failure as VoxloopError).cause).toBe(thrown)
    const plain = await rejectionOf(
      checkedOnGpu(atStep, async () => {
        throw thrown
      })
    )
    expect(plain).toBe(thrown)
  })

  it('on another backend the work only runs: the errors stay for the next check on webgpu', async () => {
    makeGpuValidationError(webGpuDevice())
    await tf.setBackend('cpu')
    try {
      await expect(checkedOnGpu(atStep, async () => 5)).resolves.toBe(5)
    } finally {
      await tf.setBackend('webgpu')
    }
    expect(takeGpuErrors()).toHaveLength(1)
  })

  it('a prediction tile batch that raises a GPU error fails with its number and frees its tensors; without one the prediction equals cpu’s', async () => {
    const shape: [number, number, number] = [6, 5, 4]
    const image = { image: Float32Array.from({ length: 120 }, (_, i) => Math.sin(i)), shape, channels: 1 }
    const options = { patchShape: [4, 4, 4] as [number, number, number], batchSize: 2, overlap: 0.5 }
    // Two classes: sigmoid(x) and 1 − sigmoid(x), elementwise ops that tfjs's webgpu backend runs on rank 5.
    const predictor = (x: tf.Tensor5D): tf.Tensor5D => tf.concat([tf.sigmoid(x), tf.sub(1, tf.sigmoid(x))], 4) as tf.Tensor5D
    const onGpu = await slidingWindowPredict(image, predictor, 2, options)
    await tf.setBackend('cpu')
    const onCpu = await slidingWindowPredict(image, predictor, 2, options)
    await tf.setBackend('webgpu')
    expect(onGpu.length).toBe(onCpu.length)
    expect(Math.max(...onGpu.map((v, i) => Math.abs(v - (onCpu[i] as number))))).toBeLessThan(1e-5)

    const tensorsBefore = tf.memory().numTensors
    let batches = 0
    const failing = (x: tf.Tensor5D): tf.Tensor5D => {
      if (++batches === 2) makeGpuValidationError(webGpuDevice())
      return predictor(x)
    }
    const failure = await rejectionOf(slidingWindowPredict(image, failing, 2, options))
    expect((failure as VoxloopError).code).toBe('GPU_ERROR')
    // [6, 5, 4] in 4³ patches at overlap 0.5: 2 × 2 × 1 = 4 tiles, 2 batches of 2.
    expect((failure as VoxloopError).message).toMatch(/^the GPU reported an error at prediction tile batch 2 of 2: .*MapRead.*; predict again on another backend \(--backend wasm\)/)
    expect(batches).toBe(2)
    expect(tf.memory().numTensors).toBe(tensorsBefore)
  })
})
