// autograd.grad: the gradients of outputs with respect to given inputs, returned rather than
// accumulated into .grad — the building block of gradients of gradients (functional.ts).
import { isFloatingDtype } from '../tensor/dtype.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { runBackward } from './engine.js';
import type { GraphNode } from './node.js';
import { seedGradient, Tensor } from './tensor.js';
import { zerosLike } from './creation.js';

/** Options of `autograd.grad` (PyTorch's keywords in camelCase). */
export interface GradOptions {
  /**
   * The upstream gradient of each output ("the vector" of a vector-Jacobian product); may be
   * omitted (or null) for one-element outputs, which get 1.
   */
  gradOutputs?: Tensor | readonly (Tensor | null | undefined)[];
  /** Keep the graph so it can be differentiated again (default: `createGraph`). */
  retainGraph?: boolean;
  /** Record the backward pass, so the gradients returned can be differentiated again. */
  createGraph?: boolean;
  /**
   * Return null for an input the outputs do not depend on, instead of throwing (default false).
   * An input the graph reaches but whose gradient is zero almost everywhere (through relu's
   * derivative, say) gets zeros, not null.
   */
  allowUnused?: boolean;
}

const GRAD_OPTIONS: OptionNames<GradOptions> = { gradOutputs: true, retainGraph: 'flag', createGraph: 'flag', allowUnused: 'flag' };

/**
 * The gradients of `outputs` with respect to `inputs` (PyTorch's `torch.autograd.grad`): the sum of
 * the vector-Jacobian products of each output with its `gradOutputs`. Nothing accumulates into
 * `.grad`. With `createGraph` the results are part of a graph themselves, so they can be
 * differentiated again (gradient penalties, Hessian-vector products).
 *
 * @example
 * ```ts
 * import { tensor, autograd } from 'tsgrad';
 * const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
 * const [g] = autograd.grad(x.pow(3).sum(), x, { createGraph: true }); // 3x² = [3, 12]
 * const [h] = autograd.grad(g!.sum(), x);                              // 6x  = [6, 12]
 * h!.toArray(); // Float64Array [6, 12]
 * ```
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  checkOptions(options, GRAD_OPTIONS, 'autograd.grad');
  const outs = asList(outputs, 'outputs');
  const ins = asList(inputs, 'inputs');
  const createGraph = options.createGraph ?? false;
  const given = options.gradOutputs === undefined ? [] : asNullableList(options.gradOutputs);
  if (given.length !== 0 && given.length !== outs.length) {
    throw new Error(`autograd.grad: got ${given.length} gradOutputs for ${outs.length} outputs`);
  }
  outs.forEach((o, i) => {
    if (!o.requiresGrad) {
      throw new Error(`autograd.grad: output ${i} (${o.toString()}) does not require grad and has no grad_fn. If it is itself a gradient, compute that gradient with { createGraph: true } so it can be differentiated again.`);
    }
  });
  ins.forEach((t, i) => {
    if (!isFloatingDtype(t.dtype)) throw new Error(`autograd.grad: input ${i} (${t.toString()}) is ${t.dtype}: only float32/float64 tensors have gradients`);
    if (!t.requiresGrad) throw new Error(`autograd.grad: input ${i} (${t.toString()}) does not require grad, so it has no gradient`);
  });
  const seeds = outs.map((o, i) => seedGradient(o, given[i] ?? undefined, `autograd.grad (output ${i})`));
  const reached = reachable(outs);
  const grads = runBackward(outs, seeds, { retainGraph: options.retainGraph ?? createGraph, createGraph, capture: ins });
  return grads.map((g, i) => {
    if (g !== null) return g;
    const t = ins[i]!;
    if (reached.has(t.gradFn ?? t)) return zerosLike(t); // reached, but every path's derivative is zero
    if (options.allowUnused === true) return null;
    throw new Error(`autograd.grad: input ${i} (${t.toString()}) was not used to compute the outputs (it is not in their graph); pass { allowUnused: true } to get null for it`);
  });
}

/** Every node and leaf the outputs' graph reaches. */
function reachable(outputs: readonly Tensor[]): Set<GraphNode | Tensor> {
  const seen = new Set<GraphNode | Tensor>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const t = stack.pop()!;
    const key = t.gradFn ?? t;
    if (seen.has(key)) continue;
    seen.add(key);
    if (t.gradFn !== null) stack.push(...t.gradFn.inputs);
  }
  return seen;
}

export function asList(x: Tensor | readonly Tensor[], what: string): Tensor[] {
  const list = x instanceof Tensor ? [x] : Array.isArray(x) ? [...(x as readonly Tensor[])] : null;
  if (list === null || list.length === 0) throw new Error(`autograd.grad: ${what} must be a Tensor or a non-empty array of Tensors`);
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`autograd.grad: ${what}[${i}] is not a Tensor (got ${typeof t})`);
  });
  return list;
}

function asNullableList(x: Tensor | readonly (Tensor | null | undefined)[]): (Tensor | null | undefined)[] {
  if (x instanceof Tensor) return [x];
  if (!Array.isArray(x)) throw new Error('autograd.grad: gradOutputs must be a Tensor or an array of Tensors (or nulls)');
  (x as readonly unknown[]).forEach((t, i) => {
    if (t !== null && t !== undefined && !(t instanceof Tensor)) throw new Error(`autograd.grad: gradOutputs[${i}] is not a Tensor`);
  });
  return [...x];
}
