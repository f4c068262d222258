/**
 * The op chain of the "engine overhead" bench row and of bench/measure-overhead.ts: small
 * elementwise ops whose time is nearly all the engine's per-op work.
 */
import { tensor, type Tensor } from '../src/index.js';
import { seededData } from './harness.js';

/** Forward ops in one chain (each of the loop's 5 statements is one op). */
export const OPS_PER_CHAIN = 50;

/**
 * One chain of OPS_PER_CHAIN elementwise ops on a [size] float32 tensor that requires grad,
 * forward and backward; returns the leaf's gradient. 256 elements (1 KB) by default: off V8's
 * heap, as every tensor but the tiniest (typed arrays of ≤ 64 bytes live on the heap, and reading
 * their `.buffer` moves them off it: a cost only they have).
 */
export function opChain(size = 256): () => Float32Array {
  const x = tensor(seededData(size, 7), { requiresGrad: true });
  const c = tensor(seededData(size, 8));
  return () => {
    let y: Tensor = x;
    for (let i = 0; i < OPS_PER_CHAIN / 5; i++) {
      y = y.mul(c);
      y = y.add(x);
      y = y.relu();
      y = y.sub(c);
      y = y.mul(0.5);
    }
    x.grad = null;
    y.sum().backward();
    return x.grad!.array.data as Float32Array;
  };
}
