import { assertDtype, getDefaultDtype, promoteTypes, type DType, type Storage } from '../tensor/dtype.js';
import { NDArray, copyInto } from '../tensor/ndarray.js';
import { broadcastShapes, normalizeDim, normalizeDims, sameShape, shapeString, sizeOf } from '../tensor/shape.js';
import { applyOp } from './apply.js';
import { runBackward } from './engine.js';
import { isGradEnabled, noGrad } from './grad-mode.js';
import { addGradHook, type GradHook, type RemovableHandle } from './hooks.js';
import type { GraphNode } from './node.js';
import { bumpStorageVersion, storageVersion } from './version.js';

/** A number operand of a binary op: it takes the tensor's dtype (it does not promote, as in PyTorch). */
export type Operand = Tensor | number;

/** Options of `Tensor.var`: PyTorch's `unbiased` and `keepdim` keywords. */
export interface VarOptions {
  /** Divide by n − 1 (Bessel's correction, the default, as in PyTorch) instead of n. */
  unbiased?: boolean;
  /**
   * Keep the reduced dims as size 1 (default false), so the result broadcasts against the input.
   */
  keepdim?: boolean;
}

/** Options of `Tensor.backward`. */
export interface BackwardOptions {
  /** Keep the graph's saved values so backward can run through it again (default: createGraph). */
  retainGraph?: boolean;
  /**
   * Record the backward pass, so the gradients (and `.grad`) can be differentiated again: gradient
   * penalties, Hessian-vector products. Default false.
   */
  createGraph?: boolean;
}

/**
 * An n-dimensional array that records the operations applied to it, so `backward()` can compute
 * gradients. Wraps an `NDArray` (flat typed storage + shape/strides/offset).
 *
 * @example
 * ```ts
 * import { tensor } from 'tsgrad';
 * const x = tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
 * const y = x.matmul(x.transpose(0, 1)).relu().sum();
 * y.backward();
 * x.grad!.toArray(); // Float64Array [8, 12, 8, 12]
 * ```
 */
export class Tensor {
  /** The values. Kernels and optimizers work on this directly. */
  array: NDArray;
  /** The accumulated gradient of a leaf tensor after `backward()`, else null. */
  grad: Tensor | null = null;
  /** The graph node that produced this tensor (null for leaves). */
  gradFn: GraphNode | null;
  private requiresGradFlag: boolean;
  private retainsGrad = false;

  constructor(array: NDArray, options: { requiresGrad?: boolean; gradFn?: GraphNode | null } = {}) {
    this.array = array;
    this.gradFn = options.gradFn ?? null;
    this.requiresGradFlag = options.requiresGrad ?? false;
  }

  // ---- properties ----------------------------------------------------------------------------

  /** The size of each dim, outermost first (`[]` for a scalar). */
  get shape(): readonly number[] {
    return this.array.shape;
  }

  /** The element type: `'float32'` or `'float64'`. */
  get dtype(): DType {
    return this.array.dtype;
  }

  /** The number of dims (0 for a scalar). */
  get ndim(): number {
    return this.array.ndim;
  }

  /** The number of elements (the product of the shape). */
  get numel(): number {
    return this.array.size;
  }

  /** Whether gradients flow to this tensor. Settable on leaves only. */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  set requiresGrad(flag: boolean) {
    if (this.gradFn !== null && !flag) {
      throw new Error('requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach()');
    }
    this.requiresGradFlag = flag;
  }

  /** True for tensors not produced by a recorded op (parameters, inputs). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The size of one dim (negative counts from the end). */
  size(dim: number): number {
    return this.shape[normalizeDim(dim, this.ndim, 'size')]!;
  }

  // ---- elementwise -----------------------------------------------------------------------------

  /**
   * Elementwise a + b, broadcasting; a number operand takes the tensor's dtype.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([[1, 2], [3, 4]]).add(tensor([10, 20])).toArray(); // [11, 22, 13, 24]
   * ```
   */
  add(other: Operand): Tensor {
    const [a, b] = binaryOperands(this, other);
    return applyOp('add', [a, b], undefined);
  }

