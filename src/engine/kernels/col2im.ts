import type { Conv3dGeometry } from './conv3dGeometry'
import { forEachOutputLine } from './outputLines'

/**
 * col2im: the adjoint of `im2colRows`. Adds `cols[r·patchSize + k]` (rows of `dy · Wᵀ` for the
 * positions of one tile) into `dx` at the input voxel that tap k of position r read, and drops
 * taps that fell in the padding. Accumulates, so `dx` must start zeroed and tiles may be applied
 * one after another in any order.
 */
export function col2imRows(cols: Float32Array, g: Conv3dGeometry, rowStart: number, rowCount: number, dx: Float32Array): void {
  const C = g.inChannels
  const KD = g.filterDepth
  const KH = g.filterHeight
  const KW = g.filterWidth
  const run = KW * C
  const planeRun = KH * run
  const xRow = g.inWidth * C
  const xPlane = g.inHeight * xRow
  const xVolume = g.inDepth * xPlane
  const patch = g.patchSize
  forEachOutputLine(g, rowStart, rowCount, (b, od, oh, owStart, owEnd, rowOffset) => {
    const d0 = od * g.strideDepth - g.padFront
    const h0 = oh * g.strideHeight - g.padTop
    let o = rowOffset * patch
    for (let ow = owStart; ow < owEnd; ow++) {
      const w0 = ow * g.strideWidth - g.padLeft
      const widthInside = w0 >= 0 && w0 + KW <= g.inWidth
      for (let kd = 0; kd < KD; kd++) {
        const id = d0 + kd
        if (id < 0 || id >= g.inDepth) {
          o += planeRun
          continue
        }
        for (let kh = 0; kh < KH; kh++) {
          const ih = h0 + kh
          if (ih < 0 || ih >= g.inHeight) {
            o += run
            continue
          }
          const lineStart = b * xVolume + id * xPlane + ih * xRow
          if (widthInside) {
            const dst = lineStart + w0 * C
            for (let i = 0; i < run; i++) dx[dst + i] += cols[o + i]
          } else {
            for (let kw = 0; kw < KW; kw++) {
              const iw = w0 + kw
              if (iw < 0 || iw >= g.inWidth) continue
              const dst = lineStart + iw * C
              const src = o + kw * C
              for (let c = 0; c < C; c++) dx[dst + c] += cols[src + c]
            }
          }
          o += run
        }
      }
    }
  })
}
