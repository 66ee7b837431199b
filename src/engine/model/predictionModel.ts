/**
 * The model that predicts: a network trained with deep supervision has extra low-resolution outputs
 * that only the loss uses. Prediction takes the first (full-resolution) output through a view that
 * shares the weights, so the extra heads are not even computed.
 */
import * as tf from '@tensorflow/tfjs'

const views = new WeakMap<tf.LayersModel, tf.LayersModel>()

export function predictionModel(model: tf.LayersModel): tf.LayersModel {
  if (model.outputs.length === 1) return model
  let view = views.get(model)
  if (!view) {
    view = tf.model({ name: `${model.name}_prediction`, inputs: model.inputs, outputs: model.outputs[0] as tf.SymbolicTensor })
    views.set(model, view)
  }
  return view
}
