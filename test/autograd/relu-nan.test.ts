/**
 * relu (and the activations below) propagate NaN, whatever its sign bit, as PyTorch does (torch 1.13: relu(−nan) = nan and
 * its gradient passes g). x86 makes NaNs with the sign bit set (∞ − ∞, 0 · ∞ in any kernel), and
 * tsgrad's relu, which works on the bits, once masked those to +0: a NaN vanished after a ReLU and
 * a diverging run looked finite. Checked against the rule written out here (not the kernels), for
 * float32 and float64, forward and backward, on both kernel backends, on 1 thread and over the
 * pool (its chunks run the same word kernels), for many NaN bit patterns.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { F, getBackend, setBackend, setNumThreads, tensor, type Tensor } from '../../src/index.js';
import { PARALLEL_MIN_ELEMENTS, setParallelMinElements, warmUpPool } from '../../src/tensor/parallel/pool.js';
import { makeRandom } from '../helpers/random.js';

const backendBefore = getBackend();
afterAll(() => {
  setBackend(backendBefore);
  setNumThreads(1);
  setParallelMinElements(null);
});

type FloatDtype = 'float32' | 'float64';

/** Values with NaNs of many payloads and both signs, ±0, ±∞ and ordinary numbers mixed in. */
function values(dtype: FloatDtype, size: number, seed: number): Float32Array | Float64Array {
  const rnd = makeRandom(seed);
  const out = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  const words = new Uint32Array(out.buffer);
  const perElement = dtype === 'float32' ? 1 : 2;
  for (let i = 0; i < size; i++) {
    const r = rnd();
    if (r < 0.3) {
      // A NaN: exponent all ones, a non-zero mantissa, either sign.
      const sign = rnd() < 0.5 ? 0x80000000 : 0;
      if (dtype === 'float32') {
        words[i] = (sign | 0x7f800000 | (1 + Math.floor(rnd() * 0x7fffff))) >>> 0;
      } else {
        const low = Math.floor(rnd() * 2 ** 32);
        const high = Math.floor(rnd() * 0x100000);
        words[i * perElement] = low;
        words[i * perElement + 1] = (sign | 0x7ff00000 | (low === 0 && high === 0 ? 1 : high)) >>> 0;
      }
    } else if (r < 0.4) {
      out[i] = [0, -0, Infinity, -Infinity][Math.floor(rnd() * 4)]!;
    } else {
      out[i] = rnd() * 2 - 1;
    }
  }
  // The NaN x86 makes (sign bit set, quiet, no payload), at a known place.
  if (dtype === 'float32') words[0] = 0xffc00000;
  else words[1] = 0xfff80000;
  return out;
}

/** PyTorch's relu and its gradient, element by element: NaN in → NaN out, and g passes. */
function expected(x: ArrayLike<number>, g: ArrayLike<number>): { y: number[]; dx: number[] } {
  const y: number[] = [];
  const dx: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y.push(Number.isNaN(v) ? Number.NaN : v > 0 ? v : 0);
    dx.push(Number.isNaN(v) || v > 0 ? g[i]! : 0);
  }
  return { y, dx };
}

function check(actual: ArrayLike<number>, want: number[], what: string): void {
  let wrong = 0;
  let first = '';
  for (let i = 0; i < want.length; i++) {
    const a = actual[i]!;
    const ok = Number.isNaN(want[i]!) ? Number.isNaN(a) : Object.is(a, want[i]!);
    if (!ok && wrong++ === 0) first = `element ${i}: ${a}, expected ${want[i]}`;
  }
  expect(wrong, `${what}: ${wrong} wrong, first ${first}`).toBe(0);
}

function run(dtype: FloatDtype, x: Float32Array | Float64Array, g: Float32Array | Float64Array): { y: Tensor; dx: Tensor } {
  const xt = tensor(x, { shape: [x.length], dtype, requiresGrad: true });
  const y = F.relu(xt);
  y.backward(tensor(g, { shape: [g.length], dtype }));
  return { y, dx: xt.grad! };
}

