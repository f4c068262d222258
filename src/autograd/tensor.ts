import { assertDtype, getDefaultDtype, promoteTypes, type DType, type Storage } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { broadcastShapes, normalizeDim, normalizeDims, sameShape, shapeString, sizeOf } from '../tensor/shape.js';
import { applyOp } from './apply.js';
import { runBackward } from './engine.js';
import type { GraphNode } from './node.js';

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
  /** Keep the graph's saved values so backward can run through it again. */
  retainGraph?: boolean;
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
    return centered.mul(centered).sum(dims, keepdim).div(unbiased ? count - 1 : count);
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
   * into their `.grad`. A non-scalar tensor needs an explicit `grad` of its own shape.
   */
  backward(grad?: Tensor, options: BackwardOptions = {}): void {
    if (!this.requiresGrad) {
      throw new Error('backward: this tensor does not require grad and has no grad_fn (did you forget requiresGrad: true, or run inside noGrad?)');
    }
    if (grad !== undefined && !(grad instanceof Tensor)) {
      throw new Error('backward: the gradient must be a Tensor (options go second: backward(undefined, { retainGraph: true }))');
    }
    let seed: NDArray;
    if (grad === undefined) {
      if (this.numel !== 1) {
        throw new Error(`backward: grad can be implicitly created only for scalar outputs; this tensor has shape ${shapeString(this.shape)}. Pass a gradient of that shape, e.g. t.backward(ones(t.shape)).`);
      }
      seed = NDArray.full(this.shape, 1, this.dtype);
    } else {
      if (!sameShape(grad.shape, this.shape)) {
        throw new Error(`backward: the gradient has shape ${shapeString(grad.shape)}, but the tensor has shape ${shapeString(this.shape)}`);
      }
      seed = grad.array.astype(this.dtype);
    }
    runBackward(this, seed, options.retainGraph ?? false);
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
