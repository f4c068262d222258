/**
 * The emitted modules besides the GEMM (im2col, relu, the norm passes, the channel sums, max
 * pooling) all work on this thread's GEMM memory (wasm/gemm.ts `wasmThreadMemory`, their data in
 * its scratch region): each is compiled once per thread, on first use, and instantiated on that
 * memory. This is the one place that does it.
 */
import { wasmThreadMemory } from './gemm.js';
import { wasmApi, type WasmMemory, type WasmModule } from './runtime.js';

/** A module's exports on this thread's memory, with views of that memory. */
export interface ThreadModule {
  exports: Record<string, unknown>;
  memory: WasmMemory;
  f32: Float32Array;
  f64: Float64Array;
  i32: Int32Array;
}

/**
 * A getter of the kernels of the module emitted by `bytes` (`what` names it in errors): at its
 * first call the module is compiled and instantiated on this thread's memory and `pick` takes the
 * typed functions and views the caller needs from it; later calls return that same object.
 *
 * @example
 * ```ts
 * const reluKernels = threadModule('relu', reluModuleBytes, (m) => ({ relu: m.exports['relu_words_f32'] as WordsFn, words: m.i32 }));
 * reluKernels().relu(src, dst, bytes);
 * ```
 */
export function threadModule<K>(what: string, bytes: () => Uint8Array, pick: (module: ThreadModule) => K): () => K {
  let compiled: WasmModule | null = null;
  let instance: K | null = null;
  return () => {
    if (instance !== null) return instance;
    const api = wasmApi();
    if (api === null) throw new Error('wasm backend: this JavaScript runtime has no WebAssembly; use setBackend(\'js\')');
    if (compiled === null) {
      const code = bytes();
      if (!api.validate(code)) throw new Error(`wasm backend: the emitted ${what} module does not validate (no WebAssembly SIMD?)`);
      compiled = new api.Module(code);
    }
    const memory = wasmThreadMemory();
    const exports = new api.Instance(compiled, { env: { memory } }).exports;
    instance = pick({
      exports, memory,
      f32: new Float32Array(memory.buffer), f64: new Float64Array(memory.buffer), i32: new Int32Array(memory.buffer),
    });
    return instance;
  };
}
