/**
 * The emitted 2×2 max pooling (src/tensor/wasm/max-pool.ts) against the JS reference
 * (kernels/pool.ts maxPool2dForward on the 'js' backend): outputs and argmax bitwise the same for
 * float32 on planes of even and odd sizes, with and without ceil mode (the windows the JS kernel
 * finishes), widths whose full windows are not a multiple of the 4-lane vector, more planes than
 * one WASM_POOL_PIECE holds, a plane bigger than a piece (all JS), inputs read at an offset, and
 * ties, NaN (positive and negative), −0 against +0 and windows of only −∞. The backward scatter
 * (wasm too) on overlapping and 2×2 windows, −0 and NaN gradients; and F.maxPool2d forward and
 * backward bitwise equal across the backends. Thread-count
 * determinism: test/tensor/pool-relu-parallel.test.ts, on both backends (vitest.config.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { F, getBackend, setBackend, tensor } from '../../src/index.js';
import { maxPool2dForward, pool2dGeometry } from '../../src/tensor/kernels/pool.js';
import { maxPool2dBackwardSplit } from '../../src/tensor/kernels/pool-parallel.js';
import { WASM_POOL_PIECE } from '../../src/tensor/wasm/max-pool.js';
import { expectBitwise, makeRandom } from '../helpers/random.js';

const savedBackend = getBackend();
afterAll(() => setBackend(savedBackend));

/** Values on a grid of quarters (many ties), with NaNs of both signs, ±0 and runs of −∞. */
function poolValues(size: number, rnd: () => number): Float32Array {
  const out = new Float32Array(size);
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < size; i++) {
    const u = rnd();
    if (u < 0.01) out[i] = Number.NaN;
    else if (u < 0.02) words[i] = 0xffc00000 | 0; // a negative NaN
    else if (u < 0.05) out[i] = rnd() < 0.5 ? -0 : 0;
    else if (u < 0.08) out[i] = -Infinity;
    else out[i] = Math.round((rnd() - 0.5) * 8) / 4;
  }
  return out;
}

describe('wasm max pooling 2×2', () => {
  it('y and argmax are bitwise the JS kernel\'s (sizes, ceil mode, pieces, offsets, NaN, ties)', () => {
    const rnd = makeRandom(41);
    const cases: [number, number, number, boolean][] = [
      [256, 28, 28, false], [512, 14, 14, false], [3, 5, 7, false], [3, 5, 7, true], [2, 1, 1, true], [4, 9, 17, true],
      [3, 2, 2, false], [5, 2, 18, false], [1, 3, 30, true], [Math.ceil(WASM_POOL_PIECE / 100) + 3, 10, 10, false], [1, 600, 600, true],
    ];
    for (let t = 0; t < 10; t++) cases.push([1 + Math.floor(rnd() * 20), 1 + Math.floor(rnd() * 40), 1 + Math.floor(rnd() * 40), rnd() < 0.5]);
    for (const [planes, h, w, ceilMode] of cases) {
      const geom = pool2dGeometry([planes, h, w], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode });
      if (geom.outH < 1 || geom.outW < 1) continue;
      const xOffset = Math.floor(rnd() * 5);
      const yOffset = Math.floor(rnd() * 5);
      const x = poolValues(xOffset + planes * h * w, rnd);
      const outputs = geom.planes * geom.outH * geom.outW;
      const run = (backend: 'js' | 'wasm'): [Float32Array, Int32Array] => {
        setBackend(backend);
        const y = new Float32Array(yOffset + outputs + 2).fill(5);
        const argmax = new Int32Array(outputs).fill(-7);
        maxPool2dForward(geom, x, xOffset, y, yOffset, argmax);
        return [y, argmax];
      };
      const js = run('js');
      const wasm = run('wasm');
      const label = `${planes}×${h}×${w}${ceilMode ? ' ceil' : ''}`;
      expectBitwise(wasm[0], js[0], `${label} y`);
      expectBitwise(wasm[1], js[1], `${label} argmax`);
      expect(js[1].includes(-7), `${label}: the reference wrote every index`).toBe(false);
    }
  });

  it('the backward scatter is bitwise the JS kernel\'s (overlapping windows add up, −0 and NaN gradients, offsets)', () => {
    const rnd = makeRandom(43);
    const windows: [number, number, number, boolean][] = [[2, 2, 0, false], [3, 1, 1, false], [3, 2, 1, true], [2, 2, 0, true], [4, 3, 2, false]];
    for (const [kernel, stride, padding, ceilMode] of windows) {
      for (const [planes, h, w] of [[64, 28, 28], [5, 9, 11], [3, 1, 1], [Math.ceil(WASM_POOL_PIECE / 80) + 1, 8, 10]] as const) {
        const geom = pool2dGeometry([planes, h, w], { kernel: [kernel, kernel], stride: [stride, stride], padding: [padding, padding], dilation: [1, 1], ceilMode });
        if (geom.outH < 1 || geom.outW < 1) continue;
        const x = poolValues(planes * h * w, rnd);
        const argmax = new Int32Array(geom.planes * geom.outH * geom.outW);
        maxPool2dForward(geom, x, 0, new Float32Array(argmax.length), 0, argmax);
        const dyOffset = Math.floor(rnd() * 4);
        const dy = poolValues(dyOffset + argmax.length, rnd);
        const dxOffset = Math.floor(rnd() * 4);
        const run = (backend: 'js' | 'wasm'): Float32Array => {
          setBackend(backend);
          const dx = new Float32Array(dxOffset + planes * h * w + 2).fill(3); // stale values: the kernel overwrites its range
          maxPool2dBackwardSplit(geom, dy, dyOffset, argmax, dx, dxOffset);
          return dx;
        };
        const js = run('js');
        expectBitwise(run('wasm'), js, `scatter k${kernel} s${stride} p${padding}${ceilMode ? ' ceil' : ''} ${planes}×${h}×${w}`);
      }
    }
  });

  it('F.maxPool2d forward and backward are bitwise the same on both backends', () => {
    const shape = [8, 4, 14, 15];
    const rnd = makeRandom(42);
    const xData = Array.from(poolValues(8 * 4 * 14 * 15, rnd));
    const gData = Array.from({ length: 8 * 4 * 7 * 7 }, () => rnd() * 2 - 1);
    const run = (backend: 'js' | 'wasm'): number[] => {
      setBackend(backend);
      const x = tensor(xData, { shape, requiresGrad: true });
      const y = F.maxPool2d(x, 2);
      y.backward(tensor(gData, { shape: y.shape }));
      return [...y.toArray(), ...x.grad!.toArray()];
    };
    const js = run('js');
    expectBitwise(run('wasm'), js, 'maxPool2d y and dx');
  });
});