  /** a − b = a + (−b) (a composite: its gradient comes from add and neg). */
  sub(other: Operand): Tensor {
    if (typeof other === 'number') return this.add(-other);
    const [a, b] = binaryOperands(this, other);
    broadcastShapes(a.shape, b.shape, 'sub'); // a shape error names sub, not the add inside it
    return a.add(b.neg());
  }

  /** Elementwise a · b, broadcasting. */
  mul(other: Operand): Tensor {
    const [a, b] = binaryOperands(this, other);
    return applyOp('mul', [a, b], undefined);
  }

  /** a / b = a · b⁻¹ (a composite of mul and pow). */
  div(other: Operand): Tensor {
    if (typeof other === 'number') return this.mul(1 / other);
    // Promote first: float64 / float32 must not take b⁻¹ in float32.
    const [a, b] = binaryOperands(this, other);
    broadcastShapes(a.shape, b.shape, 'div'); // a shape error names div, not the mul inside it
    return a.mul(b.pow(-1));
  }

  /** Elementwise power; the exponent may be a number or a tensor (broadcast). */
  pow(exponent: Operand): Tensor {
    const [a, b] = binaryOperands(this, exponent);
    return applyOp('pow', [a, b], undefined);
  }

  /** Elementwise −x. */
  neg(): Tensor {
    return applyOp('neg', [this], undefined);
  }

  /** Elementwise eˣ. */
  exp(): Tensor {
    return applyOp('exp', [this], undefined);
  }

  /** Elementwise natural logarithm (−Infinity at 0, NaN below). */
  log(): Tensor {
    return applyOp('log', [this], undefined);
  }

  /** Elementwise square root. */
  sqrt(): Tensor {
    return applyOp('sqrt', [this], undefined);
  }

  /** Elementwise |x| (its gradient at 0 is 0, as in PyTorch). */
  abs(): Tensor {
    return applyOp('abs', [this], undefined);
  }

  /** Elementwise hyperbolic tangent. */
  tanh(): Tensor {
    return applyOp('tanh', [this], undefined);
  }

  /** Elementwise logistic sigmoid σ(x) = 1 / (1 + e⁻ˣ). */
  sigmoid(): Tensor {
    return applyOp('sigmoid', [this], undefined);
  }

  /** Elementwise max(x, 0) (its gradient at 0 is 0, as in PyTorch). */
  relu(): Tensor {
    return applyOp('relu', [this], undefined);
  }

  /** Elementwise error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt. */
  erf(): Tensor {
    return applyOp('erf', [this], undefined);
  }

  /** x² as x·x (exact, unlike pow(2) through exp/log in some libraries). */
  square(): Tensor {
    return this.mul(this);
  }

  /** Converts to another dtype (differentiable; a no-op when the dtype is the same). */
  to(dtype: DType): Tensor {
    if (dtype === this.dtype) return this;
    return applyOp('cast', [this], { dtype });
  }

  // ---- reductions ------------------------------------------------------------------------------

  /** Sum over `dim` (a number, a list, or all dims when omitted). */
  sum(dim?: number | readonly number[], keepdim = false): Tensor {
    const dims = normalizeDims(dim, this.ndim, 'sum');
    return applyOp('sum', [this], { dims, keepdim });
  }

  /**
   * Sums broadcast dims away so the result has `shape` (PyTorch's `sum_to_size`): the leading dims
   * `shape` lacks, and the dims where `shape` has 1. The engine undoes broadcasting with it.
   *
   * @example
   * ```ts
   * import { ones } from 'tsgrad';
   * ones([4, 2, 3]).sumToSize([2, 1]).toArray(); // Float32Array [12, 12]
   * ```
   */
  sumToSize(...shape: number[] | [readonly number[]]): Tensor {
    const target = flattenShapeArgs(shape);
    if (sameShape(this.shape, target)) return this;
    const lead = this.ndim - target.length;
    const fits = lead >= 0 && target.every((size, d) => size === 1 || size === this.shape[d + lead]);
    if (!fits) throw new Error(`sumToSize: shape ${shapeString(this.shape)} is not a broadcast of ${shapeString(target)}`);
    const dims: number[] = [];
    for (let d = 0; d < this.ndim; d++) {
      if (d < lead || (target[d - lead] === 1 && this.shape[d] !== 1)) dims.push(d);
    }
    return (dims.length > 0 ? this.sum(dims) : this).reshape(target);
  }

