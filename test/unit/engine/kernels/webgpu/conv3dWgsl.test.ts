/**
 * Our WGSL Conv3D kernels (src/engine/kernels/webgpu/) against the cpu backend's stock kernels, and
 * against the identities that define them: the input and filter gradients are the adjoints of the
 * forward map (<conv(x, W), y> = <x, dX(y)> = <W, dW(x, y)>), checked again by central finite
 * differences of L(x, W) = <conv(x, W), y>. Sizes are tiny: SwiftShader emulates the GPU on the CPU.
 */
import * as tf from '@tensorflow/tfjs'
import { afterAll, afterEach, expect, it } from 'vitest'
import { shutdownWebGpu, takeGpuErrors } from '../../../../../src/engine/backends/webgpu/dawn'
import { registerWebGpuKernels, webGpuKernelsRegistered } from '../../../../../src/engine/kernels/webgpu'
import { conv3dGeometry } from '../../../../../src/engine/kernels/conv3dGeometry'
import { conv3dForwardWebGpu } from '../../../../../src/engine/kernels/webgpu/conv3dWebGpuKernels'
import { channelTile, planChunks, splitKLayout, tiledLayout } from '../../../../../src/engine/kernels/webgpu/conv3dWgsl'
import { asWebGpuBackend, splitWorkgroups } from '../../../../../src/engine/kernels/webgpu/webgpuProgram'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { relativeError, seededValues } from '../../../../helpers/seededTensors'
import { onBackend, setUpWebGpu } from './webgpuTestBackend'

type Shape5 = [number, number, number, number, number]
type Strides = number | [number, number, number]

interface Case {
  name: string
  x: Shape5
  filter: Shape5
  strides: Strides
  pad: 'same' | 'valid'
}

// Channel tiles 4, 8, 16 and 32 (two column tiles), strides 1, 2 and the 2D models' [1, 2, 2],
// odd sizes (partial position tiles, asymmetric 'same' pads), batch 2; the first and the in-plane
// case have enough output positions for the filter gradient to be split into several chunks.
const CASES: Case[] = [
  { name: 'first layer 1→2, stride 1, same, 8³', x: [1, 8, 8, 8, 1], filter: [3, 3, 3, 1, 2], strides: 1, pad: 'same' },
  { name: '3→5, stride 2, same, odd sizes', x: [1, 5, 4, 6, 3], filter: [3, 3, 3, 3, 5], strides: 2, pad: 'same' },
  { name: '4→3 2×2×2, stride 2, valid, batch 2', x: [2, 5, 5, 5, 4], filter: [2, 2, 2, 4, 3], strides: 2, pad: 'valid' },
  { name: 'in-plane 6→9 1×3×3, strides [1,2,2], same', x: [1, 2, 16, 14, 6], filter: [1, 3, 3, 6, 9], strides: [1, 2, 2], pad: 'same' },
  { name: '2→33, stride 1, valid (two channel tiles)', x: [1, 3, 4, 3, 2], filter: [3, 3, 3, 2, 33], strides: 1, pad: 'valid' }
]

const TOLERANCE = 1e-4
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1)

function dot64(a: ArrayLike<number>, b: ArrayLike<number>): { value: number; scale: number } {
  let value = 0
  let scale = 0
  for (let i = 0; i < a.length; i++) {
    value += a[i] * b[i]
    scale += Math.abs(a[i] * b[i])
  }
  return { value, scale }
}

interface Results {
  y: Float32Array
  dx: Float32Array
  dw: Float32Array
}

/** y = conv(x, W), dx = dX(dy), dW = dW(x, dy) on the current backend, for seeded x, W, dy. */
async function convAndGradients(c: Case, dyValues: Float32Array): Promise<Results> {
  const x = tf.tensor(seededValues(size(c.x), 11), c.x) as tf.Tensor5D
  const w = tf.tensor(seededValues(size(c.filter), 12), c.filter) as tf.Tensor5D
  const y = tf.conv3d(x, w, c.strides, c.pad)
  const dy = tf.tensor(dyValues, y.shape) as tf.Tensor5D
  const dx = tf.conv3dTranspose(dy, w, c.x, c.strides, c.pad)
  const dw = tf.engine().runKernel(tf.Conv3DBackpropFilterV2, { x, dy }, { strides: c.strides, pad: c.pad, filterShape: c.filter }) as tf.Tensor
  const out = { y: (await y.data()) as Float32Array, dx: (await dx.data()) as Float32Array, dw: (await dw.data()) as Float32Array }
  tf.dispose([x, w, y, dy, dx, dw])
  return out
}

