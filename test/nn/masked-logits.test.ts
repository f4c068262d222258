// Masked logits (−∞ entries, as attention masks and invalid-action masks make) through every
// softmax-family composite: softmax, logSoftmax, nllLoss and crossEntropy (with class weights,
// ignoreIndex, label smoothing and every reduction). PyTorch gives finite losses and gradients
// (0 for a masked non-target logit) as long as a row keeps one finite entry; the old composite
// nllLoss multiplied logp = −∞ by a 0 coefficient and returned NaN. The expected values are computed
// here by hand in float64, from the formulas, independently of tsgrad's composites.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, tensor, type Tensor } from '../../src/index.js';

/** A logits array [N, C, inner] (row-major) with some entries −∞, never a whole (n, ·, s) row. */
interface MaskedCase {
  n: number;
  c: number;
  inner: number;
  values: number[];
  /** Upstream gradient values for outputs shaped like the logits. */
  upstream: number[];
  targets: number[];
  weights: number[];
}

const maskedCase: fc.Arbitrary<MaskedCase> = fc
  .record({ n: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 2, max: 5 }), inner: fc.integer({ min: 1, max: 3 }) })
  .chain(({ n, c, inner }) => {
    const size = n * c * inner;
    return fc.record({
      n: fc.constant(n),
      c: fc.constant(c),
      inner: fc.constant(inner),
      values: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: size, maxLength: size }),
      masked: fc.array(fc.boolean(), { minLength: size, maxLength: size }),
      upstream: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: size, maxLength: size }),
      targets: fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n * inner, maxLength: n * inner }),
      weights: fc.array(fc.double({ min: 0.25, max: 2, noNaN: true }), { minLength: c, maxLength: c }),
    });
  })
  .map(({ n, c, inner, values, masked, upstream, targets, weights }) => {
    const out = values.map((v, i) => (masked[i] ? -Infinity : v));
    // Unmask the row's first entry when every entry of a row is masked.
    for (let b = 0; b < n; b++) {
      for (let s = 0; s < inner; s++) {
        let finite = false;
        for (let k = 0; k < c; k++) finite ||= out[(b * c + k) * inner + s] !== -Infinity;
        if (!finite) out[b * c * inner + s] = values[b * c * inner + s]!;
      }
    }
    return { n, c, inner, values: out, upstream, targets, weights };
  })
  .filter((m) => m.values.includes(-Infinity));

/** softmax probabilities and log-probabilities along C, by hand: exp(−∞) = 0, log-prob −∞. */
function referenceSoftmax(m: MaskedCase): { p: number[]; logp: number[] } {
  const p = new Array<number>(m.values.length).fill(0);
  const logp = new Array<number>(m.values.length).fill(0);
  for (let b = 0; b < m.n; b++) {
    for (let s = 0; s < m.inner; s++) {
      const at = (k: number): number => (b * m.c + k) * m.inner + s;
      let max = -Infinity;
      for (let k = 0; k < m.c; k++) max = Math.max(max, m.values[at(k)]!);
      let sum = 0;
      for (let k = 0; k < m.c; k++) if (m.values[at(k)] !== -Infinity) sum += Math.exp(m.values[at(k)]! - max);
      for (let k = 0; k < m.c; k++) {
        const v = m.values[at(k)]!;
        p[at(k)] = v === -Infinity ? 0 : Math.exp(v - max) / sum;
        logp[at(k)] = v === -Infinity ? -Infinity : v - max - Math.log(sum);
      }
    }
  }
  return { p, logp };
}

/** Fails unless every value is close to the reference: infinities equal, no NaN anywhere. */
function expectClose(actual: ArrayLike<number>, expected: readonly number[], label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a)) throw new Error(`${label}: value ${i} is NaN, expected ${e}`);
    if (!Number.isFinite(e)) {
      if (a !== e) throw new Error(`${label}: value ${i} is ${a}, expected ${e}`);
    } else if (Math.abs(a - e) > 1e-9 * (1 + Math.abs(e))) {
      throw new Error(`${label}: value ${i} is ${a}, expected ${e}`);
    }
  }
}

function logitsTensor(m: MaskedCase, requiresGrad: boolean): Tensor {
  return tensor(Float64Array.from(m.values), { shape: m.inner === 1 ? [m.n, m.c] : [m.n, m.c, m.inner], requiresGrad });
}

