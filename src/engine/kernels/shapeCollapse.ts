/**
 * Pure shape arithmetic for the wasm reduction, copy and broadcast kernels (registerReductionKernels):
 * every plan here merges adjacent axes that behave alike, so a rank-5 request becomes the rank-1–3
 * problem it really is. The stock wasm kernels do not merge axes, and their rank-5 paths are per-element
 * (generic transpose, generic slice): that, not the arithmetic, is what makes them slow.
 */

export function sizeOf(shape: readonly number[]): number {
  let size = 1
  for (const dim of shape) size *= dim
  return size
}

/** Row-major strides in elements (the last axis has stride 1). */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length)
  let stride = 1
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride
    stride *= shape[axis] as number
  }
  return strides
}

// ---------------------------------------------------------------------------------------------
// Reductions

/** One step of a reduction: the input viewed as [outer, reduce, inner], summed over the middle axis. */
export interface ReductionStep {
  outer: number
  reduce: number
  inner: number
}

interface AxisGroup {
  size: number
  reduced: boolean
}

/**
 * A reduction of `shape` over `axes` (normalised, non-negative) as a sequence of [outer, reduce,
 * inner] steps, innermost reduced group first; each step's output [outer, inner] is the next step's
 * input. Size-1 axes are dropped and neighbours of the same kind merged, so summing [2,32,32,32,8]
 * over [0,1,2,3] is one step {1, 65536, 8} and over [1,2,3] one step {2, 32768, 8}. No steps: nothing
 * is actually reduced (only size-1 axes), the result is a copy.
 */
