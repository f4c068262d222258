/**
 * gradcheck is itself tested: it must fail — with a readable table — on ops whose backward is
 * wrong, in full and fast mode; catch a backward that is not reproducible and one that ignores its
 * upstream gradient; refuse float32; and pass on correct ops without touching the caller's tensors.
 *
 * The broken ops are built by hand: a Tensor whose GraphNode runs a backward written here.
 */
import { describe, expect, it } from 'vitest';
import { randn, tensor } from '../../src/autograd/creation.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { isGradEnabled } from '../../src/autograd/grad-mode.js';
import { GraphNode } from '../../src/autograd/node.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { mapBinary, mapUnary } from '../../src/tensor/kernels/elementwise.js';
import type { NDArray } from '../../src/tensor/ndarray.js';
import { Generator } from '../../src/tensor/rng.js';

/** y = f(x) elementwise, with a hand-written backward `dx(g, x)` (deliberately wrong in some tests). */
function customUnary(name: string, f: (v: number) => number, dx: (g: NDArray, x: NDArray) => NDArray): (x: Tensor) => Tensor {
  return (x) => {
    const out = mapUnary(x.array, f);
    if (!isGradEnabled() || !x.requiresGrad) return new Tensor(out);
    const saved = x.array;
    const node = new GraphNode(name, [x], [true], (g) => [new Tensor(dx(g.array, saved))]);
    return new Tensor(out, { requiresGrad: true, gradFn: node });
  };
}

const goodSquare = customUnary('goodSquare', (v) => v * v, (g, x) => mapBinary(g, x, (gv, xv) => 2 * xv * gv, 'goodSquare backward'));
// The bug: the factor 2 is missing, so the analytical gradient is half the true one.
const brokenSquare = customUnary('brokenSquare', (v) => v * v, (g, x) => mapBinary(g, x, (gv, xv) => xv * gv, 'brokenSquare backward'));

const x64 = (seed: number, shape: number[]): Tensor =>
  randn(shape, { dtype: 'float64', requiresGrad: true, generator: new Generator(seed) });

/** The rows of the report's table, as cells (header first). */
function tableRows(report: string): string[][] {
  return report
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .map((line) => line.slice(2, -2).split(' | ').map((cell) => cell.trim()));
}

describe('gradcheck fails on a wrong backward, with a readable report', () => {
  it('the correct hand-made op passes (so the failures below are the bug, not the harness)', () => {
    const result = gradcheck(goodSquare, [x64(1, [3, 4])]);
    expect(result.ok, result.report).toBe(true);
    expect(result.report).toMatch(/^gradcheck passed: 144 entries compared \(full Jacobian\)/);
  });

  it('full mode: fails and reports a short table of the worst entries with analytical and numerical columns', () => {
    const x = x64(2, [3, 4]);
    const result = gradcheck(brokenSquare, [x]);
    expect(result.ok).toBe(false);
    expect(result.report).toMatch(/^gradcheck failed: \d+ of 144 entries \(full Jacobian\) exceed atol 0.00001 \+ rtol 0.001·\|numerical\|\. Worst:/);
    const [header, ...rows] = tableRows(result.report);
    expect(header).toEqual(['input', 'index', 'output', 'analytical', 'numerical', '|Δ|']);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(8);
    // Every reported entry is a diagonal one, where the broken backward gives x instead of 2x.
    const values = Array.from(x.toArray());
    for (const [input, index, output, analytical, numerical, delta] of rows) {
      expect(input).toBe('0');
      expect(output).toBe(index);
      const [i, j] = index!.slice(1, -1).split(', ').map(Number);
      const xv = values[i! * 4 + j!]!;
      expect(Number(analytical)).toBeCloseTo(xv, 5);
      expect(Number(numerical)).toBeCloseTo(2 * xv, 5);
      expect(Number(delta)).toBeCloseTo(Math.abs(xv), 5);
    }
    // The worst entry comes first: the largest |x|.
    const largest = Math.max(...values.map(Math.abs));
    expect(Number(rows[0]![5])).toBeCloseTo(largest, 5);
  });

  it('full mode shows at most reportRows rows and never a whole Jacobian', () => {
    const result = gradcheck(brokenSquare, [x64(3, [10, 10])], { fastMode: false, reportRows: 3 });
    expect(result.ok).toBe(false);
    expect(tableRows(result.report)).toHaveLength(1 + 3);
    expect(result.report.split('\n').length).toBeLessThan(10);
  });

  it('fast mode (vᵀJu) detects the same bug, one row per input', () => {
    const result = gradcheck(brokenSquare, [x64(4, [3, 4])], { fastMode: true });
    expect(result.ok).toBe(false);
    expect(result.report).toMatch(/fast mode \(vᵀJu\)/);
    const [, ...rows] = tableRows(result.report);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.slice(0, 3)).toEqual(['0', 'vᵀJu', 'all']);
  });

  it('fast mode is chosen automatically for large Jacobians, and still detects the bug', () => {
    const big = x64(5, [200]);
    const result = gradcheck((t) => brokenSquare(t).mul(t.sum()), [big]);
    expect(result.ok).toBe(false);
    expect(result.report).toMatch(/fast mode/);
    const good = gradcheck((t) => goodSquare(t).mul(t.sum()), [big]);
    expect(good.ok, good.report).toBe(true);
    expect(good.report).toMatch(/fast mode/);
  });

  it('only the input with the broken gradient is reported when there are two', () => {
    const a = x64(6, [2, 2]);
    const b = x64(7, [2, 2]);
    const result = gradcheck((p, q) => brokenSquare(q).add(p.mul(2)), [a, b]);
    expect(result.ok).toBe(false);
    const [, ...rows] = tableRows(result.report);
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(['1']));
  });
});

