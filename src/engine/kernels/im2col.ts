import { isPointwise, type Conv3dGeometry } from './conv3dGeometry'
import { forEachOutputLine } from './outputLines'

/**
 * Runs at least this long are copied with `copyWithin` (a native memmove) when source and target
 * share one buffer, as on the wasm heap: 3–15× a JS loop for runs of 24–144 floats, while for a few
 * floats the call costs more than the loop (bench/benches/conv3d.bench.ts, docs/KERNELS.md).
 */
const MIN_NATIVE_RUN = 16

/**
 * im2col for NDHWC Conv3D with dilation 1, row layout: `cols[r·patchSize + k]` for the output
 * positions r of one tile, with k = ((kd·filterHeight + kh)·filterWidth + kw)·inChannels + c, the
 * order of a [kd, kh, kw, inChannels, outChannels] filter read as a [patchSize, outChannels] matrix,
 * so the filter needs no copy. Taps in the padding are zero.
 *
 * A pure function over Float32Arrays. When `x` and `cols` are views of one buffer (the wasm heap),
 * the (kd, kh) runs of filterWidth·inChannels contiguous floats are copied natively.
 */
export function im2colRows(x: Float32Array, g: Conv3dGeometry, rowStart: number, rowCount: number, cols: Float32Array): void {
  const C = g.inChannels
  const KD = g.filterDepth
  const KH = g.filterHeight
  const KW = g.filterWidth
  const D = g.inDepth
  const H = g.inHeight
  const W = g.inWidth
  const SW = g.strideWidth
  const run = KW * C
  const planeRun = KH * run
  const xRow = W * C
  const xPlane = H * xRow
  const xVolume = D * xPlane
  const patch = g.patchSize

  if (isPointwise(g)) {
    cols.set(x.subarray(rowStart * C, (rowStart + rowCount) * C))
    return
  }

  const heap = x.buffer === cols.buffer ? new Float32Array(x.buffer, 0, x.buffer.byteLength >>> 2) : null
  const xBase = x.byteOffset >>> 2
  const colsBase = cols.byteOffset >>> 2
  const copy = (dst: number, src: number, length: number): void => {
    if (heap !== null && length >= MIN_NATIVE_RUN) {
      heap.copyWithin(colsBase + dst, xBase + src, xBase + src + length)
    } else {
      for (let i = 0; i < length; i++) cols[dst + i] = x[src + i]
    }
  }

  // Offsets of the (kd, kh) rows of a window whose corner is inside the volume.
  const tapOffsets = new Int32Array(KD * KH)
  for (let kd = 0; kd < KD; kd++) for (let kh = 0; kh < KH; kh++) tapOffsets[kd * KH + kh] = kd * xPlane + kh * xRow

  forEachOutputLine(g, rowStart, rowCount, (b, od, oh, owStart, owEnd, rowOffset) => {
    const d0 = od * g.strideDepth - g.padFront
    const h0 = oh * g.strideHeight - g.padTop
    const depthHeightInside = d0 >= 0 && d0 + KD <= D && h0 >= 0 && h0 + KH <= H
    const cornerLine = b * xVolume + d0 * xPlane + h0 * xRow
    let o = rowOffset * patch
    for (let ow = owStart; ow < owEnd; ow++) {
      const w0 = ow * SW - g.padLeft
      const widthInside = w0 >= 0 && w0 + KW <= W
      if (depthHeightInside && widthInside) {
        const corner = cornerLine + w0 * C
        for (let t = 0; t < tapOffsets.length; t++, o += run) copy(o, corner + tapOffsets[t], run)
        continue
      }
      // Border window: whole (kd) planes or (kd, kh) rows may lie in the padding, and along width
      // only the taps [kwLo, kwHi) are inside.
      const kwLo = Math.max(0, -w0)
      const kwHi = Math.min(KW, W - w0)
      for (let kd = 0; kd < KD; kd++) {
        const id = d0 + kd
        if (id < 0 || id >= D) {
          cols.fill(0, o, o + planeRun)
          o += planeRun
          continue
        }
        for (let kh = 0; kh < KH; kh++, o += run) {
          const ih = h0 + kh
          if (ih < 0 || ih >= H || kwLo >= kwHi) {
            cols.fill(0, o, o + run)
            continue
          }
          if (kwLo > 0) cols.fill(0, o, o + kwLo * C)
          copy(o + kwLo * C, b * xVolume + id * xPlane + ih * xRow + (w0 + kwLo) * C, (kwHi - kwLo) * C)
          if (kwHi < KW) cols.fill(0, o + kwHi * C, o + run)
        }
      }
    }
  })
}