  /** Mean = sum / count (a composite). */
  mean(dim?: number | readonly number[], keepdim = false): Tensor {
    const dims = normalizeDims(dim, this.ndim, 'mean');
    const count = dims.reduce((p, d) => p * this.shape[d]!, 1);
    return this.sum(dims, keepdim).div(count);
  }

  /**
   * Max over `dim` (all dims when omitted). NOTE: where several elements tie for the maximum, the
   * gradient is split evenly among them.
   */
  max(dim?: number | readonly number[], keepdim = false): Tensor {
    const dims = normalizeDims(dim, this.ndim, 'max');
    return applyOp('max', [this], { dims, keepdim });
  }

  /**
   * Variance over `dim` (all dims when omitted): Σ(x − mean)² / (n − 1) when `unbiased` (the
   * default, as in PyTorch), else / n. A composite of mean, sub, mul and sum.
   */
  var(dim?: number | readonly number[], options: VarOptions = {}): Tensor {
    const { unbiased = true, keepdim = false } = options;
    const dims = normalizeDims(dim, this.ndim, 'var');
    const count = dims.reduce((p, d) => p * this.shape[d]!, 1);
    const centered = this.sub(this.mean(dims, true));
    // NOTE: n − 1 = −1 for an empty input; max(0, ·) makes it 0/0 = NaN, as PyTorch returns.
    return centered.mul(centered).sum(dims, keepdim).div(Math.max(0, unbiased ? count - 1 : count));
  }

  // ---- movement --------------------------------------------------------------------------------

