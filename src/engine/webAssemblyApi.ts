/**
 * The few WebAssembly JS API members the engine uses, typed locally: the Node type definitions in
 * this project's configuration declare the WebAssembly namespace without these classes (they live
 * in the DOM library, which the engine does not include).
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
}

export const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly

export function isWasmMemory(value: unknown): value is WasmMemory {
  return value instanceof webAssembly.Memory
}
