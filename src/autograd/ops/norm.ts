// Fused normalization primitives (BatchNorm family, GroupNorm, LayerNorm, InstanceNorm, Batch Kalman
// Normalization). Each views its contiguous input through a NormLayout ([chunks, samples, channels,
// positions], see kernels/norm.ts) and runs the per-channel reductions there. Their composites —
// the same math from add/mul/sum/pow — live in src/norm/composite.ts and are the test oracle.
import {
  invStd, momentsBackward, normBackwardInput, normBackwardSums, normForward, normMoments, layoutSize, type NormLayout,
} from '../../tensor/kernels/norm.js';
import { NDArray } from '../../tensor/ndarray.js';
import { shapeString } from '../../tensor/shape.js';
import { applyOp } from '../apply.js';
import { runBackward } from '../engine.js';
import type { BackwardContext, OpTable } from '../op.js';
import { Tensor } from '../tensor.js';
import { momentsComposite, normalizeWithComposite } from './norm-composite.js';

type NormOps = Pick<OpTable, 'normalize' | 'normalizeWith' | 'normMoments'>;

function checkLayout(x: NDArray, layout: NormLayout, op: string): void {
  if (layoutSize(layout) !== x.size || layout.positions % layout.affineSpan !== 0) {
    throw new Error(`${op}: layout ${JSON.stringify(layout)} does not cover the input of shape ${shapeString(x.shape)}`);
  }
}

function checkAffine(weight: NDArray | undefined, bias: NDArray | undefined, layout: NormLayout, op: string): void {
  const want = layout.channels * layout.affineSpan;
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t !== undefined && t.size !== want) {
      throw new Error(`${op}: ${name} has shape ${shapeString(t.shape)} (${t.size} elements), expected ${want} elements`);
    }
  }
}

/** A fresh array of `like`'s dtype holding `values`. */
function arrayOf(values: ArrayLike<number>, shape: readonly number[], like: NDArray): NDArray {
  const data = like.dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
  return new NDArray(data, [...shape]);
}

function flatOrNull(t: NDArray | null): ArrayLike<number> | null {
  return t === null ? null : t.flat();
}

