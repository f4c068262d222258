// The engine's memory policy: which gradient buffers a backward pass may recycle. Kept apart from
// engine.ts so the algorithm there reads on its own.
//
// A gradient this backward made (an op's fresh output returned once, or a sum made here) is
// "owned": nothing outside the engine can refer to it. Once it is consumed — by the backward of a
// built-in op that returned nothing sharing its buffer, or by a sum — its buffer goes back to
// shared-memory.ts for the next allocation of its size: a fresh big shared buffer costs its page
// faults (measured ≈ 100 µs per 800 KB), a reused one a zero fill.
import { addInto } from '../tensor/kernels/elementwise.js';
import { releaseStorage } from '../tensor/parallel/shared-memory.js';
import type { GraphNode } from './node.js';
import type { Tensor } from './tensor.js';

/** A gradient so far in this backward, and whether nothing outside the engine refers to its storage. */
export interface OwnedGrad {
  g: Tensor;
  owned: boolean;
}

/** What the engine asks of a memory policy. */
export interface GradientMemory {
  /** Whether `fitted` (gradient k returned by `node`, summed to its input's shape) is owned. */
  isOwned(node: GraphNode, grads: readonly (Tensor | null | undefined)[], k: number, fitted: Tensor, incoming: OwnedGrad): boolean;
  /** `node`'s backward has consumed `incoming`; it returned `grads`. */
  consumed(node: GraphNode, incoming: OwnedGrad, grads: readonly (Tensor | null | undefined)[]): void;
  /** Two addends were summed into a new gradient. */
  summed(a: OwnedGrad, b: OwnedGrad): void;
  /**
   * Adds `next` into `previous` in place when this policy allows writing `previous` (then
   * previous stays the sum, still owned) and returns true; else returns false and the engine sums
   * into a new tensor.
   */
  addedInPlace(previous: OwnedGrad, next: OwnedGrad): boolean;
}

/** First-order backward: recycle the shared buffers of owned gradients once consumed. */
export const recyclingMemory: GradientMemory = {
  isOwned(node, grads, k, fitted, incoming) {
    // The engine's sum-to-shape made a new tensor; an op's fresh gradient returned once; or a
    // view of an owned incoming gradient, returned once (reshape, permute pass ownership on).
    if (fitted !== grads[k]) return true;
    if (node.freshGradients) return returnedOnce(grads, k, incoming.g);
    return node.gradientViews && incoming.owned && onlyOneShares(grads, k);
  },
  consumed(node, incoming, grads) {
    const buffer = incoming.g.array.data.buffer;
    if (incoming.owned && node.builtIn && !grads.some((x) => x !== null && x !== undefined && x.array.data.buffer === buffer)) {
      releaseStorage(incoming.g.array.data);
    }
  },
  summed(a, b) {
    if (a.owned) releaseStorage(a.g.array.data);
    if (b.owned) releaseStorage(b.g.array.data);
  },
  addedInPlace(previous, next) {
    // An owned gradient is this backward's alone: the second contribution is added into its
    // buffer, the same per-element sum as previous.g.add(next.g), without a new array. Both must
    // be dense and alike. Measured (`npx tsx bench/bkn-step.ts 200 cnn,vgg bn,bkn-analytic`, two
    // runs alternated with the out-of-place sum): BKN's small CNN step 8.08–8.33 → 7.90–7.95 ms
    // (BKN's input feeds both its observation and its normalization), the VGG net 16.5–17.2 →
    // 16.5–16.8 ms.
    const a = previous.g.array;
    const b = next.g.array;
    if (!previous.owned || a.data.buffer === b.data.buffer || a.dtype !== b.dtype || !a.isContiguous() || !b.isContiguous()) return false;
    addInto(a, b);
    if (next.owned) releaseStorage(b.data);
    return true;
  },
};

/**
 * A recorded backward (`createGraph`): the gradients are part of a new graph that may keep any of
 * them, so nothing is owned and nothing is recycled.
 */
export const keepingMemory: GradientMemory = {
  isOwned: () => false,
  consumed: () => undefined,
  summed: () => undefined,
  addedInPlace: () => false,
};

/** Whether grads[k] shares its buffer with no other returned gradient and not with the incoming one. */
function returnedOnce(grads: readonly (Tensor | null | undefined)[], k: number, incoming: Tensor): boolean {
  return grads[k]!.array.data.buffer !== incoming.array.data.buffer && onlyOneShares(grads, k);
}

/** Whether no returned gradient but grads[k] shares grads[k]'s buffer. */
function onlyOneShares(grads: readonly (Tensor | null | undefined)[], k: number): boolean {
  const buffer = grads[k]!.array.data.buffer;
  for (let j = 0; j < grads.length; j++) {
    const other = grads[j];
    if (j !== k && other !== null && other !== undefined && other.array.data.buffer === buffer) return false;
  }
  return true;
}
