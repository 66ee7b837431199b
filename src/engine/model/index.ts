/**
 * Segmentation models: the residual 3D U-Net factory, the PyTorch reference twin for benchmarks,
 * the custom layers they need, and model version folders on disk.
 */
export { buildUNet3d } from './buildUNet3d'
export { buildReferenceUNet, REFERENCE_UNET, type ReferenceUNetOptions } from './buildReferenceUNet'
export {
  resolveUNet3dOptions,
  spatialDivisor,
  UNET3D_DEFAULTS,
  type ResolvedUNet3dOptions,
  type SpatialDim,
  type UNet3dOptions,
  type UNetActivation,
  type UNetNormalization
} from './unet3dOptions'
export { InstanceNormalization, UpSampling3D, instanceNorm, upsampleNearest3d } from './layers'
export { saveModel, saveModelVersion, loadModel, type LoadedModel } from './modelStore'
export { modelFolderIO, type ModelDescription } from './modelFolderIO'
export { MODEL_FORMAT_VERSION, type ModelConfig, type ModelMetadata, type JsonObject } from './modelConfig'
export { formatModelVersion, parseModelVersion, listModelVersions, nextModelVersion, type ModelVersionName } from '../../node/models/modelVersions'
