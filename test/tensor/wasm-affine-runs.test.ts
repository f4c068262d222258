/**
 * The emitted normalization passes (src/tensor/wasm/affine-runs.ts) against the JS reference
 * (kernels/affine-runs.ts on the 'js' backend): affineRuns and gradientRuns bitwise the same for
 * float32 on seeded random run counts and lengths — odd lengths (a single last element per run),
 * runs spanning several WASM_AFFINE_PIECE pieces, a run of exactly one piece and one longer (the JS
 * fallback) — with offsets and NaN, ±∞, −0 and subnormal inputs; then F.batchNorm forward and
 * backward (float32, training) bitwise equal across the backends. Thread-count determinism of the
 * norm passes: test/norm (run on both backends, vitest.config.ts).
 */
import { afterAll, describe, it } from 'vitest';
import { F, getBackend, setBackend, tensor } from '../../src/index.js';
import { affineRuns, gradientRuns } from '../../src/tensor/kernels/affine-runs.js';
import { WASM_AFFINE_PIECE } from '../../src/tensor/wasm/affine-runs.js';
import { expectBitwise, makeRandom, uniformValues } from '../helpers/random.js';

const savedBackend = getBackend();
afterAll(() => setBackend(savedBackend));

function float32Values(size: number, rnd: () => number): Float32Array {
  const special = [Number.NaN, Infinity, -Infinity, -0, 0, 1e-45, -1e-45];
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rnd() < 0.02 ? special[Math.floor(rnd() * special.length)]! : (rnd() * 2 - 1) * 8;
  return out;
}

function constants(runs: number, rnd: () => number, spread: number): Float64Array {
  return Float64Array.from({ length: runs }, () => (rnd() * 2 - 1) * spread);
}

describe('wasm affine runs', () => {
  it('affineRuns and gradientRuns are bitwise the JS kernels\' (float32, odd lengths, pieces, offsets)', () => {
    const rnd = makeRandom(21);
    const shapes: [number, number][] = [
      [1, 16], [3, 17], [32 * 8, 784], [32 * 16, 196], [1, WASM_AFFINE_PIECE], [2, WASM_AFFINE_PIECE + 1], [700, 101], [9, 33],
    ];
    for (let t = 0; t < 12; t++) shapes.push([1 + Math.floor(rnd() * 300), 16 + Math.floor(rnd() * 400)]);
    for (const [runs, length] of shapes) {
      const size = runs * length;
      const [xOff, gOff, oOff] = [Math.floor(rnd() * 4), Math.floor(rnd() * 4), Math.floor(rnd() * 4)];
      const x = float32Values(xOff + size, rnd);
      const g = float32Values(gOff + size, rnd);
      const [m, s, a, c] = [constants(runs, rnd, 1), constants(runs, rnd, 3), constants(runs, rnd, 2), constants(runs, rnd, 0.5)];
      const run = (backend: 'js' | 'wasm'): [Float32Array, Float32Array] => {
        setBackend(backend);
        const affine = new Float32Array(oOff + size + 3).fill(7);
        affineRuns(x, xOff, affine, oOff, runs, length, m, s, a);
        const gradient = new Float32Array(oOff + size + 3).fill(7);
        gradientRuns(g, gOff, x, xOff, gradient, oOff, runs, length, m, a, s, c);
        return [affine, gradient];
      };
      const js = run('js');
      const wasm = run('wasm');
      expectBitwise(wasm[0], js[0], `affineRuns ${runs}×${length}`);
      expectBitwise(wasm[1], js[1], `gradientRuns ${runs}×${length}`);
    }
  });

  it('F.batchNorm forward and backward (float32, training) are bitwise the same on both backends', () => {
    const shape = [16, 8, 14, 13];
    const size = 16 * 8 * 14 * 13;
    const xData = uniformValues(size, 4);
    const gData = uniformValues(size, 5);
    const run = (backend: 'js' | 'wasm'): number[] => {
      setBackend(backend);
      const x = tensor(xData, { shape, requiresGrad: true });
      const w = tensor(uniformValues(8, 6), { requiresGrad: true });
      const b = tensor(uniformValues(8, 7), { requiresGrad: true });
      const y = F.batchNorm(x, null, null, { weight: w, bias: b, training: true });
      y.backward(tensor(gData, { shape }));
      return [...y.toArray(), ...x.grad!.toArray(), ...w.grad!.toArray(), ...b.grad!.toArray()];
    };
    const js = run('js');
    expectBitwise(run('wasm'), js, 'batchNorm y, dx, dγ, dβ');
  });
});
