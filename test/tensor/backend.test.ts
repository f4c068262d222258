/**
 * The backend switch (src/tensor/backend.ts): the default and its environment variable, the
 * fallback to 'js' with one line of notice where WebAssembly SIMD does not validate (forced in a
 * child process by stubbing WebAssembly.validate), clear errors, and what switching changes:
 * float64 products are bitwise the same on both backends, float32 products agree within float32
 * rounding.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend, tensor, type Backend } from '../../src/index.js';
import { chooseDefaultBackend, wasmSimdAvailable } from '../../src/tensor/backend.js';
import { expectBitwise, uniformValues } from '../helpers/random.js';

const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const NOTICE = "tsgrad: WebAssembly SIMD is not available here; using the JS kernels (backend 'js')";

/** Runs `code` (an ES module importing tsgrad as `t`) in a fresh Node with tsx; returns its output. */
function child(code: string, env: Record<string, string | undefined>): { stdout: string; stderr: string; status: number | null } {
  const script = `${code.includes('STUB') ? 'WebAssembly.validate = () => false;\n' : ''}const t = await import(${JSON.stringify(INDEX)});\n${code.replace('STUB', '')}`;
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...env })) if (value !== undefined) childEnv[key] = value;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8', env: childEnv, timeout: 60_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe('choosing the default backend', () => {
  it('is wasm where SIMD validates, js where it does not (with a notice), and follows TSGRAD_BACKEND', () => {
    expect(chooseDefaultBackend(undefined, true)).toEqual({ backend: 'wasm', notice: null });
    expect(chooseDefaultBackend('', true)).toEqual({ backend: 'wasm', notice: null });
    expect(chooseDefaultBackend('js', true)).toEqual({ backend: 'js', notice: null });
    expect(chooseDefaultBackend('wasm', true)).toEqual({ backend: 'wasm', notice: null });
    expect(chooseDefaultBackend(undefined, false)).toEqual({ backend: 'js', notice: NOTICE });
    expect(chooseDefaultBackend('wasm', false)).toEqual({ backend: 'js', notice: NOTICE });
    expect(chooseDefaultBackend('js', false)).toEqual({ backend: 'js', notice: null });
  });

  it('rejects an unknown TSGRAD_BACKEND with an error naming it', () => {
    expect(() => chooseDefaultBackend('gpu', true)).toThrow(/TSGRAD_BACKEND must be 'wasm' or 'js', got "gpu"/);
  });

  it('this test process runs the backend its vitest project sets (TSGRAD_BACKEND)', () => {
    const env = process.env['TSGRAD_BACKEND'];
    expect(env === 'js' || env === 'wasm', `TSGRAD_BACKEND is ${String(env)}`).toBe(true);
    // (Another test of this file may have switched it: ask a fresh process.)
    const r = child('console.log(t.getBackend());', {});
    expect(r.stdout.trim()).toBe(env);
  });

  it('Node 20 validates WebAssembly SIMD', () => {
    expect(wasmSimdAvailable()).toBe(true);
  });
});

describe('in a fresh process', () => {
  it('defaults to wasm, and to js with TSGRAD_BACKEND=js', () => {
    expect(child('console.log(t.getBackend());', { TSGRAD_BACKEND: undefined }).stdout.trim()).toBe('wasm');
    expect(child('console.log(t.getBackend());', { TSGRAD_BACKEND: 'js' }).stdout.trim()).toBe('js');
  });

  it('without SIMD: falls back to js with exactly one line of notice, and still computes', () => {
    const r = child("STUB console.log(t.getBackend()); console.log(t.tensor([[1, 2]]).matmul(t.tensor([[3], [4]])).item());", { TSGRAD_BACKEND: undefined });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['js', '11']);
    expect(r.stderr.trim().split('\n')).toEqual([NOTICE]);
  });

  it("without SIMD: setBackend('wasm') throws a clear error", () => {
    const r = child("STUB try { t.setBackend('wasm'); console.log('no error'); } catch (e) { console.log(e.message); }", { TSGRAD_BACKEND: 'js' });
    expect(r.stdout.trim()).toBe("setBackend('wasm'): this JavaScript runtime does not support WebAssembly SIMD; use 'js'");
  });
});

describe('setBackend / getBackend', () => {
  const before = getBackend();
  afterAll(() => setBackend(before));

  it('rejects an unknown backend with an error naming it', () => {
    expect(() => setBackend('gpu' as Backend)).toThrow(/setBackend: expected 'wasm' or 'js', got "gpu"/);
  });

  it('switches the matmul kernels: float64 bitwise the same on both, float32 within float32 rounding', () => {
    const results: Record<string, Record<Backend, Float32Array | Float64Array>> = { float32: {} as never, float64: {} as never };
    for (const backend of ['js', 'wasm'] as const) {
      setBackend(backend);
      expect(getBackend()).toBe(backend);
      for (const dtype of ['float32', 'float64'] as const) {
        const a = tensor(uniformValues(37 * 300, 1), { shape: [37, 300], dtype });
        const b = tensor(uniformValues(300 * 45, 2), { shape: [300, 45], dtype });
        results[dtype]![backend] = a.matmul(b).toArray() as Float32Array | Float64Array; // float inputs give float storage
      }
    }
    expectBitwise(results['float64']!.wasm, results['float64']!.js, 'float64 matmul, wasm vs js');
    const [w, j] = [results['float32']!.wasm, results['float32']!.js];
    let differs = false;
    for (let i = 0; i < j.length; i++) {
      // 300 products of values in [-1, 1): float32 summation error ≤ 302·2⁻²⁴·300 ≈ 5.4e-3 at worst.
      expect(Math.abs(w[i]! - j[i]!)).toBeLessThan(302 * 2 ** -24 * 300);
      if (w[i] !== j[i]) differs = true;
    }
    expect(differs, 'float32 really ran a different kernel (summing in float32)').toBe(true);
  });
});
