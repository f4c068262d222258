// BKN's 'analytic' transition (docs/bkn.md and BKN.md, "Transitions"): the noise-free limit of
// 'sampled', in closed form. The previous layer's output sample u = γ·z + β is N(μ = β, σ²) per
// channel with σ = sqrt(γ² + 1e−24); its mean and variance are carried through the modules between
// the two BKN layers by moment propagation:
//   ReLU                  E = μΦ(a) + σφ(a), Var = σ²·w(a), a = μ/σ (w: the stable form below)
//   ReLU → MaxPool2d      the max of n = kH·kW i.i.d. normals, rectified, by Gauss–Legendre quadrature
//   Linear                m̃ = W·E + b, ṽ = (W⊙W)·V   (Flatten → Linear: E, V repeated over positions)
//   Conv2d                mean map M = conv(E, W, b), variance map Q = conv(V, W⊙W) (zero padding);
//                         m̃ = mean over positions of M, ṽ = mean of Q + (biased) variance of M
// All of it is made of differentiable Tensor ops in float64, so gradients reach γ, β of the
// previous layer and the weights in between; the result is one [C_k] vector (the same for every
// chunk), cast back to the layer's dtype. Other module patterns are not covered: the plan says why,
// and the layer falls back to 'sampled' (kalman.ts).
import { Tensor } from '../autograd/tensor.js';
import { ReLU } from '../nn/activation.js';
import { Conv2d } from '../nn/conv.js';
import { conv2d } from '../nn/functional.js';
import { Flatten, Identity, Linear } from '../nn/layers.js';
import { MaxPool2d } from '../nn/pooling.js';
import { mapUnary } from '../tensor/kernels/elementwise.js';
import { erfc } from '../tensor/kernels/special.js';
import { NDArray } from '../tensor/ndarray.js';
import { sizeOf } from '../tensor/shape.js';
import type { DType } from '../tensor/dtype.js';
import type { Between } from './kalman-types.js';

/** Added to γ² so that σ > 0 (a and its gradient stay finite where γ = 0). */
const SIGMA_FLOOR_SQUARED = 1e-24;
/** Gauss–Legendre nodes of the max-pool quadrature. */
const POOL_NODES = 96;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

// ---- the plan ----------------------------------------------------------------------------------

/** One covered module between two BKN layers. */
export type AnalyticStep =
  | { kind: 'relu' }
  | { kind: 'maxpool'; kernel: readonly [number, number] }
  | { kind: 'flatten' }
  | { kind: 'linear'; module: Linear }
  | { kind: 'conv'; module: Conv2d };

/**
 * The steps of the analytic transition for `between`, given the previous BKN layer's input shape
 * per sample ([C] or [C, …spatial]); or the reason the pattern is not covered (the layer then
 * falls back to 'sampled'). Covered: [ReLU] [MaxPool2d with stride = kernel, no padding, dilation 1,
 * after the ReLU] [Flatten] [Linear | Conv2d], in this order, each optional (nn.Identity anywhere).
 */
