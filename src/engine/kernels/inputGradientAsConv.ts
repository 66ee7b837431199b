import type { Conv3dGeometry } from './conv3dGeometry'

/*
 * For stride 1 the input gradient of a convolution is itself a convolution: dx = conv(dy, W′) with
 * W′ the filter flipped in space and with its channel axes swapped, and padding K − 1 − pad on the
 * front of each axis (dx[i] = Σ_t dy[i + pad − t] · W[t]ᵀ; substitute t′ = K − 1 − t). That turns
 * the slow part of col2im, a scatter-add in JS, into an im2col gather the wasm heap copies natively.
 * For stride > 1 the gradient would need a zero-dilated dy, so those shapes keep col2im.
 */

export function isUnitStride(g: Conv3dGeometry): boolean {
  return g.strideDepth === 1 && g.strideHeight === 1 && g.strideWidth === 1
}

/** Geometry of the convolution dy → dx described above (stride 1 only). */
export function inputGradientGeometry(g: Conv3dGeometry): Conv3dGeometry {
  if (!isUnitStride(g)) throw new Error('inputGradientGeometry needs stride 1')
  return {
    batch: g.batch,
    inDepth: g.outDepth,
    inHeight: g.outHeight,
    inWidth: g.outWidth,
    inChannels: g.outChannels,
    outDepth: g.inDepth,
    outHeight: g.inHeight,
    outWidth: g.inWidth,
    outChannels: g.inChannels,
    filterDepth: g.filterDepth,
    filterHeight: g.filterHeight,
    filterWidth: g.filterWidth,
    strideDepth: 1,
    strideHeight: 1,
    strideWidth: 1,
    padFront: g.filterDepth - 1 - g.padFront,
    padTop: g.filterHeight - 1 - g.padTop,
    padLeft: g.filterWidth - 1 - g.padLeft,
    patchSize: g.filterDepth * g.filterHeight * g.filterWidth * g.outChannels,
    outPositions: g.batch * g.inDepth * g.inHeight * g.inWidth,
    inShape: g.outShape,
    outShape: g.inShape,
    filterShape: [g.filterDepth, g.filterHeight, g.filterWidth, g.outChannels, g.inChannels]
  }
}

/**
 * W′[kd′, kh′, kw′, co, ci] = W[KD−1−kd′, KH−1−kh′, KW−1−kw′, ci, co], written into `flipped`
 * (length of the filter). `filter` is the forward filter [kd, kh, kw, inChannels, outChannels].
 */
export function flipFilterForInputGradient(filter: Float32Array, g: Conv3dGeometry, flipped: Float32Array): void {
  const KD = g.filterDepth
  const KH = g.filterHeight
  const KW = g.filterWidth
  const CI = g.inChannels
  const CO = g.outChannels
  for (let kd = 0; kd < KD; kd++)
    for (let kh = 0; kh < KH; kh++)
      for (let kw = 0; kw < KW; kw++) {
        const src = ((kd * KH + kh) * KW + kw) * CI * CO
        const dst = (((KD - 1 - kd) * KH + (KH - 1 - kh)) * KW + (KW - 1 - kw)) * CO * CI
        for (let ci = 0; ci < CI; ci++)
          for (let co = 0; co < CO; co++) flipped[dst + co * CI + ci] = filter[src + ci * CO + co]
      }
}
