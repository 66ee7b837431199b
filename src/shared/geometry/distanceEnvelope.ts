/**
 * The one-dimensional step of exact Euclidean distance transforms (Felzenszwalb & Huttenlocher,
 * "Distance Transforms of Sampled Functions"), shared by the renderer's 2D transform (brush,
 * interpolation) and the engine's 3D one (surface metrics): each runs it along every axis in turn.
 */

/** Buffers of one envelope pass, sized for the longest line: f and d n, vertices n, bounds n + 1. */
export interface EnvelopeScratch {
  /** Input samples (squared distances so far; Infinity where there is no feature). */
  f: Float64Array
  /** Output samples. */
  d: Float64Array
  vertices: Int32Array
  bounds: Float64Array
}

export function envelopeScratch(longestLine: number): EnvelopeScratch {
  return { f: new Float64Array(longestLine), d: new Float64Array(longestLine), vertices: new Int32Array(longestLine), bounds: new Float64Array(longestLine + 1) }
}

/**
 * d[q] = min_p ((q − p)·step)² + f[p]. Infinite samples stay out of the envelope (rather than a big
 * number standing in for them) so that a line with no feature stays exactly Infinity.
 */
export function envelope1d(s: EnvelopeScratch, n: number, step: number): void {
  const { f, d, vertices, bounds } = s
  let k = -1
  for (let q = 0; q < n; q++) {
    const fq = f[q] as number
    if (fq === Infinity) continue
    const xq = q * step
    const heightQ = fq + xq * xq
    let cut = -Infinity
    while (k >= 0) {
      const p = vertices[k] as number
      const xp = p * step
      cut = (heightQ - ((f[p] as number) + xp * xp)) / (2 * (xq - xp))
      if (cut > (bounds[k] as number)) break
      k--
    }
    k++
    vertices[k] = q
    bounds[k] = k === 0 ? -Infinity : cut
    bounds[k + 1] = Infinity
  }
  if (k < 0) {
    d.fill(Infinity, 0, n)
    return
  }
  let j = 0
  for (let q = 0; q < n; q++) {
    const xq = q * step
    while ((bounds[j + 1] as number) < xq) j++
    const p = vertices[j] as number
    const dx = xq - p * step
    d[q] = dx * dx + (f[p] as number)
  }
}