export function analyticPlan(between: Between, sourceShape: readonly number[]): { steps: AnalyticStep[] } | { reason: string } {
  if (typeof between === 'function') return { reason: 'a function as `between` (its modules cannot be inspected)' };
  const steps: AnalyticStep[] = [];
  let spatialDims = sourceShape.length - 1;
  let stage = 0; // 0: Gaussian, 1: after ReLU, 2: after the pool, 3: after Flatten, 4: after Linear/Conv2d
  let lastKind: AnalyticStep['kind'] | null = null;
  for (const m of between) {
    const name = m.constructor.name;
    const notCovered = (why: string): { reason: string } => ({ reason: `${name} ${why}` });
    if (m instanceof Identity) continue;
    if (stage === 4) return notCovered(`after ${lastKind === 'conv' ? 'Conv2d' : 'Linear'} (only a BKN layer may follow the Linear or Conv2d)`);
    if (m instanceof ReLU) {
      if (stage !== 0) return notCovered('as a second nonlinearity or after pooling/Flatten');
      steps.push({ kind: 'relu' });
      stage = 1;
    } else if (m instanceof MaxPool2d) {
      if (stage !== 1 || lastKind !== 'relu') return notCovered('not directly after the ReLU that follows the BKN layer');
      if (spatialDims !== 2) return notCovered('on an input without two spatial dims');
      const kernel = pairOf(m.kernelSize);
      const o = m.options;
      const stride = o.stride === undefined ? kernel : pairOf(o.stride);
      const padding = pairOf(o.padding ?? 0);
      const dilation = pairOf(o.dilation ?? 1);
      if (stride[0] !== kernel[0] || stride[1] !== kernel[1] || padding[0] !== 0 || padding[1] !== 0 || dilation[0] !== 1 || dilation[1] !== 1 || o.ceilMode === true) {
        return notCovered('with overlapping or padded windows (covered: stride = kernel size, no padding, dilation 1, no ceilMode)');
      }
      steps.push({ kind: 'maxpool', kernel });
      stage = 2;
    } else if (m instanceof Flatten) {
      if (m.startDim !== 1 || (m.endDim !== -1 && m.endDim !== spatialDims)) return notCovered(`(${m.startDim}, ${m.endDim}) other than flattening all dims after the batch`);
      steps.push({ kind: 'flatten' });
      spatialDims = 0;
      stage = 3;
    } else if (m instanceof Linear) {
      if (spatialDims !== 0) return notCovered('on an input with spatial dims (Linear acts on the last dim; flatten first)');
      steps.push({ kind: 'linear', module: m });
      stage = 4;
    } else if (m instanceof Conv2d) {
      if (spatialDims !== 2) return notCovered('on an input without two spatial dims');
      steps.push({ kind: 'conv', module: m });
      stage = 4;
    } else {
      return { reason: `${name} (covered between two BKN layers: ReLU, MaxPool2d with disjoint windows after the ReLU, Flatten, one Linear or Conv2d, Identity)` };
    }
    lastKind = steps[steps.length - 1]!.kind;
  }
  return { steps };
}

function pairOf(p: number | readonly number[]): [number, number] {
  return typeof p === 'number' ? [p, p] : [p[0]!, p[1]!];
}

// ---- the propagation ---------------------------------------------------------------------------

/** Per-feature moments of the values flowing between the two BKN layers. */
interface Moments {
  mean: Tensor;
  variance: Tensor;
  /** Spatial dims per sample ([] for [N, F]). */
  spatial: number[];
}

/**
 * The analytic prediction (m̃, ṽ), shape [C_k] each, in `dtype`: the previous layer's γ, β (null
 * without affine) propagated through `steps` from the source shape [C, …spatial].
 */
