/**
 * tf.train's Adam and SGD with (Nesterov) momentum, with what tf.train lacks for a training loop
 * that must resume exactly: setting the rate per step, and capturing/restoring the complete state.
 *
 * Why not `getWeights()`/`setWeights()` alone: Adam keeps β1^t and β2^t as running products
 * (accBeta1, accBeta2) but `setWeights` recomputes them as pow(β, t + 1), which differs in the last
 * float32 bits; a resumed run would drift from the uninterrupted one. So Adam's two products are
 * saved and put back as they were. (They are private in tfjs's typings; the accessor below checks
 * they exist and fails loudly if a tfjs upgrade renames them.)
 */
import * as tf from '@tensorflow/tfjs'
import { VoxloopError } from '../../shared/errors'
import type { OptimizerKind } from '../../shared/training'

export interface OptimizerSettings {
  kind: OptimizerKind
  /** Starting rate (the schedule sets it before every step). */
  learningRate: number
  /** SGD only. */
  momentum: number
}

/** The state as plain data: every value copied out of its tensor. */
export interface OptimizerState {
  kind: OptimizerKind
  iterations: number
  /** Named float32 arrays in tfjs's getWeights() order (iteration counter excluded). */
  slots: Array<{ name: string; shape: number[]; values: Float32Array }>
  /** Adam's running β1^t, β2^t; null for SGD. */
  adamBetaPowers: [number, number] | null
}

export interface TrainingOptimizer {
  readonly kind: OptimizerKind
  readonly optimizer: tf.Optimizer
  setLearningRate(rate: number): void
  getState(): Promise<OptimizerState>
  /** Only on a fresh optimiser, before its first step. */
  setState(state: OptimizerState): Promise<void>
  dispose(): void
}

interface AdamInternals {
  learningRate: number
  accBeta1: tf.Variable
  accBeta2: tf.Variable
}

function adamInternals(optimizer: tf.Optimizer): AdamInternals {
  const internals = optimizer as unknown as Partial<AdamInternals>
  if (typeof internals.learningRate !== 'number' || !(internals.accBeta1 instanceof tf.Variable) || !(internals.accBeta2 instanceof tf.Variable)) {
    throw new VoxloopError('INTERNAL', `tfjs ${tf.version.tfjs}: AdamOptimizer no longer has learningRate/accBeta1/accBeta2; update optimizers.ts`)
  }
  return internals as AdamInternals
}

export function createOptimizer(settings: OptimizerSettings): TrainingOptimizer {
  if (settings.kind === 'adam') {
    const optimizer = tf.train.adam(settings.learningRate)
    const internals = adamInternals(optimizer)
    return wrap('adam', optimizer, (rate) => {
      internals.learningRate = rate
    })
  }
  const optimizer = tf.train.momentum(settings.learningRate, settings.momentum, true)
  return wrap('sgd', optimizer, (rate) => optimizer.setLearningRate(rate))
}

function wrap(kind: OptimizerKind, optimizer: tf.Optimizer, setRate: (rate: number) => void): TrainingOptimizer {
  return {
    kind,
    optimizer,
    setLearningRate: setRate,
    async getState() {
      const weights = await optimizer.getWeights()
      const [iteration, ...slots] = weights
      if (!iteration) throw new VoxloopError('INTERNAL', 'optimizer state without an iteration counter')
      const iterations = (await iteration.tensor.data())[0] as number
      iteration.tensor.dispose() // a fresh scalar each call; the slots are the optimiser's own variables
      const state: OptimizerState = {
        kind,
        iterations,
        slots: await Promise.all(slots.map(async (slot) => ({ name: slot.name, shape: slot.tensor.shape, values: Float32Array.from(await slot.tensor.data()) }))),
        adamBetaPowers: null
      }
      if (kind === 'adam') {
        const internals = adamInternals(optimizer)
        state.adamBetaPowers = [(await internals.accBeta1.data())[0] as number, (await internals.accBeta2.data())[0] as number]
      }
      return state
    },
    async setState(state) {
      if (state.kind !== kind) throw new VoxloopError('INVALID_ARGUMENT', `checkpoint holds ${state.kind} state, the run uses ${kind}`)
      const tensors: Array<{ name: string; tensor: tf.Tensor }> = [
        { name: 'iter', tensor: tf.scalar(state.iterations, 'int32') },
        ...state.slots.map((slot) => ({ name: slot.name, tensor: tf.tensor(slot.values, slot.shape, 'float32') }))
      ]
      try {
        await optimizer.setWeights(tensors)
      } finally {
        // setWeights made variables from them (sharing the data); these handles are ours to drop.
        for (const named of tensors) named.tensor.dispose()
      }
      if (kind === 'adam' && state.adamBetaPowers) {
        const internals = adamInternals(optimizer)
        const [beta1Power, beta2Power] = state.adamBetaPowers
        tf.tidy(() => {
          internals.accBeta1.assign(tf.scalar(beta1Power))
          internals.accBeta2.assign(tf.scalar(beta2Power))
        })
      }
    },
    dispose: () => optimizer.dispose()
  }
}
