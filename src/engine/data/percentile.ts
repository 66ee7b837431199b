/**
 * Percentiles by selection (average O(n)) instead of a full sort, because normalisation needs two
 * order statistics of up to tens of millions of voxels per case.
 */

/** Moves the k-th smallest of values[left..right] to index k, smaller ones before it, larger after (Hoare/Wirth). */
function selectInPlace(values: Float32Array, k: number, left: number, right: number): void {
  while (right > left) {
    const a = values[left] as number
    const b = values[(left + right) >> 1] as number
    const c = values[right] as number
    // Median of three guards against sorted input; Hoare's scheme splits runs of equal values evenly.
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b
    let i = left
    let j = right
    while (i <= j) {
      while ((values[i] as number) < pivot) i++
      while ((values[j] as number) > pivot) j--
      if (i <= j) {
        const t = values[i] as number
        values[i] = values[j] as number
        values[j] = t
        i++
        j--
      }
    }
    if (k <= j) right = j
    else if (k >= i) left = i
    else return // j < k < i: values[k] equals the pivot and is in place
  }
}

/**
 * Percentiles `ps` (0–100) of `values`, interpolated linearly between order statistics like numpy's
 * default. Reorders `values` (pass a scratch copy). Returns NaN for each p when `values` is empty.
 */
export function percentilesInPlace(values: Float32Array, ps: readonly number[]): number[] {
  const n = values.length
  if (n === 0) return ps.map(() => Number.NaN)
  const order = ps.map((p, index) => ({ p: Math.min(100, Math.max(0, p)), index })).sort((x, y) => x.p - y.p)
  const out = new Array<number>(ps.length)
  let left = 0
  for (const { p, index } of order) {
    const rank = (p / 100) * (n - 1)
    const lo = Math.floor(rank)
    // Ranks are visited in increasing order, so everything before `left` is already ≤ what we need.
    selectInPlace(values, lo, left, n - 1)
    left = lo
    let value = values[lo] as number
    const fraction = rank - lo
    if (fraction > 0) {
      let next = Infinity
      for (let v = lo + 1; v < n; v++) if ((values[v] as number) < next) next = values[v] as number
      value += fraction * (next - value)
    }
    out[index] = value
  }
  return out
}