export function analyticMoments(steps: readonly AnalyticStep[], gamma: Tensor | null, beta: Tensor | null, sourceShape: readonly number[], dtype: DType): { mean: Tensor; var: Tensor } {
  const c = sourceShape[0]!;
  const mu = beta === null ? constant(new Float64Array(c), [c]) : beta.to('float64');
  const gammaSquared = gamma === null ? constant(new Float64Array(c).fill(1), [c]) : gamma.to('float64').square();
  const sigmaSquared = gammaSquared.add(SIGMA_FLOOR_SQUARED);
  const sigma = sigmaSquared.sqrt();
  const a = mu.div(sigma);
  let state: Moments = { mean: mu, variance: sigmaSquared, spatial: sourceShape.slice(1) };
  for (const step of steps) {
    switch (step.kind) {
      case 'relu': {
        // E = μΦ(a) + σφ(a) = σ·(aΦ(a) + φ(a)),  Var = σ²·w(a)
        const rectified = rectifiedMoments(a);
        state = { ...state, mean: sigma.mul(rectified.mean), variance: sigmaSquared.mul(rectified.variance) };
        break;
      }
      case 'maxpool': {
        const [kh, kw] = step.kernel;
        const pooled = rectifiedMaxMoments(a, kh * kw);
        const [h, w] = state.spatial as [number, number];
        state = { mean: sigma.mul(pooled.mean), variance: sigmaSquared.mul(pooled.variance), spatial: [Math.floor(h / kh), Math.floor(w / kw)] };
        break;
      }
      case 'flatten': {
        // Feature c·P + p of [N, C·P] is channel c at position p: the channel's moments, repeated.
        const positions = sizeOf(state.spatial);
        const repeat = (t: Tensor): Tensor => t.reshape([c, 1]).expand([c, positions]).reshape([c * positions]);
        state = { mean: repeat(state.mean), variance: repeat(state.variance), spatial: [] };
        break;
      }
      case 'linear': {
        // Independent inputs: m̃ = W·E + b, ṽ = (W⊙W)·V
        const w = step.module.weight.to('float64');
        let mean = state.mean.reshape([1, -1]).matmul(w.transpose(0, 1));
        if (step.module.bias !== null) mean = mean.add(step.module.bias.to('float64'));
        const variance = state.variance.reshape([1, -1]).matmul(w.square().transpose(0, 1));
        state = { mean: mean.reshape([-1]), variance: variance.reshape([-1]), spatial: [] };
        break;
      }
      case 'conv': {
        const conv = step.module;
        const options = { stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups };
        const w = conv.weight.to('float64');
        const b = conv.bias === null ? null : conv.bias.to('float64');
        const [h, wd] = state.spatial as [number, number];
        const channels = state.mean.shape[0]!;
        const map = (t: Tensor): Tensor => t.reshape([1, channels, 1, 1]).expand([1, channels, h, wd]).contiguous();
        // Zero padding contributes 0 to both maps; border positions get different means.
        const meanMap = conv2d(map(state.mean), w, b, options);
        const varMap = conv2d(map(state.variance), w.square(), null, options);
        const dims = [0, 2, 3];
        const mean = meanMap.mean(dims);
        const variance = varMap.mean(dims).add(meanMap.var(dims, { unbiased: false }));
        state = { mean, variance, spatial: [] };
        break;
      }
    }
  }
  return { mean: state.mean.to(dtype), var: state.variance.to(dtype) };
}

function constant(values: Float64Array, shape: readonly number[]): Tensor {
  return new Tensor(new NDArray(values, shape));
}

// ---- the normal distribution -------------------------------------------------------------------

/**
 * Φ(x) = ½·erfc(−x/√2), the standard normal CDF, for a float64 tensor: the value from the scalar
 * erfc (accurate in the far left tail, where ½·(1 + erf) cancels), the gradient (φ, and higher
 * orders) through ½·(1 + erf(x/√2)) — its value is added and subtracted, which is exactly 0.
 */
export function normalCdf(x: Tensor): Tensor {
  const viaErf = x.mul(Math.SQRT1_2).erf().add(1).mul(0.5);
  const accurate = new Tensor(mapUnary(x.array, (v) => 0.5 * erfc(-v * Math.SQRT1_2)));
  return viaErf.sub(viaErf.detach()).add(accurate);
}

/** φ(x) = exp(−x²/2)/√(2π), the standard normal density. */
export function normalPdf(x: Tensor): Tensor {
  return x.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
}

/**
 * Mean and variance of max(t + Z, 0) for Z ~ N(0, 1): the mean m(t) = tΦ(t) + φ(t) and
 * w(t) = (t² + 1)Φ(t) + tφ(t) − (tΦ(t) + φ(t))² for t < 0; for t ≥ 0 the same values without the
 * cancellation at large t, m(t) = t + m(−t) and w(t) = 1 − 2Φ(−t) + w(−t). Both are evaluated at
 * u = −|t| ≤ 0 (one Φ and one φ for both), so no branch is evaluated where it would cancel or
 * overflow. The select is a where-style mask: u = ±t by the sign of t, the reflection terms times
 * [t ≥ 0]; the masks are constants and both branches finite, so the gradient is the selected
 * branch's, with the right sign on each side (also at t = 0, where |t| would have none).
 */
