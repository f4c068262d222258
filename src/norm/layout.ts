// How each normalization views its input (see NormLayout in src/tensor/kernels/norm.ts), the input
// checks with PyTorch's error wording, and the running-statistics update every batch norm shares.
import { noGrad } from '../autograd/grad-mode.js';
import type { Tensor } from '../autograd/tensor.js';
import type { NormLayout } from '../tensor/kernels/norm.js';
import { shapeString, sizeOf } from '../tensor/shape.js';

export type { NormLayout } from '../tensor/kernels/norm.js';

/** Which implementation a normalization runs: the fused kernels (default) or the composite oracle. */
export type NormImplementation = 'fused' | 'composite';

/** Checks an options value is a positive integer. */
export function checkPositiveInt(value: number, name: string, where: string): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${value}`);
}

/**
 * The layout of a batch norm over [N, C, …]: `groups` chunks of N/groups samples, one statistic per
 * (chunk, channel). Throws when N is not divisible by `groups`.
 */
export function batchLayout(shape: readonly number[], groups: number, where: string): NormLayout {
  if (shape.length < 2) throw new Error(`${where}: expected an input of shape [N, C, …] (at least 2 dims), got ${shapeString(shape)}`);
  checkPositiveInt(groups, 'groups', where);
  const n = shape[0]!;
  if (n % groups !== 0) {
    throw new Error(`${where}: the batch of ${n} samples (input ${shapeString(shape)}) cannot be split into groups: ${groups} equal chunks; use a batch size divisible by ${groups}`);
  }
  return { chunks: groups, samples: n / groups, channels: shape[1]!, positions: sizeOf(shape.slice(2)), affineSpan: 1 };
}

/** PyTorch's check that each channel of each chunk has more than one value in training. */
export function checkBatchCount(shape: readonly number[], layout: NormLayout, where: string): void {
  if (layout.samples * layout.positions <= 1) {
    const chunk = layout.chunks > 1 ? ` per chunk (groups: ${layout.chunks} chunks of ${layout.samples} sample(s))` : '';
    throw new Error(`${where}: Expected more than 1 value per channel when training, got input size ${shapeString(shape)}${chunk}`);
  }
}

/** The layout of InstanceNorm over [N, C, …]: one statistic per (sample, channel). */
export function instanceLayout(shape: readonly number[], where: string): NormLayout {
  if (shape.length < 2) throw new Error(`${where}: expected an input of shape [N, C, …], got ${shapeString(shape)}`);
  return { chunks: shape[0]!, samples: 1, channels: shape[1]!, positions: sizeOf(shape.slice(2)), affineSpan: 1 };
}

/** PyTorch's InstanceNorm check: more than one spatial element per instance. */
export function checkInstanceCount(shape: readonly number[], layout: NormLayout): void {
  if (layout.positions <= 1) {
    throw new Error(`instanceNorm: Expected more than 1 spatial element when training, got input size [${shape.join(', ')}]`);
  }
}

/** The layout of GroupNorm over [N, C, …]: one statistic per (sample, group), affine per channel. */
export function groupLayout(shape: readonly number[], numGroups: number, where: string): NormLayout {
  if (shape.length < 2) throw new Error(`${where}: expected an input of shape [N, C, …], got ${shapeString(shape)}`);
  checkPositiveInt(numGroups, 'numGroups', where);
  const c = shape[1]!;
  if (c % numGroups !== 0) throw new Error(`${where}: the ${c} channels of input ${shapeString(shape)} cannot be divided into ${numGroups} groups`);
  const span = c / numGroups;
  return { chunks: shape[0]!, samples: 1, channels: numGroups, positions: span * sizeOf(shape.slice(2)), affineSpan: span };
}

/** The layout of LayerNorm over the trailing `normalizedShape`: one statistic per leading index. */
export function layerLayout(shape: readonly number[], normalizedShape: readonly number[], where: string): NormLayout {
  const k = normalizedShape.length;
  const tail = shape.slice(shape.length - k);
  if (k === 0 || k > shape.length || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new Error(`${where}: Given normalized_shape=${shapeString(normalizedShape)}, expected input with shape [*, ${normalizedShape.join(', ')}], but got input of size ${shapeString(shape)}`);
  }
  const inner = sizeOf(normalizedShape);
  return { chunks: sizeOf(shape.slice(0, shape.length - k)), samples: 1, channels: 1, positions: inner, affineSpan: inner };
}

/** The values of a tensor as a fresh Float64Array (row-major). */
export function float64Values(t: Tensor): Float64Array {
  return Float64Array.from(t.array.flat());
}

/** Overwrites a (contiguous) buffer tensor's values in place. */
export function writeInPlace(t: Tensor, values: ArrayLike<number>, where: string): void {
  const a = t.array;
  if (!a.isContiguous() || a.size !== values.length) {
    throw new Error(`${where}: cannot update the running statistic of shape ${shapeString(a.shape)} in place (it must be contiguous with ${values.length} elements)`);
  }
  for (let i = 0; i < values.length; i++) a.data[a.offset + i] = values[i]!;
  t.markModified();
}

/**
 * running ← (1 − momentum)·running + momentum·batch, per channel, where `batch` is the mean over
 * chunks of the per-(chunk, channel) statistic (with the variance made unbiased, count/(count − 1),
 * when `unbiased`). PyTorch's rule; `momentum` is the weight of the new batch (not optimizer momentum).
 */
export function updateRunningStats(
  runningMean: Tensor | null, runningVar: Tensor | null,
  mean: ArrayLike<number>, variance: ArrayLike<number>,
  layout: NormLayout, momentum: number, unbiased: boolean, where: string,
): void {
  const { chunks, channels } = layout;
  const count = layout.samples * layout.positions;
  const correction = unbiased ? count / (count - 1) : 1;
  noGrad(() => {
    for (const [target, source, factor] of [[runningMean, mean, 1], [runningVar, variance, correction]] as const) {
      if (target === null) continue;
      if (target.numel !== channels) {
        throw new Error(`${where}: running statistic of shape ${shapeString(target.shape)} does not match the ${channels} channels of the input`);
      }
      const old = target.array.flat();
      const next = new Float64Array(channels);
      for (let b = 0; b < channels; b++) {
        let acc = 0;
        for (let s = 0; s < chunks; s++) acc += source[s * channels + b]!;
        next[b] = (1 - momentum) * old[b]! + momentum * (acc / chunks) * factor;
      }
      writeInPlace(target, next, where);
    }
  });
}