export const normOps: NormOps = {
  // y = γ·(x − μ)·invstd + β with μ and invstd given in args (computed by the caller from x when
  // batchStats, else constants such as running statistics). Inputs: [x] or [x, γ, β].
  normalize: {
    forward: (inputs, { layout, mean, invstd }) => {
      const x = inputs[0]!.contiguous();
      checkLayout(x, layout, 'normalize');
      const weight = inputs[1] === undefined ? null : inputs[1].contiguous();
      const bias = inputs[2] === undefined ? null : inputs[2].contiguous();
      checkAffine(inputs[1], inputs[2], layout, 'normalize');
      const y = normForward(x.data, x.offset, layout, mean, invstd, flatOrNull(weight), flatOrNull(bias));
      return [new NDArray(y, [...x.shape]), { x, weight }];
    },
    // h = g·γ.  batch stats: dx = invstd·(h − mean(h) − x̂·mean(h·x̂));  fixed stats: dx = invstd·h;
    // dγ = Σ g·x̂;  dβ = Σ g (over chunks, samples and positions).
    // Recorded (createGraph): the same gradients from the composite, so they differentiate again.
    backward: (g, ctx) => {
      const { saved: { x, weight }, needsGrad, args: { layout, mean, invstd, batchStats, eps } } = ctx;
      if (ctx.createGraph) {
        return viaComposite(g, ctx, ([xt, w, b]) => {
          if (batchStats) {
            const moments = momentsComposite(xt!, layout);
            return normalizeWithComposite(xt!, moments.mean, moments.variance, layout, eps, w ?? null, b ?? null);
          }
          return normalizeFixedComposite(xt!, layout, mean, invstd, w ?? null, b ?? null);
        });
      }
      const gc = g.array.contiguous();
      const w = flatOrNull(weight);
      const sums = normBackwardSums(gc.data, gc.offset, x.data, x.offset, layout, mean, invstd, w);
      const dx = needsGrad[0]
        ? new NDArray(normBackwardInput(gc.data, gc.offset, x.data, x.offset, layout, mean, invstd, w, batchStats ? sums : null), [...x.shape])
        : null;
      const affineShape = weight === null ? [0] : weight.shape;
      return [
        wrap(dx),
        needsGrad[1] && weight !== null ? wrap(arrayOf(sums.sumGXhat, affineShape, weight)) : null,
        needsGrad[2] && weight !== null ? wrap(arrayOf(sums.sumG, affineShape, weight)) : null,
      ].slice(0, ctx.inputs.length);
    },
    saves: { inputs: true },
    freshGradients: true,
  },
  // y = γ·(x − m)/sqrt(v + eps) + β where m and v are inputs (shape: one value per (chunk, channel)),
  // so gradients flow to them: Batch Kalman Normalization's corrected estimate. Inputs: [x, m, v]
  // or [x, m, v, γ, β].
  normalizeWith: {
    forward: (inputs, { layout, eps }) => {
      const x = inputs[0]!.contiguous();
      checkLayout(x, layout, 'normalizeWith');
      const m = inputs[1]!;
      const v = inputs[2]!;
      const stats = layout.chunks * layout.channels;
      if (m.size !== stats || v.size !== stats) {
        throw new Error(`normalizeWith: mean ${shapeString(m.shape)} and var ${shapeString(v.shape)} must have ${stats} elements (chunks × channels)`);
      }
      checkAffine(inputs[3], inputs[4], layout, 'normalizeWith');
      const mean = Float64Array.from(m.flat());
      const invstd = invStd(v.flat(), eps);
      const weight = inputs[3] === undefined ? null : inputs[3].contiguous();
      const bias = inputs[4] === undefined ? null : inputs[4].contiguous();
      const y = normForward(x.data, x.offset, layout, mean, invstd, flatOrNull(weight), flatOrNull(bias));
      return [new NDArray(y, [...x.shape]), { x, mean, invstd, weight, statShape: m.shape }];
    },
    // h = g·γ.  dx = invstd·h (m and v are separate inputs);  dm = −invstd·Σh;
    // dv = −½·invstd²·Σ h·x̂ (since ∂x̂/∂v = −½·x̂·invstd²);  dγ = Σ g·x̂;  dβ = Σ g.
    // Recorded (createGraph): the same gradients from the composite, so they differentiate again.
    backward: (g, ctx) => {
      const { saved: { x, mean, invstd, weight, statShape }, needsGrad, args: { layout, eps } } = ctx;
      if (ctx.createGraph) {
        return viaComposite(g, ctx, ([xt, m, v, w, b]) => normalizeWithComposite(xt!, m!, v!, layout, eps, w ?? null, b ?? null));
      }
      const gc = g.array.contiguous();
      const w = flatOrNull(weight);
      const sums = normBackwardSums(gc.data, gc.offset, x.data, x.offset, layout, mean, invstd, w);
      const make = (values: ArrayLike<number>, shape: readonly number[]): NDArray => arrayOf(values, shape, x);
      const dm = needsGrad[1] ? make(sums.sumGW.map((s, i) => -invstd[i]! * s), statShape) : null;
      const dv = needsGrad[2] ? make(sums.sumGWXhat.map((s, i) => -0.5 * invstd[i]! * invstd[i]! * s), statShape) : null;
      const affineShape = weight === null ? [0] : weight.shape;
      return [
        needsGrad[0] ? wrap(new NDArray(normBackwardInput(gc.data, gc.offset, x.data, x.offset, layout, mean, invstd, w, null), [...x.shape])) : null,
        wrap(dm),
        wrap(dv),
        needsGrad[3] && weight !== null ? wrap(arrayOf(sums.sumGXhat, affineShape, weight)) : null,
        needsGrad[4] && weight !== null ? wrap(arrayOf(sums.sumG, affineShape, weight)) : null,
      ].slice(0, ctx.inputs.length);
    },
    saves: { inputs: true },
    freshGradients: true,
  },
  // The observation of a normalization: [2, chunks, channels] = (mean, biased variance) per
  // (chunk, channel) over samples and positions.
  normMoments: {
    forward: ([input], { layout }) => {
      const x = input!.contiguous();
      checkLayout(x, layout, 'normMoments');
      const { mean, variance } = normMoments(x.data, x.offset, layout);
      const stats = mean.length;
      const out = NDArray.zeros([2, layout.chunks, layout.channels], x.dtype);
      out.data.set(mean, 0);
      out.data.set(variance, stats);
      return [out, { x, mean }];
    },
    // dx = dmean/count + 2·(x − mean)·dvar/count
    // Recorded (createGraph): the same gradient from the composite, so it differentiates again.
    backward: (g, ctx) => {
      const { saved: { x, mean }, args: { layout } } = ctx;
      if (ctx.createGraph) {
        return viaComposite(g, ctx, ([xt]) => {
          const moments = momentsComposite(xt!, layout);
          const statShape = [1, layout.chunks, layout.channels];
          return applyOp('cat', [moments.mean.reshape(statShape), moments.variance.reshape(statShape)], { dim: 0 });
        });
      }
      const gc = g.array.contiguous().flat();
      const stats = mean.length;
      const dx = momentsBackward(gc.subarray(0, stats), gc.subarray(stats, 2 * stats), x.data, x.offset, layout, mean);
      return [wrap(new NDArray(dx, [...x.shape]))];
    },
    saves: { inputs: true },
    freshGradients: true,
  },
};

function wrap(a: NDArray | null): Tensor | null {
  return a === null ? null : new Tensor(a);
}

/** y = γ·(x − mean)·invstd + β with constant per-(chunk, channel) statistics, as a composite. */
function normalizeFixedComposite(
  x: Tensor, layout: NormLayout, mean: Float64Array, invstd: Float64Array, weight: Tensor | null, bias: Tensor | null,
): Tensor {
  const shape = [layout.chunks, layout.channels];
  const constant = (values: Float64Array): Tensor => new Tensor(arrayOf(values, shape, x.array));
  // normalizeWith's composite takes a variance: v = invstd⁻² with eps 0 gives back the same invstd.
  const variance = constant(invstd.map((s) => 1 / (s * s)));
  return normalizeWithComposite(x, constant(mean), variance, layout, 0, weight, bias);
}

/**
 * The gradients of a fused op's inputs, through its composite `build` recorded on aliases of the
 * inputs: the route a fused op's backward takes when the backward pass is itself recorded, so the
 * gradients it returns can be differentiated again. Tested equal to the fused backward.
 */
function viaComposite<A, S>(g: Tensor, ctx: BackwardContext<A, S>, build: (inputs: readonly (Tensor | undefined)[]) => Tensor): (Tensor | null)[] {
  // Aliases (a reshape to the same shape is a new graph node) keep each input's gradient apart
  // from paths that reach it through the other inputs (BKN's mean depends on x too).
  const aliases = ctx.inputs.map((t, i) => (ctx.needsGrad[i] ? t.reshape(t.shape) : t));
  const y = build(aliases);
  const wanted = aliases.filter((_, i) => ctx.needsGrad[i]);
  // The recorded gradients refer to the composite's nodes: keep them for the next derivative.
  const grads = runBackward([y], [g], { retainGraph: true, createGraph: true, capture: wanted });
  let k = 0;
  return aliases.map((_, i) => (ctx.needsGrad[i] ? grads[k++] ?? null : null));
}
