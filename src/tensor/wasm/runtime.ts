/**
 * The part of the WebAssembly JavaScript API that tsgrad uses, typed here because the project's
 * `lib` (ES2022, no DOM) declares none of it. Node 20 provides it on `globalThis`; a runtime
 * without it gets `null`, and tsgrad then runs its JS kernels.
 */

/** A linear memory (64 KiB pages). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** A compiled module (opaque). */
export interface WasmModule {
  readonly compiledModule: unique symbol;
}

/** An instantiated module. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

/** `WebAssembly.validate`, `Module`, `Instance` and `Memory`. */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}

/** The runtime's WebAssembly API, or null when it has none. */
export function wasmApi(): WasmApi | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  return api ?? null;
}
