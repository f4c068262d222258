// autograd.functional: derivatives of a function, as PyTorch's torch.autograd.functional — each a
// few calls of autograd.grad, the double-vjp trick for jvp included.
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { applyOp } from './apply.js';
import { onesLike, zeros, zerosLike } from './creation.js';
import { enableGrad, noGrad } from './grad-mode.js';
import { asList, grad } from './grad.js';
import { Tensor } from './tensor.js';

/** A function of tensors, as the functional API differentiates it. */
export type TensorFunction = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

/** Tensors or arrays of them: what the functional API takes and returns. */
export type Tensors = Tensor | readonly Tensor[];

/** A Tensor where `T` is one Tensor, an array where `T` is an array (PyTorch's tuple rule). */
export type Structured<T extends Tensors> = T extends Tensor ? Tensor : Tensor[];

/** The nesting of `jacobian`'s result: by output, then by input, an array level for each array. */
export type JacobianOf<I extends Tensors, O extends Tensors> = I extends Tensor
  ? (O extends Tensor ? Tensor : Tensor[])
  : (O extends Tensor ? Tensor[] : Tensor[][]);

/** Options shared by the functional API (PyTorch's keywords). */
export interface FunctionalOptions {
  /** Keep the results differentiable (a graph back to the inputs), default false. */
  createGraph?: boolean;
  /**
   * Throw when an output does not depend on an input instead of returning zeros for it (default
   * false, as PyTorch).
   */
  strict?: boolean;
}

/** Options of `jacobian` and `hessian`. */
export interface JacobianOptions extends FunctionalOptions {
  /** Only `false` (one backward per output element, PyTorch's default) is implemented. */
  vectorize?: false;
}

const FUNCTIONAL_OPTIONS: OptionNames<FunctionalOptions> = { createGraph: 'flag', strict: 'flag' };
const JACOBIAN_OPTIONS: OptionNames<JacobianOptions> = { ...FUNCTIONAL_OPTIONS, vectorize: 'flag' };

/** Fresh leaves that require grad (or, with createGraph, differentiable aliases of the inputs). */
function prepareInputs(inputs: Tensor | readonly Tensor[], createGraph: boolean, where: string): Tensor[] {
  return asList(inputs, `${where} inputs`).map((t) => {
    if (createGraph && t.requiresGrad) return t.reshape(t.shape); // keeps the graph back to t
    const leaf = t.detach();
    leaf.requiresGrad = true;
    return leaf;
  });
}

function evaluate(fn: TensorFunction, xs: readonly Tensor[], where: string): Tensor[] {
  return evaluateWithForm(fn, xs, where).outputs;
}

/** The outputs as a list, and whether the function returned one Tensor (not an array). */
function evaluateWithForm(fn: TensorFunction, xs: readonly Tensor[], where: string): { outputs: Tensor[]; single: boolean } {
  const out = enableGrad(() => fn(...xs));
  const outputs = out instanceof Tensor ? [out] : Array.isArray(out) ? [...(out as readonly Tensor[])] : [];
  if (outputs.length === 0 || outputs.some((t) => !(t instanceof Tensor))) throw new Error(`${where}: the function must return a Tensor or an array of Tensors`);
  return { outputs, single: out instanceof Tensor };
}

/** grad with PyTorch's functional conventions: zeros (or, when strict, an error) for unused inputs. */
function gradOrZeros(outputs: readonly Tensor[], xs: readonly Tensor[], gradOutputs: readonly Tensor[] | undefined, createGraph: boolean, strict: boolean, where: string): Tensor[] {
  const needed = outputs.filter((o) => o.requiresGrad);
  if (needed.length === 0) {
    if (strict) throw new Error(`${where}: the outputs do not depend on the inputs (strict mode)`);
    return xs.map((x) => zerosLike(x));
  }
  const vs = gradOutputs?.filter((_, i) => outputs[i]!.requiresGrad);
  const grads = grad(needed, xs, { gradOutputs: vs, createGraph, retainGraph: true, allowUnused: true });
  return grads.map((g, i) => {
    if (g !== null) return g;
    if (strict) throw new Error(`${where}: the outputs do not depend on input ${i} (strict mode)`);
    return zerosLike(xs[i]!);
  });
}

function shapeOf(inputs: Tensors, list: Tensor[]): Tensor | Tensor[] {
  return inputs instanceof Tensor ? list[0]! : list;
}

function detachAll(ts: readonly Tensor[], createGraph: boolean): Tensor[] {
  return createGraph ? [...ts] : ts.map((t) => t.detach());
}

/**
 * The vector-Jacobian product vᵀ·J of `fn` at `inputs` (PyTorch's `autograd.functional.vjp`);
 * `v` may be omitted when `fn` returns one element.
 *
 * @example
 * ```ts
 * import { tensor, autograd } from 'tsgrad';
 * const x = tensor([1, 2], { dtype: 'float64' });
 * const { vjp } = autograd.functional.vjp((t) => t.mul(t), x, tensor([1, 1], { dtype: 'float64' }));
 * vjp.toArray(); // Float64Array [2, 4]
 * ```
 */
