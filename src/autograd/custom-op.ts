import { NDArray } from '../tensor/ndarray.js';
import { isGradEnabled } from './grad-mode.js';
import { GraphNode } from './node.js';
import { Tensor } from './tensor.js';

/**
 * A user-defined differentiable op: a forward and a backward over NDArrays (like subclassing
 * `torch.autograd.Function` with `once_differentiable`), and a name for error messages.
 */
export interface CustomOpDef<Saved> {
  /** Appears in error messages from the engine (shape or dtype mismatches of your gradients). */
  name: string;
  /** Computes the output from the input arrays; returns it with what backward needs. */
  forward(inputs: readonly NDArray[], args: undefined): [out: NDArray, saved: Saved];
  /**
   * Returns one gradient per input (`null` where `needsGrad[i]` is false), given the upstream
   * gradient `g`.
   */
  backward(g: NDArray, saved: Saved, needsGrad: readonly boolean[], args: undefined): (NDArray | null)[];
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
    const result: unknown = def.forward(inputs.map((t) => t.array), undefined);
    if (!Array.isArray(result) || !(result[0] instanceof NDArray)) {
      throw new Error(`customOp '${def.name}': forward must return [out, saved] with out an NDArray; it returned ${describe(Array.isArray(result) ? result[0] : result)}${Array.isArray(result) ? ' as out' : ''}`);
    }
    const [out, saved] = result as [NDArray, Saved];
    if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) return new Tensor(out);
    const needsGrad = inputs.map((t) => t.requiresGrad);
    const node = new GraphNode(def.name, inputs, needsGrad, (g, createGraph) => {
      const grads: unknown = def.backward(g.array, saved, needsGrad, undefined);
      if (!Array.isArray(grads) || grads.length !== inputs.length) {
        const got = Array.isArray(grads) ? `${grads.length} gradients` : describe(grads);
        throw new Error(`customOp '${def.name}': backward returned ${got} for ${inputs.length} inputs; return exactly one gradient per input (null where needsGrad is false)`);
      }
      return grads.map((gk: unknown, k) => {
        if (gk === null || gk === undefined || !needsGrad[k]) return null;
        if (!(gk instanceof NDArray)) throw new Error(`customOp '${def.name}': backward returned ${describe(gk)} as the gradient of input ${k}; expected an NDArray or null`);
        return createGraph ? onceDifferentiable(def.name, new Tensor(gk), [g, ...inputs]) : new Tensor(gk);
      });
    });
    return new Tensor(out, { requiresGrad: true, gradFn: node });
  };
}

/**
 * A custom op's backward runs on NDArrays, so its gradients cannot be differentiated again. In a
 * recorded backward (createGraph) each is marked with a node whose backward throws, naming the op
 * — never a silently missing second-order term.
 */
function onceDifferentiable(name: string, grad: Tensor, dependsOn: readonly Tensor[]): Tensor {
  const needsGrad = dependsOn.map((t) => t.requiresGrad);
  if (!needsGrad.some((n) => n)) return grad;
  const node = new GraphNode(`${name} (backward)`, dependsOn, needsGrad, () => {
    throw new Error(`customOp '${name}': its backward works on NDArrays and cannot be differentiated again (double backward through a custom op is not supported); compose the op from Tensor operations instead to get second derivatives`);
  });
  return new Tensor(grad.array, { requiresGrad: true, gradFn: node });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value)}`;
}