function targetsTensor(m: MaskedCase): Tensor {
  return tensor(Float64Array.from(m.targets), { shape: m.inner === 1 ? [m.n] : [m.n, m.inner] });
}

/** The loss options drawn per case. */
interface LossSetup {
  reduction: 'mean' | 'sum' | 'none';
  weighted: boolean;
  /** Targets at these flat positions are replaced by ignoreIndex (−100). */
  ignoreMask: boolean[];
  labelSmoothing: number;
}

const lossSetup: fc.Arbitrary<LossSetup> = fc.record({
  reduction: fc.constantFrom('mean' as const, 'sum' as const, 'none' as const),
  weighted: fc.boolean(),
  ignoreMask: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  labelSmoothing: fc.constantFrom(0, 0, 0.1, 0.3),
});

/**
 * The class weights (all 1 without `weighted`) and the divisors of 'mean': Σ w[y_t] over the kept
 * targets for the nll part; the same for the smoothing part with weights, else the kept count.
 */
function lossTerms(m: MaskedCase, setup: LossSetup, targets: number[]): { w: number[]; nllDivisor: number; smoothDivisor: number } {
  const w = setup.weighted ? m.weights : m.weights.map(() => 1);
  let weightSum = 0;
  let kept = 0;
  for (const y of targets) if (y !== -100) { weightSum += w[y]!; kept++; }
  const mean = setup.reduction === 'mean';
  return { w, nllDivisor: mean ? weightSum : 1, smoothDivisor: mean ? (setup.weighted ? weightSum : kept) : 1 };
}

/**
 * crossEntropy by hand: per target t, nll_t = −w[y]·logp[y], smooth_t = −Σ_c w[c]·logp[c] (both 0
 * when ignored), loss_t = (1 − ε)·nll_t + ε/C·smooth_t, with 'mean' dividing nll by Σ w[y_t] and
 * smooth by the same (or by the count without weights); and the gradient of Σ loss·G (or the
 * reduced loss) with respect to the logits: Σ_c coef_c·(p − e_c) over the terms.
 */
function referenceCrossEntropy(m: MaskedCase, setup: LossSetup, targets: number[]): { loss: number[]; grad: number[] } {
  const { p, logp } = referenceSoftmax(m);
  const { w, nllDivisor, smoothDivisor } = lossTerms(m, setup, targets);
  const eps = setup.labelSmoothing;
  const count = targets.length;
  const perTarget = new Array<number>(count).fill(0);
  const grad = new Array<number>(m.values.length).fill(0);
  for (let t = 0; t < count; t++) {
    const y = targets[t]!;
    if (y === -100) continue;
    const b = Math.floor(t / m.inner);
    const s = t % m.inner;
    const at = (k: number): number => (b * m.c + k) * m.inner + s;
    // The upstream gradient reaching loss_t.
    const up = setup.reduction === 'none' ? m.upstream[t]! : m.upstream[0]!;
    const nll = -w[y]! * logp[at(y)]!;
    let smooth = 0;
    for (let k = 0; k < m.c; k++) smooth -= w[k]! * logp[at(k)]!;
    perTarget[t] = ((1 - eps) * nll) / nllDivisor + (eps / m.c) * (eps === 0 ? 0 : smooth / smoothDivisor);
    // d(−w·logp_y)/dx_k = w·(p_k − [k = y]); d(smooth)/dx_k = −w_k + p_k·Σ_j w_j.
    let wSum = 0;
    for (let k = 0; k < m.c; k++) wSum += w[k]!;
    for (let k = 0; k < m.c; k++) {
      const dNll = w[y]! * (p[at(k)]! - (k === y ? 1 : 0));
      const dSmooth = -w[k]! + p[at(k)]! * wSum;
      grad[at(k)] = up * (((1 - eps) * dNll) / nllDivisor + (eps === 0 ? 0 : ((eps / m.c) * dSmooth) / smoothDivisor));
    }
  }
  if (setup.reduction === 'none') return { loss: perTarget, grad };
  let total = 0;
  for (const v of perTarget) total += v;
  return { loss: [total], grad };
}

