/**
 * A small seeded random generator (mulberry32) whose whole state is one 32-bit integer, so that a
 * training run can write it to JSON and resume with exactly the same draws after a crash.
 * Not cryptographic; identical on every platform because it uses only 32-bit integer arithmetic.
 */

/** Everything needed to continue a stream; plain JSON. */
export interface RandomState {
  readonly algorithm: 'mulberry32'
  /** Unsigned 32-bit counter. */
  readonly state: number
}

export interface Random {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number
  /** Integer in [min, max], both included. */
  int(min: number, max: number): number
  /** True with probability `p` (0–1); always draws once, so the stream does not depend on `p`. */
  chance(p: number): boolean
  /** Normal with the given mean and standard deviation (Box–Muller; draws two uniforms). */
  normal(mean?: number, std?: number): number
  pick<T>(items: readonly T[]): T
  /** The current state; `restoreRandom(getState())` continues with the same numbers. */
  getState(): RandomState
}

const GOLDEN = 0x9e3779b9

function mulberry32(initial: number): Random {
  let state = initial >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.min(max - min, Math.floor(next() * (max - min + 1))),
    chance: (p) => next() < p,
    normal: (mean = 0, std = 1) => {
      const u = 1 - next() // (0, 1]: log(u) is finite
      const v = next()
      return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
    },
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('pick from an empty list')
      return items[Math.floor(next() * items.length)] as T
    },
    getState: () => ({ algorithm: 'mulberry32', state })
  }
}

/** A generator for a seed (any number; it is reduced to 32 bits, so 0 and 2³² give the same stream). */
export function createRandom(seed: number): Random {
  // Mixing the seed first keeps nearby seeds (0, 1, 2 …) from starting on correlated counters.
  return mulberry32(deriveSeed(seed >>> 0, 0))
}

/** Continues a stream saved with `getState()`. */
export function restoreRandom(saved: RandomState): Random {
  if (saved.algorithm !== 'mulberry32' || !Number.isInteger(saved.state) || saved.state < 0 || saved.state > 0xffffffff) {
    throw new RangeError(`not a saved random state: ${JSON.stringify(saved)}`)
  }
  return mulberry32(saved.state)
}

/**
 * A seed for sub-stream `indices` of `seed` (e.g. deriveSeed(runSeed, step, sampleIndex)), so that
 * each step or case has its own independent stream and can be regenerated without replaying others.
 * Murmur3's finaliser, applied once per index.
 */
export function deriveSeed(seed: number, ...indices: number[]): number {
  let h = (seed >>> 0) ^ GOLDEN
  for (const index of [...indices, indices.length]) {
    h = (h ^ Math.imul((index >>> 0) + 1, 0x9e3779b1)) >>> 0
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    h = (h ^ (h >>> 16)) >>> 0
  }
  return h
}
