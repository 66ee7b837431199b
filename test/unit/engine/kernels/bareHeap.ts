import { nativeKernelsFor, type NativeKernels } from '../../../../src/engine/kernels/nativeKernels'
import type { WasmBackendInternals } from '../../../../src/engine/kernels/wasmHeap'
import { webAssembly, type WasmMemory } from '../../../../src/shared/webAssemblyApi'

/** A bare heap: our module on a fresh memory, without tfjs. Offsets are in floats. */
export class Heap {
  readonly native: NativeKernels
  private next = 256 // keep away from 0, as tfjs's heap would be

  constructor(readonly memory: WasmMemory) {
    const fake = { wasm: { wasmMemory: memory } } as unknown as WasmBackendInternals
    const native = nativeKernelsFor(fake)
    if (!native) throw new Error('nativeKernelsFor returned null for a WebAssembly.Memory')
    this.native = native
  }

  get f32(): Float32Array {
    return new Float32Array(this.memory.buffer)
  }

  alloc(floats: number, fill = Number.NaN): number {
    const at = this.next
    this.next += floats + 64
    this.f32.fill(fill, at, at + floats + 64) // NaN around: a write outside its range shows up
    return at
  }
}

export const MEMORIES: [string, () => WasmMemory][] = [
  ['plain memory', () => new webAssembly.Memory({ initial: 64 })],
  ['shared memory (threaded build)', () => new webAssembly.Memory({ initial: 64, maximum: 65536, shared: true })]
]

