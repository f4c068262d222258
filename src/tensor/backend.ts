/**
 * Which kernels run: 'js' (kernels/, the plain-loop reference) or 'wasm' (WebAssembly SIMD emitted
 * at start-up by wasm/). Today the wasm backend covers the GEMM under matmul, linear and conv2d;
 * everything else runs the JS kernels on both backends.
 *
 * The choice is per process: the worker pool's tasks carry it (parallel/protocol.ts), so workers
 * run the same kernels as the calling thread, and results stay bitwise identical for any thread
 * count within a backend. Across backends, float64 GEMMs are bitwise equal; float32 GEMMs differ
 * within float32 rounding (the wasm kernel sums in float32, the JS one in float64).
 */
import { ModuleBuilder } from './wasm/emitter.js';
import { wasmApi } from './wasm/runtime.js';

/** The kernel backends. */
export type Backend = 'wasm' | 'js';

let current: Backend | null = null;
let simd: boolean | null = null;

/**
 * The smallest module that uses 128-bit SIMD (an f32x4 add of two splats): it validates exactly
 * where the engine has WebAssembly SIMD.
 */
function simdProbe(): Uint8Array {
  const m = new ModuleBuilder();
  m.func('probe', [], ['f32'], (f) => {
    f.f32.const(1); f.f32x4.splat();
    f.f32.const(2); f.f32x4.splat();
    f.f32x4.add();
    f.f32x4.extract_lane(0);
  });
  return m.bytes();
}

/** Whether this runtime validates WebAssembly SIMD modules (checked once per thread). */
export function wasmSimdAvailable(): boolean {
  if (simd === null) {
    const api = wasmApi();
    simd = api !== null && api.validate(simdProbe());
  }
  return simd;
}

/**
 * The backend a process starts with: `TSGRAD_BACKEND` when set ('wasm' or 'js'), else 'wasm' where
 * SIMD validates. Without SIMD it is 'js', with a one-line `notice` to print (also when
 * `TSGRAD_BACKEND=wasm` asked for it: a script run on an older machine still runs). Pure, so
 * the no-SIMD path can be tested on any machine.
 */
export function chooseDefaultBackend(env: string | undefined, simdAvailable: boolean): { backend: Backend; notice: string | null } {
  if (env !== undefined && env !== '' && env !== 'wasm' && env !== 'js') {
    throw new Error(`TSGRAD_BACKEND must be 'wasm' or 'js', got ${JSON.stringify(env)}`);
  }
  if (env === 'js') return { backend: 'js', notice: null };
  if (simdAvailable) return { backend: 'wasm', notice: null };
  return { backend: 'js', notice: 'tsgrad: WebAssembly SIMD is not available here; using the JS kernels (backend \'js\')' };
}

/**
 * Selects the kernels: `'wasm'` (WebAssembly SIMD, the default where the runtime supports it) or
 * `'js'` (plain JavaScript loops, the readable reference). The default comes from the
 * `TSGRAD_BACKEND` environment variable when set. Within a backend results are bitwise identical
 * for any number of threads; across backends float64 matrix products agree bitwise and float32
 * ones within float32 rounding (the wasm kernels sum in float32, the JS kernels in float64).
 *
 * @example
 * ```ts
 * import { setBackend, getBackend, tensor } from 'tsgrad';
 * setBackend('js');
 * tensor([[1, 2], [3, 4]]).matmul(tensor([[5], [6]])); // computed by the JS kernels
 * getBackend(); // 'js'
 * setBackend('wasm'); // throws if this runtime has no WebAssembly SIMD
 * ```
 */
export function setBackend(backend: Backend): void {
  if (backend !== 'wasm' && backend !== 'js') {
    throw new Error(`setBackend: expected 'wasm' or 'js', got ${JSON.stringify(backend)}`);
  }
  if (backend === 'wasm' && !wasmSimdAvailable()) {
    throw new Error('setBackend(\'wasm\'): this JavaScript runtime does not support WebAssembly SIMD; use \'js\'');
  }
  current = backend;
}

/**
 * The backend the kernels use now (see {@link setBackend}).
 *
 * @example
 * ```ts
 * import { getBackend } from 'tsgrad';
 * getBackend(); // 'wasm' on Node 20 unless TSGRAD_BACKEND=js
 * ```
 */
export function getBackend(): Backend {
  if (current === null) {
    const { backend, notice } = chooseDefaultBackend(process.env['TSGRAD_BACKEND'], wasmSimdAvailable());
    if (notice !== null) console.warn(notice);
    current = backend;
  }
  return current;
}

/**
 * Sets this thread's backend to the calling thread's, on a pool worker (from the task message; no
 * SIMD check: the calling thread has made it).
 */
export function adoptBackend(backend: Backend): void {
  current = backend;
}