describe('relu keeps NaNs of either sign (forward) and passes the gradient through them (backward)', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const backend of ['js', 'wasm'] as const) {
      it(`${dtype}, ${backend} backend, 1 thread and over the pool`, async () => {
        setBackend(backend);
        // Ragged sizes (vector tails) and one big enough for the pool's chunks.
        for (const size of [1, 3, 17, 1001, 3 * 65536 + 5]) {
          const x = values(dtype, size, size);
          const g = Float64Array.from({ length: size }, (_, i) => 1 + (i % 7));
          const want = expected(x, g);
          for (const threads of size > PARALLEL_MIN_ELEMENTS ? [1, 2] : [1]) {
            setNumThreads(threads);
            if (threads > 1) {
              setParallelMinElements(PARALLEL_MIN_ELEMENTS);
              await warmUpPool();
            }
            const gStorage = dtype === 'float32' ? Float32Array.from(g) : g;
            const { y, dx } = run(dtype, x, gStorage);
            check(y.toArray(), want.y, `relu, size ${size}, ${threads} thread(s)`);
            check(dx.toArray(), want.dx, `relu gradient, size ${size}, ${threads} thread(s)`);
            setParallelMinElements(null);
          }
          setNumThreads(1);
        }
      });
    }
  }

  it('a NaN comes out with its own bits (the word kernels copy it)', () => {
    for (const backend of ['js', 'wasm'] as const) {
      setBackend(backend);
      const x = new Float32Array(8);
      const words = new Uint32Array(x.buffer);
      const nans = [0xffc00000, 0xff800001, 0x7fc00000, 0x7f812345, 0xffffffff, 0x7fffffff, 0xffc0beef, 0x7f800001];
      nans.forEach((w, i) => (words[i] = w));
      const y = F.relu(tensor(x, { shape: [8] })).toArray() as Float32Array;
      expect(Array.from(new Uint32Array(y.buffer, y.byteOffset, 8)), backend).toEqual(nans);
    }
  });

  it('int32 relu is max(x, 0) on every integer, NaN-like bit patterns included', () => {
    for (const backend of ['js', 'wasm'] as const) {
      setBackend(backend);
      const ints = [-1, -2147483648, 2147483647, 0, -8388609, 2139095041, -4194304, 5];
      const y = F.relu(tensor(Int32Array.from(ints), { shape: [8], dtype: 'int32' })).toArray();
      expect(Array.from(y), backend).toEqual(ints.map((v) => Math.max(v, 0)));
    }
  });
});

/**
 * The class beyond relu: activations whose backward chooses a side by comparing x. At a NaN x (of
 * either sign) every forward gives NaN, and the gradient is what torch 1.13's backward gives there
 * (run with `/usr/bin/python3`, torch 1.13.1, on [−nan, nan] with upstream 1): a test written as
 * `x ≤ bound ? … : g` passes g at NaN, one written as `bound < x < bound` passes 0.
 */
describe('activations at NaN: the forward propagates it, the gradient is torch 1.13\'s', () => {
  const cases: [string, (x: Tensor) => Tensor, number][] = [
    ['relu', (x) => F.relu(x), 1],
    ['relu6', (x) => F.relu6(x), 1],
    ['hardtanh', (x) => F.hardtanh(x), 1],
    ['elu', (x) => F.elu(x), 1],
    ['selu', (x) => F.selu(x), 1.0507009873554804934193349852946],
    ['leakyRelu', (x) => F.leakyRelu(x), 0.01],
    ['hardsigmoid', (x) => F.hardsigmoid(x), 0],
    ['clamp(0, 1)', (x) => x.clamp(0, 1), 0],
    ['abs', (x) => x.abs(), 0],
  ];
  for (const dtype of ['float32', 'float64'] as const) {
    it.each(cases)(`%s, ${dtype}`, (_name, fn, gradient) => {
      for (const backend of ['js', 'wasm'] as const) {
        setBackend(backend);
        const x = dtype === 'float32' ? new Float32Array(2) : new Float64Array(2);
        const words = new Uint32Array(x.buffer);
        if (dtype === 'float32') [words[0], words[1]] = [0xffc00000, 0x7fc00000];
        else [words[1], words[3]] = [0xfff80000, 0x7ff80000];
        const xt = tensor(x, { shape: [2], dtype, requiresGrad: true });
        const y = fn(xt);
        y.sum().backward();
        for (const v of y.toArray()) expect(Number.isNaN(v), `${backend}: forward ${v}`).toBe(true);
        const want = dtype === 'float32' ? Math.fround(gradient) : gradient;
        expect(Array.from(xt.grad!.toArray()), backend).toEqual([want, want]);
      }
    });
  }
});