export function vjp<I extends Tensors, O extends Tensors>(
  fn: (...inputs: Tensor[]) => O, inputs: I, v?: Tensors, options: FunctionalOptions = {},
): { output: Structured<O>; vjp: Structured<I> } {
  checkOptions(options, FUNCTIONAL_OPTIONS, 'vjp');
  const createGraph = options.createGraph ?? false;
  const xs = prepareInputs(inputs, createGraph, 'vjp');
  const { outputs, single } = evaluateWithForm(fn, xs, 'vjp');
  const vs = v === undefined ? undefined : asList(v, 'vjp v');
  if (vs !== undefined && vs.length !== outputs.length) throw new Error(`vjp: got ${vs.length} vectors v for ${outputs.length} outputs`);
  const result = gradOrZeros(outputs, xs, vs, createGraph, options.strict ?? false, 'vjp');
  const out = detachAll(outputs, createGraph);
  return { output: (single ? out[0]! : out) as Structured<O>, vjp: shapeOf(inputs, detachAll(result, createGraph)) as Structured<I> };
}

/**
 * The Jacobian-vector product J·v of `fn` at `inputs` (PyTorch's `autograd.functional.jvp`), by
 * the double-vjp trick: uᵀJ is linear in u, so differentiating it with respect to u along v gives
 * J·v.
 *
 * @example
 * ```ts
 * import { tensor, autograd } from 'tsgrad';
 * const x = tensor([1, 2], { dtype: 'float64' });
 * const { jvp } = autograd.functional.jvp((t) => t.mul(t).sum(), x, tensor([1, 0], { dtype: 'float64' }));
 * jvp.item(); // 2
 * ```
 */
export function jvp<I extends Tensors, O extends Tensors>(
  fn: (...inputs: Tensor[]) => O, inputs: I, v?: Tensors, options: FunctionalOptions = {},
): { output: Structured<O>; jvp: Structured<O> } {
  checkOptions(options, FUNCTIONAL_OPTIONS, 'jvp');
  const createGraph = options.createGraph ?? false;
  const xs = prepareInputs(inputs, createGraph, 'jvp');
  const { outputs, single } = evaluateWithForm(fn, xs, 'jvp');
  const vs = v === undefined ? undefined : asList(v, 'jvp v');
  if (vs === undefined && xs.some((x) => x.numel !== 1)) throw new Error('jvp: v may be omitted only when every input has one element');
  if (vs !== undefined && vs.length !== xs.length) throw new Error(`jvp: got ${vs.length} vectors v for ${xs.length} inputs`);
  // u: a dummy upstream gradient per output; uᵀJ is linear in u.
  const us = outputs.map((o) => {
    const u = zerosLike(o);
    u.requiresGrad = true;
    return u;
  });
  const strict = options.strict ?? false;
  const uTJ = gradOrZeros(outputs, xs, us, true, strict, 'jvp');
  const along = vs ?? xs.map((x) => onesLike(x));
  const result = gradOrZeros(uTJ, us, along, createGraph, strict, 'jvp');
  const out = detachAll(outputs, createGraph);
  const list = detachAll(result, createGraph);
  return { output: (single ? out[0]! : out) as Structured<O>, jvp: (single ? list[0]! : list) as Structured<O> };
}

/**
 * The Hessian-vector product H·v of a scalar `fn` at `inputs` (PyTorch's
 * `autograd.functional.hvp`): the gradient of ⟨∇f, v⟩.
 *
 * @example
 * ```ts
 * import { tensor, autograd } from 'tsgrad';
 * const x = tensor([1, 2], { dtype: 'float64' });
 * const { hvp } = autograd.functional.hvp((t) => t.pow(3).sum(), x, tensor([1, 1], { dtype: 'float64' }));
 * hvp.toArray(); // Float64Array [6, 12]  (H = diag(6x))
 * ```
 */
export function hvp<I extends Tensors>(
  fn: TensorFunction, inputs: I, v: Tensors, options: FunctionalOptions = {},
): { output: Tensor; hvp: Structured<I> } {
  checkOptions(options, FUNCTIONAL_OPTIONS, 'hvp');
  const createGraph = options.createGraph ?? false;
  const xs = prepareInputs(inputs, createGraph, 'hvp');
  const outputs = evaluate(fn, xs, 'hvp');
  if (outputs.length !== 1 || outputs[0]!.numel !== 1) throw new Error('hvp: the function must return a single one-element tensor');
  const vs = asList(v, 'hvp v');
  if (vs.length !== xs.length) throw new Error(`hvp: got ${vs.length} vectors v for ${xs.length} inputs`);
  const strict = options.strict ?? false;
  const grads = gradOrZeros(outputs, xs, undefined, true, strict, 'hvp');
  const inner = enableGrad(() => grads.map((g, i) => g.mul(vs[i]!.to(g.dtype)).sum()).reduce((a, b) => a.add(b)));
  const result = gradOrZeros([inner], xs, undefined, createGraph, strict, 'hvp');
  return { output: detachAll(outputs, createGraph)[0]!, hvp: shapeOf(inputs, detachAll(result, createGraph)) as Structured<I> };
}