function outShapeOf(c: Case): Shape5 {
  return tf.backend_util.computeConv3DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape as Shape5
}

/** L(x, W) = <conv(x, W), dy> in float64 from the webgpu forward. */
async function objective(c: Case, xValues: Float32Array, wValues: Float32Array, dyValues: Float32Array): Promise<number> {
  const y = tf.conv3d(tf.tensor(xValues, c.x) as tf.Tensor5D, tf.tensor(wValues, c.filter) as tf.Tensor5D, c.strides, c.pad)
  const values = await y.data()
  tf.dispose(y)
  return dot64(values, dyValues).value
}

/** (f(v + h·eᵢ) − f(v − h·eᵢ)) / 2h. */
async function centralDifference(values: Float32Array, i: number, h: number, f: (v: Float32Array) => Promise<number>): Promise<number> {
  const plus = Float32Array.from(values)
  const minus = Float32Array.from(values)
  plus[i] += h
  minus[i] -= h
  return ((await f(plus)) - (await f(minus))) / (2 * h)
}

const reason = await setUpWebGpu()
if (reason !== null) console.warn(`WGSL Conv3D kernel tests skipped: ${reason}`)

describeUnless(reason, 'WGSL Conv3D kernels on webgpu', () => {
  afterEach(() => {
    expect(takeGpuErrors()).toEqual([])
  })
  afterAll(() => {
    shutdownWebGpu()
  })

  it('serve Conv3D and both gradients on webgpu, idempotently', () => {
    const before = tf.getKernel(tf.Conv3D, 'webgpu')?.kernelFunc
    registerWebGpuKernels()
    expect(webGpuKernelsRegistered()).toBe(true)
    expect(tf.getKernel(tf.Conv3D, 'webgpu')?.kernelFunc).toBe(before)
  })

  it('split the filter gradient of the larger cases into several chunks (so the reduction pass runs)', () => {
    const chunksOf = (c: Case): number => {
      const layout = splitKLayout(c.filter[4])
      const tiles = Math.ceil(size(c.filter.slice(0, 4)) / layout.kTile) * Math.ceil(c.filter[4] / layout.channelTile)
      const positions = size(outShapeOf(c).slice(0, 4))
      const { chunkLen, chunks } = planChunks(positions, tiles)
      expect(chunks * chunkLen).toBeGreaterThanOrEqual(positions)
      expect((chunks - 1) * chunkLen).toBeLessThan(positions)
      return chunks
    }
    expect(CASES.map(chunksOf).filter((chunks) => chunks > 1).length).toBeGreaterThanOrEqual(2)
    expect(channelTile(2)).toBe(4)
    expect(channelTile(33)).toBe(32)
  })

  for (const c of CASES) {
    it(`${c.name}: forward, input and filter gradients equal cpu's; adjoint identities; finite differences`, async () => {
      const dyValues = seededValues(size(outShapeOf(c)), 13)
      const gpu = await convAndGradients(c, dyValues)
      const cpu = await onBackend('cpu', () => convAndGradients(c, dyValues))
      expect(relativeError(gpu.y, cpu.y)).toBeLessThan(TOLERANCE)
      expect(relativeError(gpu.dx, cpu.dx)).toBeLessThan(TOLERANCE)
      expect(relativeError(gpu.dw, cpu.dw)).toBeLessThan(TOLERANCE)

      // Adjoints, all three terms from the WGSL kernels.
      const xValues = seededValues(size(c.x), 11)
      const wValues = seededValues(size(c.filter), 12)
      const forward = dot64(gpu.y, dyValues)
      const viaInput = dot64(xValues, gpu.dx)
      const viaFilter = dot64(wValues, gpu.dw)
      expect(Math.abs(forward.value - viaInput.value)).toBeLessThan(TOLERANCE * forward.scale)
      expect(Math.abs(forward.value - viaFilter.value)).toBeLessThan(TOLERANCE * forward.scale)

      // Central differences of L along a few input voxels and weights (L is linear: h = 0.5 is exact up to rounding).
      const h = 0.5
      const dxScale = Math.max(...gpu.dx.map(Math.abs))
      const dwScale = Math.max(...gpu.dw.map(Math.abs))
      for (const i of [0, Math.floor(xValues.length / 2), xValues.length - 1]) {
        const fd = await centralDifference(xValues, i, h, (x) => objective(c, x, wValues, dyValues))
        expect(Math.abs(fd - gpu.dx[i])).toBeLessThan(TOLERANCE * dxScale)
      }
      for (const i of [0, Math.floor(wValues.length / 3), wValues.length - 1]) {
        const fd = await centralDifference(wValues, i, h, (w) => objective(c, xValues, w, dyValues))
        expect(Math.abs(fd - gpu.dw[i])).toBeLessThan(TOLERANCE * dwScale)
      }
    })
  }

  it('fold position tiles into x·y workgroups beyond the dispatch limit, with idle extras in the last row, and give the same output', async () => {
    // 16³ positions, 256 a workgroup: 16 tiles. A limit of 5 folds them into 5 × 4 = 20 workgroups,
    // as 65,535 folds a 257×256×256 volume (too slow to run on SwiftShader in CI).
    expect(splitWorkgroups(16, 5)).toEqual([5, 4])
    expect(splitWorkgroups(65_792)).toEqual([65_535, 2])
    const x = tf.tensor(seededValues(16 ** 3, 31), [1, 16, 16, 16, 1]) as tf.Tensor5D
    const w = tf.tensor(seededValues(27 * 2, 32), [3, 3, 3, 1, 2]) as tf.Tensor5D
    const g = conv3dGeometry(x.shape, w.shape, [1, 1, 1], 'same')
    expect(Math.ceil(g.outPositions / tiledLayout(2).positionTile)).toBe(16)
    const backend = asWebGpuBackend(tf.backend())
    const folded = tf.engine().makeTensorFromTensorInfo(conv3dForwardWebGpu(backend, x, w, g, 5))
    const flat = tf.conv3d(x, w, 1, 'same')
    const [foldedValues, flatValues] = [(await folded.data()) as Float32Array, (await flat.data()) as Float32Array]
    expect(foldedValues).toEqual(flatValues)
    const cpu = await onBackend('cpu', async () => {
      const y = tf.conv3d(tf.tensor(seededValues(16 ** 3, 31), [1, 16, 16, 16, 1]) as tf.Tensor5D, tf.tensor(seededValues(27 * 2, 32), [3, 3, 3, 1, 2]) as tf.Tensor5D, 1, 'same')
      const values = (await y.data()) as Float32Array
      y.dispose()
      return values
    })
    expect(relativeError(foldedValues, cpu)).toBeLessThan(TOLERANCE)
    tf.dispose([x, w, folded, flat])
  })

  it('leave dilated convolutions to the stock kernel, which gets them right', async () => {
    const run = async (): Promise<Float32Array> => {
      const x = tf.tensor(seededValues(2 * 5 * 5 * 5, 21), [1, 5, 5, 5, 2]) as tf.Tensor5D
      const w = tf.tensor(seededValues(3 * 3 * 3 * 2 * 3, 22), [3, 3, 3, 2, 3]) as tf.Tensor5D
      const y = tf.conv3d(x, w, 1, 'same', 'NDHWC', 2)
      const values = (await y.data()) as Float32Array
      tf.dispose([x, w, y])
      return values
    }
    const gpu = await run()
    expect(relativeError(gpu, await onBackend('cpu', run))).toBeLessThan(TOLERANCE)
  })
})
