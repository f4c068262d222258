// Fused normalization primitives (BatchNorm family, GroupNorm, LayerNorm, InstanceNorm, Batch Kalman
// Normalization). Each views its contiguous input through a NormLayout ([chunks, samples, channels,
// positions], see kernels/norm.ts) and runs the per-channel reductions there. Their composites —
// the same math from add/mul/sum/pow — live in src/norm/composite.ts and are the test oracle.
import {
  invStd, momentsBackward, normBackwardInput, normBackwardSums, normForward, normMoments, layoutSize, type NormLayout,
} from '../../tensor/kernels/norm.js';
import { NDArray } from '../../tensor/ndarray.js';
import { shapeString } from '../../tensor/shape.js';
import type { OpTable } from '../op.js';

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
    backward: (g, { x, weight }, needs, { layout, mean, invstd, batchStats }) => {
      const gc = g.contiguous();
      const w = flatOrNull(weight);
      const sums = normBackwardSums(gc.data, gc.offset, x.data, x.offset, layout, mean, invstd, w);
      const dx = needs[0]
        ? new NDArray(normBackwardInput(gc.data, gc.offset, x.data, x.offset, layout, mean, invstd, w, batchStats ? sums : null), [...x.shape])
        : null;
      const affineShape = weight === null ? [0] : weight.shape;
      return [
        dx,
        needs[1] && weight !== null ? arrayOf(sums.sumGXhat, affineShape, weight) : null,
        needs[2] && weight !== null ? arrayOf(sums.sumG, affineShape, weight) : null,
      ];
    },
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
    backward: (g, { x, mean, invstd, weight, statShape }, needs, { layout }) => {
      const gc = g.contiguous();
      const w = flatOrNull(weight);
      const sums = normBackwardSums(gc.data, gc.offset, x.data, x.offset, layout, mean, invstd, w);
      const make = (values: ArrayLike<number>, shape: readonly number[]): NDArray => arrayOf(values, shape, x);
      const dm = needs[1] ? make(sums.sumGW.map((s, i) => -invstd[i]! * s), statShape) : null;
      const dv = needs[2] ? make(sums.sumGWXhat.map((s, i) => -0.5 * invstd[i]! * invstd[i]! * s), statShape) : null;
      const affineShape = weight === null ? [0] : weight.shape;
      return [
        needs[0] ? new NDArray(normBackwardInput(gc.data, gc.offset, x.data, x.offset, layout, mean, invstd, w, null), [...x.shape]) : null,
        dm,
        dv,
        needs[3] && weight !== null ? arrayOf(sums.sumGXhat, affineShape, weight) : null,
        needs[4] && weight !== null ? arrayOf(sums.sumG, affineShape, weight) : null,
      ];
    },
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
    backward: (g, { x, mean }, _needs, { layout }) => {
      const gc = g.contiguous().flat();
      const stats = mean.length;
      const dx = momentsBackward(gc.subarray(0, stats), gc.subarray(stats, 2 * stats), x.data, x.offset, layout, mean);
      return [new NDArray(dx, [...x.shape])];
    },
    freshGradients: true,
  },
};
