import type { CopyPlan } from './shapeCollapse'

/** A typed view of the wasm heap as the backend hands it out (float32, int32 or bool tensors). */
export type HeapArray = Float32Array | Int32Array | Uint8Array

/**
 * Runs at least this long are copied with `copyWithin` (a native memmove): for a few elements the
 * call costs more than a JS loop (the same threshold as im2col, see docs/KERNELS.md). Measured here
 * on 1M floats: runs of 8, loop 0.8–1 ms, copyWithin 6.5 ms; runs of 16, loop ~1.6, copyWithin 1.5;
 * runs of 64, loop ~1.6, copyWithin 0.46.
 */
export const MIN_NATIVE_RUN = 16

/** The whole buffer behind `view`, as the same element type, and the view's start index in it. */
export function wholeBuffer(view: HeapArray): { heap: HeapArray; base: number } {
  const buffer = view.buffer
  if (view instanceof Float32Array) return { heap: new Float32Array(buffer, 0, buffer.byteLength >>> 2), base: view.byteOffset >>> 2 }
  if (view instanceof Int32Array) return { heap: new Int32Array(buffer, 0, buffer.byteLength >>> 2), base: view.byteOffset >>> 2 }
  return { heap: new Uint8Array(buffer, 0, buffer.byteLength), base: view.byteOffset }
}

/*
 * The innermost loop of a copy, flat (no closure, no recursion): it runs once per run, 65536 times for
 * a channel split of a 32³ batch, and a recursive closure version ran 1.3–4× slower and unsteadily.
 * Float32 has its own copy so its element accesses stay monomorphic in a process that also copies
 * int32 or bool tensors.
 */
function stridedF32(heap: Float32Array, s: number, d: number, count: number, ss: number, ds: number, length: number): void {
  if (length >= MIN_NATIVE_RUN) {
    for (let i = 0; i < count; i++, s += ss, d += ds) heap.copyWithin(d, s, s + length)
  } else {
    for (let i = 0; i < count; i++, s += ss, d += ds) for (let j = 0; j < length; j++) heap[d + j] = heap[s + j] as number
  }
}

function stridedOther(heap: Int32Array | Uint8Array, s: number, d: number, count: number, ss: number, ds: number, length: number): void {
  if (length >= MIN_NATIVE_RUN) {
    for (let i = 0; i < count; i++, s += ss, d += ds) heap.copyWithin(d, s, s + length)
  } else {
    for (let i = 0; i < count; i++, s += ss, d += ds) for (let j = 0; j < length; j++) heap[d + j] = heap[s + j] as number
  }
}

/**
 * Executes a copy plan inside one buffer: source run i starts at `src + plan.srcStart + Σ i·srcStride`,
 * target at `dst + Σ i·dstStride`. Source and target must not overlap (distinct tensors).
 */
export function copyRuns(heap: HeapArray, src: number, dst: number, plan: CopyPlan): void {
  const { runLength, loops } = plan
  if (runLength === 0) return
  const inner = loops[loops.length - 1] ?? { count: 1, srcStride: 0, dstStride: 0 }
  const outer = loops.slice(0, -1)
  if (outer.some((loop) => loop.count === 0)) return
  // Odometer over the outer loops; the innermost one is a flat strided copy.
  const index = new Int32Array(outer.length)
  let s = src + plan.srcStart
  let d = dst
  for (;;) {
    if (heap instanceof Float32Array) stridedF32(heap, s, d, inner.count, inner.srcStride, inner.dstStride, runLength)
    else stridedOther(heap, s, d, inner.count, inner.srcStride, inner.dstStride, runLength)
    let level = outer.length - 1
    while (level >= 0) {
      const loop = outer[level] as CopyPlan['loops'][number]
      s += loop.srcStride
      d += loop.dstStride
      if (++index[level] < loop.count) break
      s -= loop.count * loop.srcStride
      d -= loop.count * loop.dstStride
      index[level] = 0
      level--
    }
    if (level < 0) return
  }
}
