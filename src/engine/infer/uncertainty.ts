/**
 * Voxel uncertainty as the entropy of the (averaged) softmax, normalised by log K so that 0 means
 * certain and 1 means "no idea", and one score per case for ranking cases for review.
 */

/** Normalised entropy of each voxel's class probabilities ([N, K] channels-last → [N]). */
export function normalisedEntropy(probabilities: Float32Array, classes: number): Float32Array {
  if (classes < 2) return new Float32Array(probabilities.length / Math.max(classes, 1))
  const voxels = probabilities.length / classes
  const out = new Float32Array(voxels)
  const norm = 1 / Math.log(classes)
  for (let v = 0; v < voxels; v++) {
    let h = 0
    const base = v * classes
    for (let c = 0; c < classes; c++) {
      const p = probabilities[base + c] as number
      if (p > 1e-12) h -= p * Math.log(p)
    }
    out[v] = Math.min(1, Math.max(0, h * norm))
  }
  return out
}

/** Voxels below this normalised entropy count as confidently background when scoring a case. */
export const CONFIDENT_ENTROPY = 0.05

/**
 * Case score: mean normalised entropy over the voxels that matter — those predicted as a structure
 * or not confidently background. A whole-volume mean would be drowned by easy background, so a
 * case with a small but doubtful structure would look certain. 0 when nothing is doubtful.
 */
export function caseUncertaintyScore(entropy: Float32Array, classIndices: ArrayLike<number>): number {
  let sum = 0
  let count = 0
  for (let v = 0; v < entropy.length; v++) {
    const h = entropy[v] as number
    if ((classIndices[v] as number) !== 0 || h >= CONFIDENT_ENTROPY) {
      sum += h
      count++
    }
  }
  return count === 0 ? 0 : sum / count
}
