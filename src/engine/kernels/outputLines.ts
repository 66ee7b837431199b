import type { Conv3dGeometry } from './conv3dGeometry'

/**
 * Called once per run of output positions that share (batch, depth, height): the im2col and col2im
 * loops do their per-line work (input depth and height, bounds) here once, not once per voxel.
 * `rowOffset` is the first position's index within the tile.
 */
export type LineVisitor = (b: number, od: number, oh: number, owStart: number, owEnd: number, rowOffset: number) => void

/** Visits the output lines covered by positions [rowStart, rowStart + rowCount) in NDHW order. */
export function forEachOutputLine(g: Conv3dGeometry, rowStart: number, rowCount: number, visit: LineVisitor): void {
  const end = rowStart + rowCount
  let row = rowStart
  while (row < end) {
    const ow = row % g.outWidth
    const line = (row - ow) / g.outWidth
    const oh = line % g.outHeight
    const plane = (line - oh) / g.outHeight
    const od = plane % g.outDepth
    const b = (plane - od) / g.outDepth
    const owEnd = Math.min(g.outWidth, ow + (end - row))
    visit(b, od, oh, ow, owEnd, row - rowStart)
    row += owEnd - ow
  }
}