describe('softmax-family composites on −∞-masked logits match hand-computed references', () => {
  it('softmax and logSoftmax along any dim: forward, and the gradient of Σ out·G', () => {
    fc.assert(
      fc.property(maskedCase, (m) => {
        const { p, logp } = referenceSoftmax(m);
        // d softmax: p_c·(G_c − Σ_j G_j p_j); d logSoftmax: G_c − p_c·Σ_j G_j.
        const dSoftmax = new Array<number>(m.values.length).fill(0);
        const dLogSoftmax = new Array<number>(m.values.length).fill(0);
        for (let b = 0; b < m.n; b++) {
          for (let s = 0; s < m.inner; s++) {
            const at = (k: number): number => (b * m.c + k) * m.inner + s;
            let gp = 0;
            let g = 0;
            for (let k = 0; k < m.c; k++) { gp += m.upstream[at(k)]! * p[at(k)]!; g += m.upstream[at(k)]!; }
            for (let k = 0; k < m.c; k++) {
              dSoftmax[at(k)] = p[at(k)]! * (m.upstream[at(k)]! - gp);
              dLogSoftmax[at(k)] = m.upstream[at(k)]! - p[at(k)]! * g;
            }
          }
        }
        const cases = [
          { name: 'softmax', fn: F.softmax, out: p, grad: dSoftmax },
          { name: 'logSoftmax', fn: F.logSoftmax, out: logp, grad: dLogSoftmax },
        ];
        for (const { name, fn, out, grad } of cases) {
          // The classes dim given as 1 and as a negative dim; the classes dim moved to the end too.
          for (const last of [false, true]) {
            const x = logitsTensor(m, true);
            const shape = x.shape;
            const input = last ? x.transpose(1, shape.length - 1) : x;
            const dim = last ? -1 : 1 - shape.length;
            const y = fn(input, dim);
            const yBack = last ? y.transpose(1, shape.length - 1) : y;
            expectClose(yBack.contiguous().toArray(), out, `${name} forward (classes ${last ? 'last' : 'dim 1'})`);
            yBack.mul(tensor(Float64Array.from(m.upstream), { shape })).sum().backward();
            expectClose(x.grad!.toArray(), grad, `${name} gradient (classes ${last ? 'last' : 'dim 1'})`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('crossEntropy and nllLoss(logSoftmax): every reduction, class weights, ignoreIndex, label smoothing', () => {
    fc.assert(
      fc.property(maskedCase, lossSetup, (m, setup) => {
        const targets = m.targets.map((y, t) => (setup.ignoreMask[t % 12] ? -100 : y));
        const ref = referenceCrossEntropy(m, setup, targets);
        const weight = setup.weighted ? tensor(Float64Array.from(m.weights)) : null;
        const targetTensor = tensor(Float64Array.from(targets), { shape: targetsTensor(m).shape });
        const upstreamShape = setup.reduction === 'none' ? targetTensor.shape : [];
        const upstream = tensor(Float64Array.from(m.upstream.slice(0, setup.reduction === 'none' ? targets.length : 1)), { shape: upstreamShape });
        const runs: { name: string; loss: (x: Tensor) => Tensor }[] = [
          { name: 'crossEntropy', loss: (x) => F.crossEntropy(x, targetTensor, { reduction: setup.reduction, weight, labelSmoothing: setup.labelSmoothing }) },
        ];
        if (setup.labelSmoothing === 0) {
          runs.push({ name: 'nllLoss(logSoftmax)', loss: (x) => F.nllLoss(F.logSoftmax(x, 1), targetTensor, { reduction: setup.reduction, weight }) });
        }
        for (const { name, loss } of runs) {
          const x = logitsTensor(m, true);
          const out = loss(x);
          // 'mean' with every target ignored is 0/0 = NaN, as PyTorch: checked elsewhere.
          if (setup.reduction === 'mean' && targets.every((y) => y === -100)) continue;
          expectClose(out.toArray(), ref.loss, `${name} forward (${JSON.stringify(setup)})`);
          out.backward(upstream);
          expectClose(x.grad!.toArray(), ref.grad, `${name} gradient (${JSON.stringify(setup)})`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('crossEntropy twice differentiated (createGraph): Hessian-vector products, 0 at masked logits', () => {
    fc.assert(
      fc.property(maskedCase, lossSetup, (m, setup) => {
        const targets = m.targets.map((y, t) => (setup.ignoreMask[t % 12] ? -100 : y));
        if (setup.reduction === 'mean' && targets.every((y) => y === -100)) return;
        const { p } = referenceSoftmax(m);
        const { w, nllDivisor, smoothDivisor } = lossTerms(m, setup, targets);
        const eps = setup.labelSmoothing;
        const wSum = w.reduce((a, b) => a + b, 0);
        // Both parts of loss_t have the Hessian factor·(diag(p) − p·pᵀ) in the logits of row t, so
        // (H·v)_k = factor·p_k·(v_k − Σ_j p_j·v_j), with v = the upstream values reused.
        const hv = new Array<number>(m.values.length).fill(0);
        targets.forEach((y, t) => {
          if (y === -100) return;
          const b = Math.floor(t / m.inner);
          const s = t % m.inner;
          const at = (k: number): number => (b * m.c + k) * m.inner + s;
          const factor = ((1 - eps) * w[y]!) / nllDivisor + (eps === 0 ? 0 : ((eps / m.c) * wSum) / smoothDivisor);
          let pv = 0;
          for (let k = 0; k < m.c; k++) pv += p[at(k)]! * m.upstream[at(k)]!;
          for (let k = 0; k < m.c; k++) hv[at(k)] = factor * p[at(k)]! * (m.upstream[at(k)]! - pv);
        });
        const x = logitsTensor(m, true);
        const weight = setup.weighted ? tensor(Float64Array.from(m.weights)) : null;
        const targetTensor = tensor(Float64Array.from(targets), { shape: targetsTensor(m).shape });
        const loss = F.crossEntropy(x, targetTensor, { reduction: setup.reduction, weight, labelSmoothing: eps });
        (setup.reduction === 'none' ? loss.sum() : loss).backward(undefined, { createGraph: true });
        const g = x.grad!;
        x.grad = null;
        g.mul(tensor(Float64Array.from(m.upstream), { shape: x.shape })).sum().backward();
        expectClose(x.grad!.toArray(), hv, `crossEntropy Hessian-vector product (${JSON.stringify(setup)})`);
      }),
      { numRuns: 100 },
    );
  });

  it('nllLoss on log-probabilities with −∞ entries: −w[y]·logp[y], gradient −w[y] at the target and 0 elsewhere', () => {
    fc.assert(
      fc.property(maskedCase, (m) => {
        const targets = m.targets;
        const logp = logitsTensor(m, true);
        const loss = F.nllLoss(logp, targetsTensor(m), { reduction: 'sum', weight: tensor(Float64Array.from(m.weights)) });
        let expected = 0;
        const grad = new Array<number>(m.values.length).fill(0);
        targets.forEach((y, t) => {
          const at = (Math.floor(t / m.inner) * m.c + y) * m.inner + (t % m.inner);
          expected -= m.weights[y]! * m.values[at]!;
          grad[at] = -m.weights[y]!;
        });
        expectClose(loss.toArray(), [expected], 'nllLoss forward');
        loss.backward();
        expectClose(logp.grad!.toArray(), grad, 'nllLoss gradient');
      }),
      { numRuns: 100 },
    );
  });
});

describe('masked logits: the issue 11 repro and the float32 path', () => {
  it('crossEntropy([[0, −∞, 1]], [0]) is 1.3133 (PyTorch 1.13), with gradient [p0 − 1, 0, p2]', () => {
    const x = tensor([[0, -Infinity, 1]], { dtype: 'float64', requiresGrad: true });
    const loss = F.crossEntropy(x, [0]);
    // log(1 + e) = 1.3132616875182228
    expect(loss.item()).toBeCloseTo(Math.log(1 + Math.E), 14);
    loss.backward();
    const p0 = 1 / (1 + Math.E);
    expectClose(x.grad!.toArray(), [p0 - 1, 0, 1 - p0], 'gradient');
  });

  it('float32 gives finite losses and gradients too', () => {
    const x = tensor([[0, -Infinity, 1], [-Infinity, 2, -Infinity]], { requiresGrad: true });
    const loss = F.crossEntropy(x, [2, 1], { labelSmoothing: 0, reduction: 'sum' });
    expect(Number.isFinite(loss.item())).toBe(true);
    loss.backward();
    expect(Array.from(x.grad!.toArray()).every(Number.isFinite)).toBe(true);
  });

  it('a +∞ logit makes its row NaN, as PyTorch (∞ − ∞ in the shift by the max)', () => {
    const y = F.softmax(tensor([[0, Infinity, 1], [0, 1, 2]], { dtype: 'float64' }), 1).toArray();
    expect(Array.from(y.slice(0, 3)).every(Number.isNaN)).toBe(true);
    expect(Array.from(y.slice(3)).every(Number.isFinite)).toBe(true);
  });
});
