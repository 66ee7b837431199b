import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { createOptimizer } from '../../../../src/engine/train/optimizers'
import { seededValues, useBackend } from '../kernels/testBackends'

beforeAll(async () => {
  await useBackend('cpu')
})

/** A least-squares problem with a few weights; each step's data depends only on the step index. */
function stepOn(optimizer: tf.Optimizer, weights: tf.Variable, step: number): void {
  tf.tidy(() => {
    const x = tf.tensor2d(seededValues(8 * 5, 100 + step), [8, 5])
    const y = tf.tensor2d(seededValues(8, 200 + step), [8, 1])
    optimizer.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(x, weights), y))) as tf.Scalar, false, [weights])
  })
}

describe('createOptimizer', () => {
  it.each(['adam', 'sgd'] as const)('%s: state captured mid-run and restored into a fresh optimiser continues bit for bit', async (kind) => {
    const settings = { kind, learningRate: 0.05, momentum: 0.9 }
    const a = createOptimizer(settings)
    const wa = tf.variable(tf.tensor2d(seededValues(5, 1), [5, 1]), true, `wa_${kind}`)
    for (let s = 0; s < 7; s++) stepOn(a.optimizer, wa, s)
    const state = await a.getState()
    expect(state.iterations).toBe(7)
    expect(state.slots).toHaveLength(kind === 'adam' ? 2 : 1)
    expect(state.adamBetaPowers === null).toBe(kind === 'sgd')

    const b = createOptimizer(settings)
    const wb = tf.variable(wa.clone(), true, `wb_${kind}`)
    await b.setState(state)
    for (let s = 7; s < 15; s++) {
      a.setLearningRate(0.05 / (s + 1))
      b.setLearningRate(0.05 / (s + 1))
      stepOn(a.optimizer, wa, s)
      stepOn(b.optimizer, wb, s)
    }
    expect(Array.from(wb.dataSync())).toEqual(Array.from(wa.dataSync()))
    expect(await b.getState()).toEqual(await a.getState())
    a.dispose()
    b.dispose()
    wa.dispose()
    wb.dispose()
  })

  it('the learning rate it is given is the one used', () => {
    const optimizer = createOptimizer({ kind: 'sgd', learningRate: 1, momentum: 0 })
    const w = tf.variable(tf.scalar(1), true, 'w_rate')
    optimizer.setLearningRate(0.25)
    // d/dw (w²) = 2 at w = 1; SGD with Nesterov momentum 0 moves by rate·gradient.
    optimizer.optimizer.minimize(() => tf.square(w) as tf.Scalar, false, [w])
    expect(w.dataSync()[0]).toBeCloseTo(0.5, 6)
    optimizer.dispose()
    w.dispose()
  })

  it('refuses state saved by the other optimiser', async () => {
    const adam = createOptimizer({ kind: 'adam', learningRate: 0.1, momentum: 0 })
    const sgd = createOptimizer({ kind: 'sgd', learningRate: 0.1, momentum: 0.9 })
    await expect(sgd.setState(await adam.getState())).rejects.toThrow(/adam state/)
    adam.dispose()
    sgd.dispose()
  })
})