/**
 * The Jacobian of `fn` at `inputs` (PyTorch's `autograd.functional.jacobian`, `vectorize: false`):
 * one backward per output element. For one input and one output a tensor of shape
 * `[...output.shape, ...input.shape]`; otherwise `result[i][j]` for output i and input j (an
 * array over inputs when there is one output, over outputs when one input).
 *
 * @example
 * ```ts
 * import { tensor, autograd } from 'tsgrad';
 * const J = autograd.functional.jacobian((t) => t.mul(t), tensor([1, 2], { dtype: 'float64' }));
 * J.toArray(); // Float64Array [2, 0, 0, 4]
 * ```
 */
export function jacobian<I extends Tensors, O extends Tensors>(
  fn: (...inputs: Tensor[]) => O, inputs: I, options: JacobianOptions = {},
): JacobianOf<I, O> {
  checkOptions(options, JACOBIAN_OPTIONS, 'jacobian');
  if (options.vectorize !== undefined && options.vectorize !== false) throw new Error('jacobian: vectorize: true is not implemented; use vectorize: false (the default)');
  const createGraph = options.createGraph ?? false;
  const xs = prepareInputs(inputs, createGraph, 'jacobian');
  const { outputs, single } = evaluateWithForm(fn, xs, 'jacobian');
  const blocks = outputs.map((out) => jacobianBlocks(out, xs, createGraph, options.strict ?? false));
  // PyTorch's nesting: a Tensor where fn took (or returned) one Tensor, an array where an array.
  if (inputs instanceof Tensor && single) return blocks[0]![0]! as JacobianOf<I, O>;
  if (inputs instanceof Tensor) return blocks.map((row) => row[0]!) as JacobianOf<I, O>;
  if (single) return blocks[0]! as JacobianOf<I, O>;
  return blocks as JacobianOf<I, O>;
}

/** The Jacobian of one output with respect to each input, row by row (one backward per element). */
function jacobianBlocks(out: Tensor, xs: readonly Tensor[], createGraph: boolean, strict: boolean): Tensor[] {
  const rows: Tensor[][] = xs.map(() => []);
  for (let k = 0; k < out.numel; k++) {
    const oneHot = zeros(out.shape, { dtype: out.dtype });
    oneHot.array.data[k] = 1;
    const grads = gradOrZeros([out], xs, [oneHot], createGraph, strict, 'jacobian');
    grads.forEach((g, j) => rows[j]!.push(g.reshape([1, ...xs[j]!.shape])));
  }
  return xs.map((x, j) => {
    const stacked = out.numel === 0 ? zerosLike(x).reshape([0, ...x.shape]) : (createGraph ? enableGrad : noGrad)(() => applyOp('cat', rows[j]!, { dim: 0 }));
    return stacked.reshape([...out.shape, ...x.shape]);
  });
}

/**
 * The Hessian of a scalar `fn` at `inputs` (PyTorch's `autograd.functional.hessian`): the Jacobian
 * of the gradient. For one input a tensor of shape `[...input.shape, ...input.shape]`; otherwise
 * `result[i][j]` = ∂²f/∂xᵢ∂xⱼ.
 *
 * @example
 * ```ts
 * import { tensor, autograd } from 'tsgrad';
 * const H = autograd.functional.hessian((t) => t.pow(3).sum(), tensor([1, 2], { dtype: 'float64' }));
 * H.toArray(); // Float64Array [6, 0, 0, 12]
 * ```
 */
export function hessian<I extends Tensors>(fn: TensorFunction, inputs: I, options: JacobianOptions = {}): I extends Tensor ? Tensor : Tensor[][] {
  checkOptions(options, JACOBIAN_OPTIONS, 'hessian');
  const strict = options.strict ?? false;
  const gradient = (...xs: Tensor[]): Tensor[] => {
    const outputs = evaluate(fn, xs, 'hessian');
    if (outputs.length !== 1 || outputs[0]!.numel !== 1) throw new Error('hessian: the function must return a single one-element tensor');
    return gradOrZeros(outputs, xs, undefined, true, strict, 'hessian');
  };
  const result = jacobian(gradient, asList(inputs, 'hessian inputs'), options);
  return (inputs instanceof Tensor ? result[0]![0]! : result) as I extends Tensor ? Tensor : Tensor[][];
}