describe('gradcheck consistency checks', () => {
  it('a backward that is not reproducible fails "backward twice is identical", even with correct Jacobians', () => {
    let calls = 0;
    // Correct to ~1e-13 relative, but each call differs slightly from the last.
    const flaky = customUnary('flaky', (v) => v * v, (g, x) => {
      calls++;
      return mapBinary(g, x, (gv, xv) => 2 * xv * gv * (1 + calls * 1e-13), 'flaky backward');
    });
    const result = gradcheck(flaky, [x64(8, [2, 3])]);
    expect(result.ok).toBe(false);
    expect(result.report).toMatch(/^gradcheck failed: the Jacobians agree \(36 entries, full Jacobian\), but:/);
    expect(result.report).toMatch(/- backward is not reproducible: input 0 at \(\d, \d\) gave .* then /);
    expect(result.report).not.toMatch(/zero upstream/);
  });

  it('a backward that ignores its upstream gradient fails the zero-upstream check', () => {
    // The bug: returns ∂(Σx²)/∂x = 2x without multiplying by g. With a one-hot upstream (g = 1)
    // the full Jacobian is right; only a zero upstream gradient exposes it.
    const sumSquares = (x: Tensor): Tensor => {
      const out = mapUnary(x.array, (v) => v * v);
      let s = 0;
      for (const v of out.data) s += v;
      const y = tensor(s, { dtype: 'float64' });
      if (!isGradEnabled()) return y;
      const saved = x.array;
      const node = new GraphNode('ignoresG', [x], [true], () => [new Tensor(mapUnary(saved, (v) => 2 * v))]);
      return new Tensor(y.array, { requiresGrad: true, gradFn: node });
    };
    const result = gradcheck(sumSquares, [x64(9, [4])], { fastMode: false });
    expect(result.ok).toBe(false);
    expect(result.report).toMatch(/the Jacobians agree/);
    expect(result.report).toMatch(/- a zero upstream gradient gave a non-zero gradient -?\d.* for input 0 at \(\d\)/);
  });
});

describe('gradcheck input handling', () => {
  it('refuses float32 inputs with a clear error', () => {
    const x = randn([3], { requiresGrad: true });
    expect(() => gradcheck((t) => t.exp(), [x])).toThrow(/gradcheck: input 0 has dtype float32; gradcheck needs float64 inputs/);
  });

  it('refuses a float32 output', () => {
    expect(() => gradcheck((t) => t.to('float32'), [x64(10, [2])])).toThrow(/gradcheck: output 0 has dtype float32; expected float64/);
  });

  it('refuses when no input requires grad', () => {
    const x = tensor([1, 2], { dtype: 'float64' });
    expect(() => gradcheck((t) => t.exp(), [x])).toThrow(/no input has requiresGrad: true/);
  });

  it('holds inputs without requiresGrad constant and checks the others', () => {
    const a = x64(11, [3]);
    const c = tensor([1, 2, 3], { dtype: 'float64' });
    expect(gradcheck((p, q) => p.mul(q).tanh(), [a, c]).ok).toBe(true);
    const broken = gradcheck((p, q) => brokenSquare(p).mul(q), [a, c]);
    expect(broken.ok).toBe(false);
    expect(tableRows(broken.report).slice(1).every((r) => r[0] === '0')).toBe(true);
  });

  it('checks every output of a function returning several', () => {
    const x = x64(12, [2, 2]);
    expect(gradcheck((t) => [t.exp(), t.sum(0)], [x]).ok).toBe(true);
    const result = gradcheck((t) => [t.exp(), brokenSquare(t).sum(0)], [x]);
    expect(result.ok).toBe(false);
    expect(tableRows(result.report)[1]![2]).toMatch(/^out 1 \(\d\)$/);
  });

  it('does not modify the inputs or their .grad', () => {
    const x = x64(13, [2, 3]);
    const before = Array.from(x.toArray());
    gradcheck((t) => t.tanh().sum(1), [x]);
    gradcheck(brokenSquare, [x]);
    expect(Array.from(x.toArray())).toEqual(before);
    expect(x.grad).toBeNull();
  });
});