  /** A tensor with the same elements in a new shape (one size may be −1). A view when possible. */
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    const target = flattenShapeArgs(shape);
    return applyOp('reshape', [this], { shape: target });
  }

  /** Like reshape, but throws unless the result can share storage (the tensor is contiguous). */
  view(...shape: number[] | [readonly number[]]): Tensor {
    if (!this.array.isContiguous()) {
      throw new Error(`view: the tensor of shape ${shapeString(this.shape)} is not contiguous; use reshape() (or contiguous().view())`);
    }
    return this.reshape(flattenShapeArgs(shape));
  }

  /** Swaps two dims (a view). */
  transpose(dim0: number, dim1: number): Tensor {
    if (this.ndim === 0) return this;
    const a = normalizeDim(dim0, this.ndim, 'transpose');
    const b = normalizeDim(dim1, this.ndim, 'transpose');
    const dims = Array.from({ length: this.ndim }, (_, i) => i);
    dims[a] = b;
    dims[b] = a;
    return this.permute(dims);
  }

  /** Reorders dims (a view). */
  permute(...dims: number[] | [readonly number[]]): Tensor {
    const order = flattenShapeArgs(dims).map((d) => normalizeDim(d, this.ndim, 'permute'));
    if (order.length !== this.ndim || new Set(order).size !== order.length) {
      throw new Error(`permute: dims [${order.join(', ')}] are not a permutation of the ${this.ndim} dims of shape ${shapeString(this.shape)}`);
    }
    return applyOp('permute', [this], { dims: order });
  }

  /** Broadcasts to `shape` without copying (−1 keeps a size). */
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return applyOp('expand', [this], { shape: flattenShapeArgs(shape) });
  }

  /** `length` elements of `dim` from `start` (a view). */
  narrow(dim: number, start: number, length: number): Tensor {
    return applyOp('narrow', [this], { dim: normalizeDim(dim, this.ndim, 'narrow'), start, length });
  }

  /**
   * A copy with its own storage (differentiable: the gradient passes through), as `torch.clone`.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * const a = tensor([1, 2]);
   * const b = a.clone();
   * b.array.data === a.array.data; // false
   * ```
   */
  clone(): Tensor {
    return applyOp('clone', [this], undefined);
  }

  /** A row-major copy if the tensor is a non-contiguous view, else itself. */
  contiguous(): Tensor {
    if (this.array.isContiguous()) return this;
    return applyOp('contiguous', [this], undefined);
  }

  /** Inserts a size-1 dim at `dim`. */
  unsqueeze(dim: number): Tensor {
    const d = normalizeDim(dim, this.ndim + 1, 'unsqueeze');
    const shape = [...this.shape];
    shape.splice(d, 0, 1);
    return this.reshape(shape);
  }

  /** Removes size-1 dims (all of them, or the given one if it has size 1). */
  squeeze(dim?: number): Tensor {
    if (dim === undefined) return this.reshape(this.shape.filter((s) => s !== 1));
    const d = normalizeDim(dim, this.ndim, 'squeeze');
    if (this.ndim === 0 || this.shape[d] !== 1) return this;
    return this.reshape(this.shape.filter((_, i) => i !== d));
  }

  /** Merges dims startDim … endDim into one. */
  flatten(startDim = 0, endDim = -1): Tensor {
    if (this.ndim === 0) return this.reshape([1]);
    const s = normalizeDim(startDim, this.ndim, 'flatten');
    const e = normalizeDim(endDim, this.ndim, 'flatten');
    if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
    const merged = this.shape.slice(s, e + 1).reduce((p, d) => p * d, 1);
    return this.reshape([...this.shape.slice(0, s), merged, ...this.shape.slice(e + 1)]);
  }

  // ---- linear algebra --------------------------------------------------------------------------

  /** Matrix product with PyTorch's matmul semantics (1-d operands, broadcast batch dims). */
  matmul(other: Tensor): Tensor {
    const [a, b] = binaryOperands(this, other);
    return applyOp('matmul', [a, b], undefined);
  }

  // ---- autograd --------------------------------------------------------------------------------

  /** The same values, cut from the graph (shares storage; requires no grad). */
  detach(): Tensor {
    return new Tensor(this.array);
  }

  /**
   * Computes the gradient of this tensor with respect to every leaf that requires grad, adding it
   * into their `.grad`. A non-scalar tensor needs an explicit `grad` of its own shape. With
   * `createGraph` the backward pass is recorded, so `.grad` can itself be differentiated (the graph
   * is then retained unless `retainGraph: false`). NOTE: PyTorch warns that accumulating a graph
   * into `.grad` makes a reference cycle; JavaScript's collector frees cycles, so tsgrad does not.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * const x = tensor([3], { dtype: 'float64', requiresGrad: true });
   * x.pow(3).sum().backward(undefined, { createGraph: true }); // x.grad = 3x² = 27, with a graph
   * const g = x.grad!;
   * x.grad = null;
   * g.sum().backward();                                         // d/dx 3x² = 6x
   * x.grad!.item(); // 18
   * ```
   */
  backward(grad?: Tensor, options: BackwardOptions = {}): void {
    if (!this.requiresGrad) {
      throw new Error('backward: this tensor does not require grad and has no grad_fn (did you forget requiresGrad: true, or run inside noGrad?)');
    }
    if (grad !== undefined && !(grad instanceof Tensor)) {
      throw new Error('backward: the gradient must be a Tensor (options go second: backward(undefined, { retainGraph: true }))');
    }
    const createGraph = options.createGraph ?? false;
    const seed = seedGradient(this, grad, 'backward');
    runBackward([this], [seed], { retainGraph: options.retainGraph ?? createGraph, createGraph });
  }

  /**
   * Registers `hook`, called with this tensor's gradient each time a backward computes it (before
   * it flows on, or into `.grad` for a leaf); it may return a replacement of the same shape and
   * dtype. Returns a handle whose `remove()` unregisters it. As `torch.Tensor.register_hook`.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * const x = tensor([1, 2], { requiresGrad: true });
   * const handle = x.registerHook((g) => g.mul(2)); // double the gradient
   * x.mul(3).sum().backward();
   * x.grad!.toArray(); // Float32Array [6, 6]
   * handle.remove();
   * ```
   */
  registerHook(hook: GradHook): RemovableHandle {
    if (typeof hook !== 'function') throw new Error(`registerHook: expected a function, got ${typeof hook}`);
    if (!this.requiresGrad) throw new Error(`registerHook: cannot register a hook on a tensor that does not require grad (${this.toString()})`);
    return addGradHook(this.gradFn ?? this, hook);
  }

  /**
   * Makes a non-leaf tensor keep its gradient in `.grad` after backward (leaves always do), adding
   * across backward calls as a leaf's does. As `torch.Tensor.retain_grad`.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * const x = tensor([1, 2], { requiresGrad: true });
   * const y = x.mul(3);
   * y.retainGrad();
   * y.sum().backward();
   * y.grad!.toArray(); // Float32Array [1, 1]
   * ```
   */
  retainGrad(): void {
    if (!this.requiresGrad) throw new Error(`retainGrad: cannot retain the gradient of a tensor that does not require grad (${this.toString()})`);
    if (this.isLeaf || this.retainsGrad) return;
    this.retainsGrad = true;
    addGradHook(this.gradFn!, (g) => {
      this.grad = this.grad === null ? g.clone() : this.grad.add(g);
    });
  }

  // ---- in place ------------------------------------------------------------------------------

  /**
   * How many in-place writes this tensor's storage has seen (PyTorch's `_version`), shared by all
   * views of it. Backward throws if a tensor it saved was written after the forward.
   */
  get version(): number {
    return storageVersion(this.array);
  }

  /**
   * Records an in-place write to this tensor's storage (bumps `version`). Call it after writing
   * `t.array.data` directly, as the optimizers, `loadStateDict` and `nn.init` do, so a backward
   * that saved this tensor throws instead of silently using the new values.
   */
  markModified(): void {
    bumpStorageVersion(this.array);
  }

  /**
   * Writes `other` (broadcast, cast to this dtype) into this tensor in place and bumps its version.
   * Like every in-place op it refuses a tensor that requires grad while grad mode is on (a leaf
   * that requires grad: PyTorch's rule; a non-leaf: tsgrad does not rewrite graphs in place).
   *
   * @example
   * ```ts
   * import { zeros, tensor } from 'tsgrad';
   * const a = zeros([2, 2]);
   * a.copy_(tensor([1, 2]));
   * a.toArray(); // Float32Array [1, 2, 1, 2]
   * ```
   */
  copy_(other: Operand): this {
    return this.writeInPlace('copy_', () => (typeof other === 'number' ? NDArray.scalar(other, this.dtype) : other.array.astype(this.dtype)));
  }

  /** Fills with zeros in place. */
  zero_(): this {
    return this.fill_(0);
  }

  /** Fills with `value` in place. */
  fill_(value: number): this {
    if (typeof value !== 'number') throw new Error(`fill_: the value must be a number, got ${typeof value} ${String(value)}`);
    return this.writeInPlace('fill_', () => NDArray.scalar(value, this.dtype));
  }

  /** this += other in place (broadcasting other to this tensor's shape). */
  add_(other: Operand): this {
    return this.writeInPlace('add_', () => noGrad(() => this.detach().add(other)).array);
  }

  /** this −= other in place. */
  sub_(other: Operand): this {
    return this.writeInPlace('sub_', () => noGrad(() => this.detach().sub(other)).array);
  }

  /** this ·= other in place. */
  mul_(other: Operand): this {
    return this.writeInPlace('mul_', () => noGrad(() => this.detach().mul(other)).array);
  }

  /** this /= other in place. */
  div_(other: Operand): this {
    return this.writeInPlace('div_', () => noGrad(() => this.detach().div(other)).array);
  }

  /** The shared body of the in-place ops: check, compute, copy into this storage, bump the version. */
  private writeInPlace(op: string, compute: () => NDArray): this {
    if (this.requiresGrad && isGradEnabled()) {
      throw new Error(
        this.isLeaf
          ? `${op}: a leaf tensor that requires grad (${this.toString()}) cannot be modified in place while grad mode is on; wrap the update in noGrad(() => …), as optimizers do`
          : `${op}: in-place ops on a tensor that is part of a graph (${this.toString()}, made by '${this.gradFn!.opName}') are not supported; use the out-of-place op`,
      );
    }
    const value = compute();
    if (!sameShape(broadcastShapes(value.shape, this.shape, op), this.shape)) {
      throw new Error(`${op}: a value of shape ${shapeString(value.shape)} cannot be written into a tensor of shape ${shapeString(this.shape)}`);
    }
    copyInto(this.array, value.expand(this.shape));
    bumpStorageVersion(this.array);
    return this;
  }

  // ---- reading values --------------------------------------------------------------------------

  /**
   * The elements in row-major order, as a fresh typed array of the tensor's dtype (always in
   * ordinary memory, even when the tensor's own storage is shared with the worker pool).
   */
  toArray(): Storage {
    const out = this.dtype === 'float64' ? new Float64Array(this.numel) : new Float32Array(this.numel);
    out.set(this.array.flat());
    return out;
  }

  /** The elements as nested JavaScript arrays (a number for 0-d tensors). */
  toNested(): NestedArray {
    const flat = this.toArray();
    const build = (dim: number, start: number): NestedArray => {
      if (dim === this.ndim) return flat[start]!;
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, start + i * stride));
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.numel !== 1) {
      throw new Error(`item: a tensor with ${this.numel} elements (shape ${shapeString(this.shape)}) cannot be converted to a number; only one-element tensors can`);
    }
    return this.array.data[this.array.offset]!;
  }

  /** A one-line description: shape, dtype and whether it requires grad (not the values). */
  toString(): string {
    return `Tensor(shape=${shapeString(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/**
 * Nested arrays of numbers, as `tensor()` accepts and `toNested()` returns (`[[1, 2], [3, 4]]`).
 */
export type NestedArray = number | NestedArray[];

/** Makes both operands tensors of one dtype (float32 with float64 promotes to float64). */
/** The upstream gradient of a backward from `t`: ones for a one-element t, else `grad` checked. */
export function seedGradient(t: Tensor, grad: Tensor | undefined, where: string): Tensor {
  if (grad === undefined) {
    if (t.numel !== 1) {
      throw new Error(`${where}: grad can be implicitly created only for scalar outputs; this tensor has shape ${shapeString(t.shape)}. Pass a gradient of that shape, e.g. t.backward(ones(t.shape)).`);
    }
    return new Tensor(NDArray.full(t.shape, 1, t.dtype));
  }
  if (!sameShape(grad.shape, t.shape)) {
    throw new Error(`${where}: the gradient has shape ${shapeString(grad.shape)}, but the tensor has shape ${shapeString(t.shape)}`);
  }
  return grad.dtype === t.dtype ? grad : grad.to(t.dtype);
}

function binaryOperands(a: Tensor, b: Operand): [Tensor, Tensor] {
  if (typeof b === 'number') return [a, new Tensor(NDArray.scalar(b, a.dtype))];
  if (!(b instanceof Tensor)) throw new Error(`expected a Tensor or a number, got ${String(b)}`);
  if (a.dtype === b.dtype) return [a, b];
  const dtype = promoteTypes(a.dtype, b.dtype);
  return [a.to(dtype), b.to(dtype)];
}

/** Accepts both `reshape(2, 3)` and `reshape([2, 3])`. */
function flattenShapeArgs(args: number[] | [readonly number[]]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}

/** Default dtype helper for creation functions; a given dtype is checked (JS callers can pass anything). */
export function resolveDtype(dtype: DType | undefined, where = 'dtype'): DType {
  if (dtype === undefined) return getDefaultDtype();
  assertDtype(dtype, where);
  return dtype;
}
