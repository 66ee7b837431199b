/**
 * Conv3D kernels for TensorFlow.js: im2col + XNNPACK matmul on wasm (fast, and correct for
 * stride > 1), plus the gradient tfjs lacks for Conv3DBackpropInputV2 (conv3dTranspose); and wasm
 * reductions, slices, concats, transposes and broadcasts that stay fast at rank 5; WGSL Conv3D
 * kernels and rank-5 fixes for the webgpu backend (./webgpu).
 * See docs/KERNELS.md.
 */
export { registerConv3dKernels, unregisterConv3dKernels, conv3dKernelsRegistered, type Conv3dKernelBackend } from './registerConv3dKernels'
export { registerConv3dBackpropInputGradient, conv3dBackpropInputGradConfig } from './conv3dBackpropInputGradient'
export { conv3dGeometry, conv3dFlops, type Conv3dGeometry } from './conv3dGeometry'
export { MAX_SCRATCH_BYTES, DEFAULT_SCRATCH_BYTES, type Conv3dKernelOptions } from './conv3dKernelOptions'
export { registerReductionKernels, unregisterReductionKernels, reductionKernelsRegistered, type ReductionKernelBackend } from './registerReductionKernels'
export { REDUCTION_KERNELS } from './reductionWasmKernels'
export { registerWebGpuKernels, unregisterWebGpuKernels, webGpuKernelsRegistered } from './webgpu'