export function rectifiedMoments(t: Tensor): { mean: Tensor; variance: Tensor } {
  const values = t.array.contiguous().flat();
  const sign = new Float64Array(values.length);
  const nonNegative = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    sign[i] = values[i]! < 0 ? 1 : -1;
    nonNegative[i] = values[i]! < 0 ? 0 : 1;
  }
  const mask = constant(nonNegative, t.shape);
  const u = t.mul(constant(sign, t.shape));
  const cdf = normalCdf(u);
  const pdf = normalPdf(u);
  const firstMoment = u.mul(cdf).add(pdf);
  const left = u.square().add(1).mul(cdf).add(u.mul(pdf)).sub(firstMoment.square());
  return {
    mean: firstMoment.add(t.mul(mask)),
    variance: left.add(cdf.mul(-2).add(1).mul(mask)),
  };
}

/** w(t) = Var(max(t + Z, 0)), Z ~ N(0, 1) (see `rectifiedMoments`). */
export function reluVarianceFactor(t: Tensor): Tensor {
  return rectifiedMoments(t).variance;
}

/**
 * Mean and variance of max(a + Z₍ₙ₎, 0), Z₍ₙ₎ the max of n standard normals (density nΦⁿ⁻¹φ), by
 * 96-node Gauss–Legendre quadrature on [lo, hi], lo = max(−a, −6) (the kink), hi = max(lo, 0) + 10:
 * J0 = ∫fₙ, J1 = ∫(z − lo)fₙ, g1 = J1 + (a + lo)J0, c = −lo − J1; E = g1,
 * Var = Φ(−a)ⁿ·g1² + ∫(z + c)²fₙ. `a` is [C]; the results are [C] (in units of σ).
 */
export function rectifiedMaxMoments(a: Tensor, n: number): { mean: Tensor; variance: Tensor } {
  const rule = gaussLegendre(POOL_NODES);
  const nodes = constant(rule.nodes, [1, POOL_NODES]);
  const weights = constant(rule.weights, [1, POOL_NODES]);
  const a2 = a.reshape([-1, 1]);
  const lo = a2.neg().maximum(-6);
  const hi = lo.maximum(0).add(10);
  const half = hi.sub(lo).mul(0.5);
  const z = lo.add(half.mul(nodes.add(1)));
  const pdf = normalPdf(z);
  const density = n === 1 ? pdf : normalCdf(z).pow(n - 1).mul(pdf).mul(n);
  const integrate = (f: Tensor): Tensor => f.mul(weights).sum(1, true).mul(half);
  const j0 = integrate(density);
  const j1 = integrate(z.sub(lo).mul(density));
  const g1 = j1.add(a2.add(lo).mul(j0));
  const c = lo.neg().sub(j1);
  const spread = integrate(z.add(c).square().mul(density));
  const zeroMass = normalCdf(a2.neg()).pow(n);
  return { mean: g1.reshape([-1]), variance: zeroMass.mul(g1.square()).add(spread).reshape([-1]) };
}

// ---- Gauss–Legendre quadrature -----------------------------------------------------------------

const ruleCache = new Map<number, { nodes: Float64Array; weights: Float64Array }>();

/**
 * The n-node Gauss–Legendre rule on [−1, 1] (exact for polynomials of degree ≤ 2n − 1), in float64:
 * the roots of the Legendre polynomial Pₙ by Newton's method from Tricomi's starting points, the
 * weights 2 / ((1 − x²)·Pₙ′(x)²). Computed once per n.
 */
export function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  if (!Number.isInteger(n) || n < 1) throw new Error(`gaussLegendre: the number of nodes must be an integer ≥ 1, got ${n}`);
  const cached = ruleCache.get(n);
  if (cached !== undefined) return cached;
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 0;
    for (let iter = 0; iter < 100; iter++) {
      // P₀ … Pₙ at x by the three-term recurrence; Pₙ′ = n·(x·Pₙ − Pₙ₋₁)/(x² − 1).
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? x : p1;
      const pPrev = n === 1 ? 1 : p0;
      derivative = (n * (x * pn - pPrev)) / (x * x - 1);
      const step = pn / derivative;
      x -= step;
      if (Math.abs(step) < 1e-16) break;
    }
    const weight = 2 / ((1 - x * x) * derivative * derivative);
    // Ascending order, symmetric about 0.
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = weight;
    weights[n - 1 - i] = weight;
  }
  if (n % 2 === 1) nodes[(n - 1) / 2] = 0;
  const rule = { nodes, weights };
  ruleCache.set(n, rule);
  return rule;
}
