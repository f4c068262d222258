// The composite normalization primitives: the per-(chunk, channel) moments and the normalization
// written with autograd primitives (reshape, sum, mul, add, pow), so their gradients — of every
// order — come for free. They are the teaching version of the fused norm ops (ops/norm.ts), the
// oracle those are tested against, and the route the fused ops' backward takes when the backward
// pass is itself recorded (createGraph). src/norm/composite.ts builds the norm layers from them.
import type { NormLayout } from '../../tensor/kernels/norm.js';
import type { Tensor } from '../tensor.js';

/**
 * x viewed as [chunks, samples, channels, affineSpan, positions/affineSpan]: the statistics reduce
 * dims 1, 3 and 4; the affine parameters broadcast as [1, 1, channels, affineSpan, 1].
 */
function view5(x: Tensor, layout: NormLayout): Tensor {
  const { chunks, samples, channels, positions, affineSpan } = layout;
  return x.reshape([chunks, samples, channels, affineSpan, positions / affineSpan]);
}

const STAT_DIMS = [1, 3, 4];

/**
 * Mean and biased variance per (chunk, channel), shape [chunks, channels] each (composite of the
 * observation `normMoments` computes).
 *
 * @example
 * ```ts
 * import { randn } from 'tsgrad';
 * const x = randn([4, 3, 2, 2]);
 * const { mean, variance } = momentsComposite(x, { chunks: 2, samples: 2, channels: 3, positions: 4, affineSpan: 1 });
 * mean.shape; // [2, 3]
 * ```
 */
export function momentsComposite(x: Tensor, layout: NormLayout): { mean: Tensor; variance: Tensor } {
  const x5 = view5(x, layout);
  const mean = x5.mean(STAT_DIMS, true);
  const centered = x5.sub(mean);
  const variance = centered.mul(centered).mean(STAT_DIMS);
  return { mean: mean.reshape([layout.chunks, layout.channels]), variance };
}

/**
 * y = γ·(x − m)/sqrt(v + eps) + β with m, v of shape [chunks, channels] (gradients flow to them).
 *
 * @example
 * ```ts
 * import { randn, zeros, ones } from 'tsgrad';
 * const x = randn([4, 3]);
 * const y = normalizeWithComposite(x, zeros([1, 3]), ones([1, 3]), { chunks: 1, samples: 4, channels: 3, positions: 1, affineSpan: 1 }, 1e-5);
 * ```
 */
export function normalizeWithComposite(
  x: Tensor, mean: Tensor, variance: Tensor, layout: NormLayout, eps: number,
  weight: Tensor | null = null, bias: Tensor | null = null,
): Tensor {
  const { chunks, channels, affineSpan } = layout;
  const statShape = [chunks, 1, channels, 1, 1];
  const x5 = view5(x, layout);
  // x̂ = (x − m)·(v + eps)^(−1/2)
  let y = x5.sub(mean.reshape(statShape)).mul(variance.reshape(statShape).add(eps).pow(-0.5));
  const affineShape = [1, 1, channels, affineSpan, 1];
  if (weight !== null) y = y.mul(weight.reshape(affineShape));
  if (bias !== null) y = y.add(bias.reshape(affineShape));
  return y.reshape(x.shape);
}
