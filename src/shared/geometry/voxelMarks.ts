/**
 * One bit per voxel ("visited", "touched in this stroke"): 1/8 of a Uint8 label map, so region kernels
 * and the editor can mark voxels without a Set entry per voxel. Clear sparsely with `unmarkAll(indices)`
 * when only a few voxels were marked.
 */
export class VoxelMarks {
  private readonly words: Uint32Array

  constructor(readonly voxelCount: number) {
    this.words = new Uint32Array(Math.ceil(voxelCount / 32))
  }

  has(index: number): boolean {
    return (this.words[index >>> 5] & (1 << (index & 31))) !== 0
  }

  mark(index: number): void {
    this.words[index >>> 5] |= 1 << (index & 31)
  }

  /** Marks and returns true when the voxel was not marked yet. */
  markIfNew(index: number): boolean {
    const word = index >>> 5
    const bit = 1 << (index & 31)
    if ((this.words[word] & bit) !== 0) return false
    this.words[word] |= bit
    return true
  }

  unmark(index: number): void {
    this.words[index >>> 5] &= ~(1 << (index & 31))
  }

  unmarkAll(indices: ArrayLike<number>): void {
    for (let n = 0; n < indices.length; n++) this.unmark(indices[n])
  }

  clear(): void {
    this.words.fill(0)
  }
}
