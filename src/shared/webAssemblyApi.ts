/**
 * The few WebAssembly JS API members the engine (its kernels, the threaded backend) and main (the
 * DICOM converter) use, typed locally: the Node type definitions in this project's configuration
 * declare the WebAssembly namespace without these classes (they live in the DOM library, which
 * neither includes). One copy for both, in the tier both may import.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer
  grow(pages: number): number
}

export interface WasmModule {
  readonly __wasmModule?: never
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>
}

export type WasmImports = Record<string, Record<string, unknown>>

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => WasmModule
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory
  compile(bytes: Uint8Array): Promise<WasmModule>
  instantiate(module: WasmModule, imports: WasmImports): Promise<WasmInstance>
}

export const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly

export function isWasmMemory(value: unknown): value is WasmMemory {
  return value instanceof webAssembly.Memory
}