export function reductionSteps(shape: readonly number[], axes: readonly number[]): ReductionStep[] {
  const reducedAxes = new Set(axes)
  const groups: AxisGroup[] = []
  shape.forEach((size, axis) => {
    if (size === 1) return
    const reduced = reducedAxes.has(axis)
    const last = groups[groups.length - 1]
    if (last && last.reduced === reduced) last.size *= size
    else groups.push({ size, reduced })
  })
  const steps: ReductionStep[] = []
  for (;;) {
    let j = groups.length - 1
    while (j >= 0 && !(groups[j] as AxisGroup).reduced) j--
    if (j < 0) return steps
    let outer = 1
    for (let i = 0; i < j; i++) outer *= (groups[i] as AxisGroup).size
    let inner = 1
    for (let i = j + 1; i < groups.length; i++) inner *= (groups[i] as AxisGroup).size
    steps.push({ outer, reduce: (groups[j] as AxisGroup).size, inner })
    // Groups alternate, so both neighbours of a reduced group are kept groups: they merge.
    const before = groups[j - 1]
    const after = groups[j + 1]
    if (before && after) {
      before.size *= after.size
      groups.splice(j, 2)
    } else {
      groups.splice(j, 1)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Transpose

export interface CollapsedTranspose {
  shape: number[]
  perm: number[]
}

/**
 * The same transpose on merged axes: size-1 axes dropped, and input axes that stay adjacent and in
 * order in `perm` merged. [2,32,32,32,8] with perm [4,0,1,2,3] becomes [65536,8] with perm [1,0].
 * An identity perm comes back as rank ≤ 1.
 */
export function collapseTranspose(shape: readonly number[], perm: readonly number[]): CollapsedTranspose {
  const kept = perm.filter((axis) => (shape[axis] as number) !== 1)
  // Runs of consecutive input axes, in output order.
  const runs: number[][] = []
  for (const axis of kept) {
    const run = runs[runs.length - 1]
    if (run && run[run.length - 1] === axis - 1) run.push(axis)
    else runs.push([axis])
  }
  const inputOrder = runs.map((run, i) => ({ first: run[0] as number, i })).sort((a, b) => a.first - b.first)
  const position = new Array<number>(runs.length)
  inputOrder.forEach(({ i }, p) => {
    position[i] = p
  })
  const collapsedShape = inputOrder.map(({ i }) => sizeOf((runs[i] as number[]).map((axis) => shape[axis] as number)))
  return { shape: collapsedShape, perm: runs.map((_, i) => position[i] as number) }
}

export function isIdentityPerm(perm: readonly number[]): boolean {
  return perm.every((axis, i) => axis === i)
}

// ---------------------------------------------------------------------------------------------
// Strided copies (slice, concat)

/** One level of a strided copy: `count` repetitions, source and target `srcStride`/`dstStride` apart. */
export interface CopyLoop {
  count: number
  srcStride: number
  dstStride: number
}

/** Contiguous runs of `runLength` elements, at `srcStart` + Σ i·srcStride to Σ i·dstStride. */
export interface CopyPlan {
  runLength: number
  srcStart: number
  /** Outermost first; empty: a single run. */
  loops: CopyLoop[]
}

/** Merges loop levels where the inner level exactly tiles the outer one in both source and target. */
function mergeLoops(loops: CopyLoop[]): CopyLoop[] {
  const merged: CopyLoop[] = []
  for (const loop of loops) {
    if (loop.count === 1) continue
    const last = merged[merged.length - 1]
    if (last && last.srcStride === loop.count * loop.srcStride && last.dstStride === loop.count * loop.dstStride) {
      last.count *= loop.count
      last.srcStride = loop.srcStride
      last.dstStride = loop.dstStride
    } else {
      merged.push({ ...loop })
    }
  }
  return merged
}

/**
 * The copy plan of `x[begin : begin + size]` from a tensor of shape `shape` into a contiguous output.
 * Inner axes taken whole join the run: slicing channels 0–7 of [2,32,32,32,16] is 65536 runs of 8,
 * slicing the first sample is one run.
 */
export function slicePlan(shape: readonly number[], begin: readonly number[], size: readonly number[]): CopyPlan {
  const rank = shape.length
  const strides = stridesOf(shape)
  let srcStart = 0
  for (let axis = 0; axis < rank; axis++) srcStart += (begin[axis] as number) * (strides[axis] as number)
  // The innermost axis not taken whole ends the run.
  let k = rank - 1
  while (k >= 0 && size[k] === shape[k]) k--
  if (k < 0) return { runLength: sizeOf(shape), srcStart, loops: [] }
  const runLength = (size[k] as number) * (strides[k] as number)
  const outStrides = stridesOf(size)
  const loops: CopyLoop[] = []
  for (let axis = 0; axis < k; axis++) {
    loops.push({ count: size[axis] as number, srcStride: strides[axis] as number, dstStride: outStrides[axis] as number })
  }
  return { runLength, srcStart, loops: mergeLoops(loops) }
}

// ---------------------------------------------------------------------------------------------
// Broadcasting binary ops

export interface WidenedBroadcast {
  /** Shapes to hand the stock kernel: same element order as the inputs, only the views differ. */
  aShape: number[]
  bShape: number[]
  /** Which operand is repeated along the broadcast axis and must be tiled `tile` times along its last axis. */
  tiled: 'a' | 'b'
  tile: number
  /** The tiled operand's collapsed shape before tiling (its last axis is repeated `tile` times). */
  tiledFrom: number[]
}

/** Inner rows at least this long keep XNNPACK's broadcasting binary ops fast (measured: 8 floats run at a fifth of the speed). */
export const MIN_BROADCAST_ROW = 256
/** Tiled inner rows of about this many floats. */
export const TARGET_BROADCAST_ROW = 1024
/** At least this many widened rows per repeated row, so the tiled copy stays small next to the output. */
const MIN_REPEATS = 4

type AxisKind = 'both' | 'aOnly' | 'bOnly'

/**
 * Broadcasting `a` against `b` where one operand repeats along an axis just outside a short run of
 * elements both have (an instance-norm scale [2,1,1,1,8] against [2,32,32,32,8]): the stock wasm ops
 * (XNNPACK) walk that in rows of 8 floats, ~5× slower than rows of ≥ 256. Returns views that make the
 * rows `tile` times longer, the repeated operand's rows tiled to match; null where this does not
 * apply (same shapes, inner-axis broadcasts, rows already long, no divisor to tile by, repeats too
 * few for the tiled copy to stay small).
 */
export function widenBroadcast(aShapeIn: readonly number[], bShapeIn: readonly number[]): WidenedBroadcast | null {
  const rank = Math.max(aShapeIn.length, bShapeIn.length)
  const pad = (shape: readonly number[]): number[] => [...new Array<number>(rank - shape.length).fill(1), ...shape]
  const aShape = pad(aShapeIn)
  const bShape = pad(bShapeIn)
  // Collapsed axes of the broadcast: kind and sizes in a and b.
  const axes: { kind: AxisKind; a: number; b: number }[] = []
  for (let i = 0; i < rank; i++) {
    const a = aShape[i] as number
    const b = bShape[i] as number
    if (a === 1 && b === 1) continue
    if (a !== b && a !== 1 && b !== 1) return null
    const kind: AxisKind = a === b ? 'both' : a === 1 ? 'bOnly' : 'aOnly'
    const last = axes[axes.length - 1]
    if (last && last.kind === kind) {
      last.a *= a
      last.b *= b
    } else {
      axes.push({ kind, a, b })
    }
  }
  const n = axes.length
  if (n < 2) return null
  const row = axes[n - 1] as { kind: AxisKind; a: number; b: number }
  const repeat = axes[n - 2] as { kind: AxisKind; a: number; b: number }
  if (row.kind !== 'both' || row.a >= MIN_BROADCAST_ROW) return null
  const count = repeat.kind === 'bOnly' ? repeat.b : repeat.a
  // The tiled copy is count/tile times smaller than the output; keep it at most a quarter.
  let tile = 1
  for (let t = Math.min(Math.floor(count / MIN_REPEATS), Math.floor(TARGET_BROADCAST_ROW / row.a)); t >= 2; t--) {
    if (count % t === 0) {
      tile = t
      break
    }
  }
  if (tile * row.a < MIN_BROADCAST_ROW) return null
  const outer = axes.slice(0, n - 2)
  const big = (side: 'a' | 'b'): number[] => [...outer.map((axis) => axis[side]), count / tile, tile * row.a]
  const small = (side: 'a' | 'b'): number[] => [...outer.map((axis) => axis[side]), 1, tile * row.a]
  const from = (side: 'a' | 'b'): number[] => [...outer.map((axis) => axis[side]), 1, row.a]
  return repeat.kind === 'bOnly'
    ? { aShape: small('a'), bShape: big('b'), tiled: 'a', tile, tiledFrom: from('a') }
    : { aShape: big('a'), bShape: small('b'), tiled: 'b', tile, tiledFrom: from('b') }
}
