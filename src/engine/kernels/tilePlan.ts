import { VoxloopError } from '../../shared/errors'

/** Hard ceiling on the im2col buffer of one tile: the wasm heap tops out at 4 GiB for everything. */
export const MAX_IM2COL_BYTES = 64 * 2 ** 20

/**
 * Default tile budget. Smaller than the ceiling on purpose: a tile that fits in the last-level cache
 * is written by the im2col loop and read by the matmul while still hot. With the native im2col,
 * 8 MiB beat 4 MiB and smaller budgets on the reference U-Net step; 32–64 MiB lost (docs/KERNELS.md).
 */
export const DEFAULT_IM2COL_BYTES = 8 * 2 ** 20

export interface TileOptions {
  /**
   * Bytes allowed for one tile's im2col matrix (float32). Tiles are runs of consecutive output
   * positions in NDHW order, so tiny budgets (tests) cut mid-row; at least one row per tile.
   * Default DEFAULT_IM2COL_BYTES, at most MAX_IM2COL_BYTES.
   */
  maxIm2colBytes?: number
  /**
   * Who fills the column matrix on wasm: 'native' (native/im2col.c on the wasm heap; the default
   * wherever the backend exposes its memory) or 'js' (im2col.ts; the reference, and the fallback).
   */
  im2col?: 'native' | 'js'
}

export interface Tile {
  /** First output position (flattened batch, depth, height, width) of the tile. */
  rowStart: number
  rowCount: number
}

export function rowsPerTile(patchSize: number, options: TileOptions = {}): number {
  const budget = options.maxIm2colBytes ?? DEFAULT_IM2COL_BYTES
  if (!Number.isFinite(budget) || budget <= 0 || budget > MAX_IM2COL_BYTES) {
    throw new VoxloopError('INVALID_ARGUMENT', `maxIm2colBytes must be in (0, ${MAX_IM2COL_BYTES}], got ${budget}`)
  }
  return Math.max(1, Math.floor(budget / (4 * patchSize)))
}

/** Splits `totalRows` output positions into tiles of at most `perTile` rows. */
export function planTiles(totalRows: number, perTile: number): Tile[] {
  const tiles: Tile[] = []
  for (let rowStart = 0; rowStart < totalRows; rowStart += perTile) {
    tiles.push({ rowStart, rowCount: Math.min(perTile, totalRows - rowStart) })
  }
  return tiles
}

/**
 * At most `maxRows` and an odd number of rows per tile. For matrices to be transposed: the wasm
 * Transpose kernel is 3–10× slower when the row count is a multiple of a large power of two (cache
 * set conflicts on the strided writes; 1024 and 8192 rows measured), and cubic patches make such
 * counts the norm. A 32³ batch then splits as 32767 + 1 rather than 32768.
 */
export function oddRowsPerTile(totalRows: number, maxRows: number): number {
  const rows = Math.min(totalRows, maxRows)
  return rows > 1 && rows % 2 === 0 ? rows - 1 : rows
}
