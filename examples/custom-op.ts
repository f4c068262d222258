/**
 * Adding your own differentiable op and checking it with gradcheck — the way a researcher would
 * check an op before trusting it (and the way tsgrad's own ops are checked).
 *
 *   npx tsx examples/custom-op.ts
 *
 * softplus(x) = ln(1 + eˣ), whose derivative is σ(x) = 1 / (1 + e⁻ˣ). We write it twice: once
 * correctly, once with a deliberately wrong backward, and let gradcheck tell them apart.
 */
import { customOp, gradcheck, manualSeed, NDArray, randn } from '../src/index.js';
import { exampleFlags } from './lib/flags.js';

// No flags: anything on the command line is a mistake, said in one line.
exampleFlags('custom-op.ts', 'A custom differentiable op (softplus), checked with gradcheck.', {});

/** Applies `fn` to every element of a (possibly strided) array, giving a fresh float64-or-32 array. */
function mapValues(x: NDArray, fn: (v: number, i: number) => number): NDArray {
  const values = Float64Array.from(x.contiguous().flat(), fn);
  return new NDArray(x.dtype === 'float64' ? values : Float32Array.from(values), x.shape);
}

const softplus = customOp<NDArray>({
  name: 'softplus',
  // Stable form: ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|).
  forward: ([x]) => [mapValues(x!, (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))), x!],
  // d/dx softplus(x) = σ(x)
  backward: (g, x) => {
    const xv = x.contiguous().flat();
    return [mapValues(g, (gv, i) => gv / (1 + Math.exp(-xv[i]!)))];
  },
});

const brokenSoftplus = customOp<NDArray>({
  name: 'broken-softplus',
  forward: ([x]) => [mapValues(x!, (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))), x!],
  // Wrong on purpose: σ(x) forgotten, the gradient passed through unchanged.
  backward: (g) => [g],
});

manualSeed(0);
const x = randn([2, 3], { dtype: 'float64', requiresGrad: true });

const good = gradcheck((t) => softplus(t).mul(t).sum(1), [x]);
console.log('correct softplus:', good.report);

const bad = gradcheck((t) => brokenSoftplus(t).mul(t).sum(1), [x]);
console.log('\nbroken softplus:', bad.ok ? 'unexpectedly passed' : 'caught');
console.log(bad.report);

if (!good.ok || bad.ok) process.exit(1);
