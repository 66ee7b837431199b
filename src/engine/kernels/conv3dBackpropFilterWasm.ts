import type { TensorInfo } from '@tensorflow/tfjs'
import type { Conv3dGeometry } from './conv3dGeometry'
import { im2colRows } from './im2col'
import { oddRowsPerTile, planTiles, rowsPerTile, type TileOptions } from './tilePlan'
import { heapF32, matMulWasm, reshapedView, transposeWasm, type WasmBackendInternals } from './wasmHeap'

/**
 * Conv3D filter gradient on the wasm heap: Σ over tiles of `colsᵀ · dy`. colsᵀ is the row-layout
 * im2col transposed by the wasm Transpose kernel, because the alternatives measured slower: the
 * BatchMatMul transposeA path (~2 GFLOP/s), `dyᵀ · cols` (XNNPACK repacks the big right operand on
 * every call, 3–12 GFLOP/s), and a transposed im2col written in JS (a strided gather, ~0.3 GFloat/s).
 * Returns the filter's shape [kd, kh, kw, inChannels, outChannels]. Peak extra memory: two tiles.
 */
export function conv3dBackpropFilterWasm(
  backend: WasmBackendInternals,
  x: TensorInfo,
  dy: TensorInfo,
  g: Conv3dGeometry,
  options: TileOptions = {}
): TensorInfo {
  const K = g.patchSize
  const N = g.outChannels
  const M = g.outPositions
  const perTile = oddRowsPerTile(M, rowsPerTile(K, options))
  const cols = backend.makeOutput([perTile, K], 'float32')
  const transposedTile = (rowStart: number, rowCount: number): TensorInfo => {
    im2colRows(heapF32(backend, x), g, rowStart, rowCount, heapF32(backend, cols))
    return transposeWasm(backend, reshapedView(cols, [rowCount, K]))
  }

  try {
    if (perTile === M) {
      const colsT = transposedTile(0, M)
      try {
        // dy is immutable while its id lives, so it may be the (cached) right operand as it is.
        const dw = matMulWasm(backend, colsT, reshapedView(dy, [M, N]))
        return { dataId: dw.dataId, shape: g.filterShape, dtype: 'float32' }
      } finally {
        backend.disposeData(colsT.dataId)
      }
    }

    // Partial sums stay in JS memory: K·N floats, small next to one tile.
    const sum = new Float32Array(K * N)
    for (const { rowStart, rowCount } of planTiles(M, perTile)) {
      const colsT = transposedTile(rowStart, rowCount)
      // A fresh id per tile: XNNPACK caches the right operand by id, so a reused buffer would go stale.
      const dyTile = backend.makeOutput([rowCount, N], 'float32')
      let part: TensorInfo | undefined
      try {
        heapF32(backend, dyTile).set(heapF32(backend, dy).subarray(rowStart * N, (rowStart + rowCount) * N))
        part = matMulWasm(backend, colsT, dyTile)
        const partial = heapF32(backend, part)
        for (let i = 0; i < sum.length; i++) sum[i] += partial[i]
      } finally {
        if (part) backend.disposeData(part.dataId)
        backend.disposeData(dyTile.dataId)
        backend.disposeData(colsT.dataId)
      }
    }
    return backend.makeOutput(g.filterShape, 'float32', undefined, sum)
  } finally {
    backend.disposeData(cols.dataId)
  }
}
