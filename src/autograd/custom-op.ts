import type { NDArray } from '../tensor/ndarray.js';
import { isGradEnabled } from './grad-mode.js';
import { GraphNode } from './node.js';
import type { OpDef } from './op.js';
import { Tensor } from './tensor.js';

/** A user-defined differentiable op: the same shape as a built-in op-table entry, plus a name. */
export interface CustomOpDef<Saved> extends OpDef<undefined, Saved> {
  /** Appears in error messages from the engine (shape or dtype mismatches of your gradients). */
  name: string;
}

/**
 * Turns a forward/backward pair over NDArrays into a differentiable function of Tensors, like
 * subclassing `torch.autograd.Function`. Backward returns one gradient per input (or null when
 * `needsGrad[i]` is false); a broadcast-shaped gradient is summed back by the engine, and a gradient
 * of the wrong shape or dtype is an error naming your op. Check it with `gradcheck`.
 *
 * @example
 * ```ts
 * import { customOp, gradcheck, randn, NDArray } from 'tsgrad';
 * // cube(x) = x³;  d/dx x³ = 3x²
 * const cube = customOp<NDArray>({
 *   name: 'cube',
 *   forward: ([x]) => {
 *     const xv = Float64Array.from(x!.contiguous().flat());
 *     return [new NDArray(xv.map((v) => v * v * v), x!.shape), x!];
 *   },
 *   backward: (g, x) => {
 *     const gv = Float64Array.from(g.contiguous().flat());
 *     const xv = Float64Array.from(x.contiguous().flat());
 *     return [new NDArray(gv.map((v, i) => 3 * xv[i]! * xv[i]! * v), x.shape)];
 *   },
 * });
 * const x = randn([5], { dtype: 'float64', requiresGrad: true });
 * gradcheck((t) => cube(t), [x]).ok; // true
 * ```
 * (This example handles float64 only; `examples/custom-op.ts` shows a dtype-preserving version.)
 */
export function customOp<Saved>(def: CustomOpDef<Saved>): (...inputs: Tensor[]) => Tensor {
  return (...inputs: Tensor[]): Tensor => {
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new Error(`${def.name}: input ${i} is not a Tensor`);
    });
    const [out, saved] = def.forward(inputs.map((t) => t.array), undefined);
    if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) return new Tensor(out);
    const needsGrad = inputs.map((t) => t.requiresGrad);
    const node = new GraphNode(def.name, inputs, needsGrad, (g: NDArray) => def.backward(g, saved, needsGrad, undefined));
    return new Tensor(out, { requiresGrad: true, gradFn: node });
  };
}
