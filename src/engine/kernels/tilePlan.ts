import { scratchBudget, type Conv3dKernelOptions } from './conv3dKernelOptions'

export interface Tile {
  /** First output position (flattened batch, depth, height, width) of the tile. */
  rowStart: number
  rowCount: number
}

export function rowsPerTile(patchSize: number, options: Conv3dKernelOptions = {}): number {
  return Math.max(1, Math.floor(scratchBudget(options) / (4 * patchSize)))
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
