/**
 * The WebAssembly JS API members the DICOM converter uses, typed locally: the Node type definitions
 * in this project's configuration declare the WebAssembly namespace without them (they live in the
 * DOM library). The engine has its own (src/engine/webAssemblyApi.ts), which main may not import.
 */
export interface WasmModule {
  readonly __wasmModule?: never
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>
}

export type WasmImports = Record<string, Record<string, unknown>>

interface WebAssemblyApi {
  compile(bytes: Uint8Array): Promise<WasmModule>
  instantiate(module: WasmModule, imports: WasmImports): Promise<WasmInstance>
}

export const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly
