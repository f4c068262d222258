import {
  assertDtype, floatDtypeFor, getDefaultDtype, isFloatingDtype, promoteOperandTypes, promoteTypes, promoteWithNumber, storageOf, type DType, type Storage,
} from '../tensor/dtype.js';
import { NDArray, copyInto } from '../tensor/ndarray.js';
import { mapBinary, mapUnary } from '../tensor/kernels/elementwise.js';
import { allAny, argExtreme, sortIndices } from '../tensor/kernels/compare.js';
import { nonzeroFlat } from '../tensor/kernels/indexing.js';
import { maxDims, reducedShape } from '../tensor/kernels/reduce.js';
import { resolveSlice } from '../tensor/kernels/slicing.js';
import { checkFlag, checkOptions, type OptionNames } from '../tensor/options.js';
import { broadcastShapes, checkShape, formatValue, normalizeDim, normalizeDims, sameShape, shapeString, sizeOf } from '../tensor/shape.js';
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
 * Options of the `Tensor` constructor, which wraps an `NDArray` without copying it (`tensor()`,
 * `zeros()` and the other creation functions are the usual way to make a tensor).
 */
export interface TensorInit {
  /** Make the tensor a leaf that collects gradients in `.grad` (default false; float dtypes only). */
  requiresGrad?: boolean;
  /** The graph node that produced the tensor (ops set it; null, the default, for a leaf). */
  gradFn?: GraphNode | null;
}

const TENSOR_INIT: OptionNames<TensorInit> = { requiresGrad: 'flag', gradFn: true };
const VAR_OPTIONS: OptionNames<VarOptions> = { unbiased: 'flag', keepdim: 'flag' };
const BACKWARD_OPTIONS: OptionNames<BackwardOptions> = { retainGraph: 'flag', createGraph: 'flag' };
const SORT_OPTIONS: OptionNames<SortOptions> = { descending: 'flag' };
const TOPK_OPTIONS: OptionNames<TopkOptions> = { largest: 'flag', sorted: 'flag' };

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

  constructor(array: NDArray, options?: TensorInit) {
    checkOptions(options, TENSOR_INIT, 'Tensor');
    this.array = array;
    this.gradFn = options?.gradFn ?? null;
    this.requiresGradFlag = false;
    if (options?.requiresGrad === true) this.requiresGrad = true; // the setter checks the dtype
  }

  /**
   * The output of a recorded op: requires grad, produced by `node`. What `new Tensor(array,
   * { requiresGrad: true, gradFn: node })` makes, without checking options the engine writes itself
   * (once per recorded op).
   */
  static recorded(array: NDArray, node: GraphNode): Tensor {
    const t = new Tensor(array);
    t.gradFn = node;
    if (isFloatingDtype(array.dtype)) t.requiresGradFlag = true;
    else t.requiresGrad = true; // throws the setter's dtype error, as the constructor did
    return t;
  }

  // ---- properties ----------------------------------------------------------------------------

  /** The size of each dim, outermost first (`[]` for a scalar). */
  get shape(): readonly number[] {
    return this.array.shape;
  }

  /** The element type: `'float32'`, `'float64'`, `'int32'` or `'bool'`. */
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
    checkFlag(flag, 'requiresGrad', 'requiresGrad');
    if (this.gradFn !== null && !flag) {
      throw new Error('requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach()');
    }
    if (flag && !isFloatingDtype(this.dtype)) {
      // PyTorch: "Only Tensors of floating point dtype can require gradients".
      throw new Error(`requiresGrad: only float32/float64 tensors can require gradients; this one is ${this.dtype} (shape ${shapeString(this.shape)}). Convert with .to('float32') first`);
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
    const [a, b] = binaryOperands(this, other, 'add');
    // bool + bool is bool (logical or), as in PyTorch.
    if (a.dtype === 'bool') return a.logicalOr(b);
    return applyOp('add', [a, b], undefined);
  }

  /** a − b = a + (−b) (a composite: its gradient comes from add and neg). */
  sub(other: Operand): Tensor {
    if (this.dtype === 'bool' && (typeof other === 'number' || other.dtype === 'bool')) {
      throw new Error(`sub: subtracting from a bool tensor is not supported (as PyTorch); use logicalXor-style logic or convert with .to('int32')`);
    }
    if (typeof other === 'number') return this.add(-other);
    const [a, b] = binaryOperands(this, other, 'sub');
    broadcastShapes(a.shape, b.shape, 'sub'); // a shape error names sub, not the add inside it
    return a.add(b.neg());
  }

  /** Elementwise a · b, broadcasting. */
  mul(other: Operand): Tensor {
    const [a, b] = binaryOperands(this, other, 'mul');
    // bool · bool is bool (logical and), as in PyTorch.
    if (a.dtype === 'bool') return a.logicalAnd(b);
    return applyOp('mul', [a, b], undefined);
  }

  /**
   * a / b = a · b⁻¹ (a composite of mul and pow). True division, as PyTorch: int32 and bool operands
   * are divided in the default float dtype (`tensor([3], {dtype: 'int32'}).div(2)` is 1.5).
   */
  div(other: Operand): Tensor {
    if (typeof other === 'number') return this.toFloat().mul(1 / other);
    // Promote first: float64 / float32 must not take b⁻¹ in float32.
    const [ai, bi] = binaryOperands(this, other, 'div');
    const a = ai.toFloat();
    const b = bi.toFloat();
    broadcastShapes(a.shape, b.shape, 'div'); // a shape error names div, not the mul inside it
    return a.mul(b.pow(-1));
  }

  /**
   * Elementwise power; the exponent may be a number or a tensor (broadcast). An int32 base with an
   * integer exponent stays int32 (a negative one is an error, as PyTorch); bool computes as int32.
   */
  pow(exponent: Operand): Tensor {
    const [a0, b0] = binaryOperands(this, exponent, 'pow');
    const [a, b] = a0.dtype === 'bool' ? [a0.to('int32'), b0.to('int32')] : [a0, b0];
    if (a.dtype === 'int32' && b.array.flat().some((v) => v < 0)) {
      throw new Error('pow: integers to negative integer powers are not allowed (as PyTorch); convert the base with .to(\'float32\')');
    }
    return applyOp('pow', [a, b], undefined);
  }

  /** Elementwise −x (not defined for bool, as PyTorch). */
  neg(): Tensor {
    if (this.dtype === 'bool') throw new Error("neg: negation of a bool tensor is not supported (as PyTorch); use logicalNot()");
    return applyOp('neg', [this], undefined);
  }

  /** Elementwise eˣ (int32/bool inputs compute in the default float dtype, as PyTorch). */
  exp(): Tensor {
    return applyOp('exp', [this.toFloat()], undefined);
  }

  /** Elementwise natural logarithm (−Infinity at 0, NaN below). */
  log(): Tensor {
    return applyOp('log', [this.toFloat()], undefined);
  }

  /** Elementwise square root. */
  sqrt(): Tensor {
    return applyOp('sqrt', [this.toFloat()], undefined);
  }

  /** Elementwise |x| (its gradient at 0 is 0, as in PyTorch). */
  abs(): Tensor {
    return applyOp('abs', [this], undefined);
  }

  /** Elementwise hyperbolic tangent. */
  tanh(): Tensor {
    return applyOp('tanh', [this.toFloat()], undefined);
  }

  /** Elementwise logistic sigmoid σ(x) = 1 / (1 + e⁻ˣ). */
  sigmoid(): Tensor {
    return applyOp('sigmoid', [this.toFloat()], undefined);
  }

  /** Elementwise max(x, 0) (its gradient at 0 is 0, as in PyTorch). */
  relu(): Tensor {
    return applyOp('relu', [this], undefined);
  }

  /** Elementwise error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt. */
  erf(): Tensor {
    return applyOp('erf', [this.toFloat()], undefined);
  }

  /** x² as x·x (exact, unlike pow(2) through exp/log in some libraries). */
  square(): Tensor {
    return this.mul(this);
  }

  /**
   * Converts to another dtype (a no-op when the dtype is the same). Between float dtypes it is
   * differentiable; to int32 it truncates toward zero and to bool it tests `!== 0` (as PyTorch),
   * and the result is not differentiable (an integer tensor never requires grad).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([-1.7, 0.5, 2.9]).to('int32').toArray(); // Int32Array [-1, 0, 2]
   * tensor([0, 0.5, -2]).to('bool').toArray();      // Uint8Array [0, 1, 1]
   * ```
   */
  to(dtype: DType): Tensor {
    assertDtype(dtype, 'to');
    if (dtype === this.dtype) return this;
    if (!isFloatingDtype(dtype)) return new Tensor(this.array.astype(dtype));
    return applyOp('cast', [this], { dtype });
  }

  /** This tensor in a floating dtype: itself when float, else cast to the default dtype. */
  private toFloat(): Tensor {
    return this.to(floatDtypeFor(this.dtype));
  }

  // ---- reductions ------------------------------------------------------------------------------

  /** Sum over `dim` (a number, a list, or all dims when omitted). */
  sum(dim?: number | readonly number[], keepdim = false): Tensor {
    checkFlag(keepdim, 'keepdim', 'sum');
    const dims = normalizeDims(dim, this.ndim, 'sum');
    // A bool sum counts (int32; PyTorch gives int64). An int32 sum stays int32 and wraps on overflow.
    return applyOp('sum', [this.dtype === 'bool' ? this.to('int32') : this], { dims, keepdim });
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
    checkFlag(keepdim, 'keepdim', 'mean');
    requireFloat(this, 'mean');
    const dims = normalizeDims(dim, this.ndim, 'mean');
    const count = dims.reduce((p, d) => p * this.shape[d]!, 1);
    return this.sum(dims, keepdim).div(count);
  }

  /**
   * Max over `dim` (all dims when omitted). NOTE: where several elements tie for the maximum, the
   * gradient is split evenly among them.
   */
  max(dim?: number | readonly number[], keepdim = false): Tensor {
    checkFlag(keepdim, 'keepdim', 'max');
    const dims = normalizeDims(dim, this.ndim, 'max');
    return applyOp('max', [this], { dims, keepdim });
  }

  /**
   * Variance over `dim` (all dims when omitted): Σ(x − mean)² / (n − 1) when `unbiased` (the
   * default, as in PyTorch), else / n. A composite of mean, sub, mul and sum.
   */
  var(dim?: number | readonly number[], options?: VarOptions): Tensor {
    checkOptions(options, VAR_OPTIONS, 'var');
    checkFlag(options?.unbiased, 'unbiased', 'var');
    checkFlag(options?.keepdim, 'keepdim', 'var');
    const unbiased = options?.unbiased ?? true;
    const keepdim = options?.keepdim ?? false;
    requireFloat(this, 'var');
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

  /** `length` elements of `dim` from `start` (a view); a negative start counts from the end, as PyTorch. */
  narrow(dim: number, start: number, length: number): Tensor {
    const d = normalizeDim(dim, this.ndim, 'narrow');
    const size = this.ndim === 0 ? 1 : this.shape[d]!;
    // PyTorch: start in [−size, size), wrapped like a dim; an out-of-range start stays an error below.
    const from = Number.isInteger(start) && start < 0 && start >= -size ? start + size : start;
    return applyOp('narrow', [this], { dim: d, start: from, length });
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
    const [a, b] = binaryOperands(this, other, 'matmul');
    return applyOp('matmul', [a, b], undefined);
  }

  // ==== issue 13 part B: comparisons, logic, arg-reductions, sorting, indexing =====================
  // Integer and bool results are not differentiable (no graph node is recorded); sort/topk values
  // and the indexing ops are, through the gather/scatter/scatterAdd primitives (ops/indexing.ts).

  /**
   * Elementwise a == b as a bool tensor, broadcasting; the operands are promoted first (as PyTorch).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 2, 3]).eq(tensor([1, 0, 3])).toArray(); // Uint8Array [1, 0, 1]
   * ```
   */
  eq(other: Operand): Tensor {
    return compare(this, other, 'eq', (a, b) => (a === b ? 1 : 0));
  }

  /**
   * Elementwise a != b as a bool tensor (NaN != NaN is true).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 2]).ne(2).toArray(); // Uint8Array [1, 0]
   * ```
   */
  ne(other: Operand): Tensor {
    return compare(this, other, 'ne', (a, b) => (a !== b ? 1 : 0));
  }

  /**
   * Elementwise a < b as a bool tensor.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 2, 3]).lt(2).toArray(); // Uint8Array [1, 0, 0]
   * ```
   */
  lt(other: Operand): Tensor {
    return compare(this, other, 'lt', (a, b) => (a < b ? 1 : 0));
  }

  /**
   * Elementwise a ≤ b as a bool tensor.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 2, 3]).le(2).toArray(); // Uint8Array [1, 1, 0]
   * ```
   */
  le(other: Operand): Tensor {
    return compare(this, other, 'le', (a, b) => (a <= b ? 1 : 0));
  }

  /**
   * Elementwise a > b as a bool tensor.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 2, 3]).gt(2).toArray(); // Uint8Array [0, 0, 1]
   * ```
   */
  gt(other: Operand): Tensor {
    return compare(this, other, 'gt', (a, b) => (a > b ? 1 : 0));
  }

  /**
   * Elementwise a ≥ b as a bool tensor.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 2, 3]).ge(2).toArray(); // Uint8Array [0, 1, 1]
   * ```
   */
  ge(other: Operand): Tensor {
    return compare(this, other, 'ge', (a, b) => (a >= b ? 1 : 0));
  }

  /**
   * Elementwise logical and of any dtypes (non-zero is true, NaN included), as a bool tensor.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([0, 1, 2]).logicalAnd(tensor([1, 1, 0])).toArray(); // Uint8Array [0, 1, 0]
   * ```
   */
  logicalAnd(other: Operand): Tensor {
    return logical(this, other, 'logicalAnd', (a, b) => (a !== 0 && b !== 0 ? 1 : 0));
  }

  /**
   * Elementwise logical or (non-zero is true), as a bool tensor.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([0, 1, 0]).logicalOr(tensor([0, 0, 3])).toArray(); // Uint8Array [0, 1, 1]
   * ```
   */
  logicalOr(other: Operand): Tensor {
    return logical(this, other, 'logicalOr', (a, b) => (a !== 0 || b !== 0 ? 1 : 0));
  }

  /**
   * Elementwise logical not (zero becomes true), as a bool tensor.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([0, 1, -2]).logicalNot().toArray(); // Uint8Array [1, 0, 0]
   * ```
   */
  logicalNot(): Tensor {
    return new Tensor(mapUnary(this.array, (v) => (v === 0 ? 1 : 0), 'bool'));
  }

  /**
   * Elementwise test for NaN, as a bool tensor.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, NaN]).isnan().toArray(); // Uint8Array [0, 1]
   * ```
   */
  isnan(): Tensor {
    return new Tensor(mapUnary(this.array, (v) => (v !== v ? 1 : 0), 'bool'));
  }

  /**
   * Elementwise test for a finite value (not NaN, not ±Infinity), as a bool tensor.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, Infinity, NaN]).isfinite().toArray(); // Uint8Array [1, 0, 0]
   * ```
   */
  isfinite(): Tensor {
    return new Tensor(mapUnary(this.array, (v) => (Number.isFinite(v) ? 1 : 0), 'bool'));
  }

  /**
   * This tensor with `value` wherever the bool `mask` (broadcast to this shape) is true. `value` is
   * a number (converted to this dtype) or a 0-d tensor (differentiable). Differentiable in this
   * tensor: the filled elements get no gradient.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * const x = tensor([[1, 2], [3, 4]]);
   * x.maskedFill(x.gt(2), 0).toArray(); // Float32Array [1, 2, 0, 0]
   * ```
   */
  maskedFill(mask: Tensor, value: Operand): Tensor {
    const m = boolMask(mask, 'maskedFill');
    if (!sameShape(broadcastShapes(m.shape, this.shape, 'maskedFill'), this.shape)) {
      throw new Error(`maskedFill: the mask of shape ${shapeString(m.shape)} does not broadcast to the tensor's shape ${shapeString(this.shape)}`);
    }
    let fill: Tensor;
    if (typeof value === 'number') {
      fill = new Tensor(NDArray.scalar(value, this.dtype));
    } else {
      if (!(value instanceof Tensor) || value.ndim !== 0) throw new Error(`maskedFill: the value must be a number or a 0-d tensor, got ${value instanceof Tensor ? `shape ${shapeString(value.shape)}` : String(value)}`);
      fill = value.to(this.dtype);
    }
    return applyOp('where', [m, fill, this], undefined);
  }

  /**
   * The index of the maximum along `dim` (of the flattened tensor when omitted), as int32. Ties give
   * the first index; NaN counts as the maximum (as PyTorch). With `keepdim` and no dim, every dim
   * becomes size 1 (as torch 1.13).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([[1, 5, 5], [7, 0, 2]]).argmax(1).toArray(); // Int32Array [1, 0]
   * ```
   */
  argmax(dim?: number, keepdim = false): Tensor {
    return argReduce(this, dim, keepdim, true, 'argmax');
  }

  /**
   * The index of the minimum along `dim` (of the flattened tensor when omitted), as int32. Ties give
   * the first index; NaN counts as the minimum (as PyTorch).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([[1, 5, 0], [7, 0, 0]]).argmin(1).toArray(); // Int32Array [2, 1]
   * ```
   */
  argmin(dim?: number, keepdim = false): Tensor {
    return argReduce(this, dim, keepdim, false, 'argmin');
  }

  /**
   * Whether every element along `dim` (a number, a list, or all dims when omitted) is non-zero, as
   * bool. all() of no elements is true.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([[1, 2], [0, 3]]).all(1).toArray(); // Uint8Array [1, 0]
   * ```
   */
  all(dim?: number | readonly number[], keepdim = false): Tensor {
    checkFlag(keepdim, 'keepdim', 'all');
    return new Tensor(allAny(this.array, normalizeDims(dim, this.ndim, 'all'), keepdim, true));
  }

  /**
   * Whether some element along `dim` (all dims when omitted) is non-zero, as bool. any() of no
   * elements is false.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([[0, 0], [0, 3]]).any(1).toArray(); // Uint8Array [0, 1]
   * ```
   */
  any(dim?: number | readonly number[], keepdim = false): Tensor {
    checkFlag(keepdim, 'keepdim', 'any');
    return new Tensor(allAny(this.array, normalizeDims(dim, this.ndim, 'any'), keepdim, false));
  }

  /**
   * Sorts along `dim` (default the last): `values` (differentiable: the gradient goes back to the
   * element each value came from) and `indices` (int32, into this tensor along `dim`). The sort is
   * stable — equal values keep their order, ascending and descending alike, as PyTorch's
   * `sort(stable=True)`; NaN sorts above every number.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * const { values, indices } = tensor([3, 1, 2, 1]).sort();
   * values.toArray();  // Float32Array [1, 1, 2, 3]
   * indices.toArray(); // Int32Array [1, 3, 2, 0]
   * ```
   */
  sort(dim = -1, options: SortOptions = {}): ValuesIndices {
    checkOptions(options, SORT_OPTIONS, 'sort');
    checkFlag(options.descending, 'descending', 'sort');
    const d = normalizeDim(dim, this.ndim, 'sort');
    return sortedPart(this, d, options.descending ?? false, undefined, 'sort');
  }

  /**
   * The `k` largest (or, with `largest: false`, smallest) elements along `dim` (default the last),
   * in order from the most extreme: `{ values, indices }` as `sort`. Ties keep the lower index first
   * (PyTorch leaves their order unspecified). `sorted: false` is accepted and still returns them
   * sorted (a valid order for PyTorch's unspecified one).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * const { values, indices } = tensor([1, 9, 4, 7]).topk(2);
   * values.toArray();  // Float32Array [9, 7]
   * indices.toArray(); // Int32Array [1, 3]
   * ```
   */
  topk(k: number, dim = -1, options: TopkOptions = {}): ValuesIndices {
    checkOptions(options, TOPK_OPTIONS, 'topk');
    checkFlag(options.largest, 'largest', 'topk');
    checkFlag(options.sorted, 'sorted', 'topk');
    const d = normalizeDim(dim, this.ndim, 'topk');
    const size = this.ndim === 0 ? 1 : this.shape[d]!;
    if (!Number.isInteger(k) || k < 0 || k > size) {
      throw new Error(`topk: k = ${k} is out of range for dim ${dim} of size ${size} (shape ${shapeString(this.shape)}); expected an integer in [0, ${size}]`);
    }
    return sortedPart(this, d, options.largest ?? true, k, 'topk');
  }

  /**
   * out[i][j] = x[index[i][j]][j] for dim 0, out[i][j] = x[i][index[i][j]] for dim 1 (and so on): the
   * result has the index's shape, which must have this tensor's number of dims and be no larger
   * in the other dims. `index` is an int32 tensor or nested arrays of integers. Differentiable
   * (backward is scatterAdd).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * const x = tensor([[1, 2], [3, 4]]);
   * x.gather(1, [[0, 0], [1, 0]]).toArray(); // Float32Array [1, 1, 4, 3]
   * ```
   */
  gather(dim: number, index: IndexLike): Tensor {
    const d = normalizeDim(dim, this.ndim, 'gather');
    return applyOp('gather', [this], { dim: d, index: indexArray(index, 'gather') });
  }

  /**
   * A copy of this tensor with src's elements written at the index (for dim 0:
   * out[index[i][j]][j] = src[i][j]). `src` is a tensor of this dtype (at least the index's shape)
   * or a number. NOTE: where the index repeats, the last write in row-major order wins (PyTorch
   * leaves it unspecified). Differentiable in this tensor and in src.
   *
   * @example
   * ```ts
   * import { zeros } from 'tsgrad';
   * zeros([2, 3]).scatter(1, [[2], [0]], 5).toArray(); // Float32Array [0, 0, 5, 5, 0, 0]
   * ```
   */
  scatter(dim: number, index: IndexLike, src: Operand): Tensor {
    const d = normalizeDim(dim, this.ndim, 'scatter');
    const idx = indexArray(index, 'scatter');
    return applyOp('scatter', [this, scatterSource(this, idx, src, 'scatter')], { dim: d, index: idx });
  }

  /**
   * A copy of this tensor with src's elements added at the index (for dim 0:
   * out[index[i][j]][j] += src[i][j]); repeated indices add up. Differentiable (the gradient of src
   * is a gather).
   *
   * @example
   * ```ts
   * import { tensor, zeros } from 'tsgrad';
   * zeros([3]).scatterAdd(0, [0, 2, 0], tensor([1, 2, 3])).toArray(); // Float32Array [4, 0, 2]
   * ```
   */
  scatterAdd(dim: number, index: IndexLike, src: Tensor): Tensor {
    const d = normalizeDim(dim, this.ndim, 'scatterAdd');
    const idx = indexArray(index, 'scatterAdd');
    return applyOp('scatterAdd', [this, scatterSource(this, idx, src, 'scatterAdd')], { dim: d, index: idx });
  }

  /**
   * The entries `index` (1-d: an int32 tensor or an array of integers) along `dim`, in that order,
   * repeats allowed. Differentiable (a gather of the index broadcast along the other dims).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([[1, 2], [3, 4], [5, 6]]).indexSelect(0, [2, 0]).toArray(); // Float32Array [5, 6, 1, 2]
   * ```
   */
  indexSelect(dim: number, index: IndexLike): Tensor {
    const d = normalizeDim(dim, this.ndim, 'indexSelect');
    const idx = indexArray(index, 'indexSelect');
    if (idx.ndim > 1) throw new Error(`indexSelect: the index must be 1-d, got shape ${shapeString(idx.shape)}`);
    if (this.ndim === 0) return this.reshape([1]).indexSelect(0, new Tensor(idx.reshape([-1]))).reshape(idx.shape);
    const size = this.shape[d]!;
    const flat = idx.flat();
    for (let i = 0; i < flat.length; i++) {
      if (flat[i]! < 0 || flat[i]! >= size) throw new Error(`indexSelect: index ${flat[i]} (at [${i}] of the index) is out of range for dim ${dim} of size ${size}`);
    }
    const outShape = [...this.shape];
    outShape[d] = flat.length;
    const alongDim = this.shape.map((_, k) => (k === d ? flat.length : 1));
    return this.gather(d, new Tensor(idx.reshape(alongDim).expand(outShape)));
  }

  /**
   * The elements where the bool `mask` is true, as a 1-d tensor in row-major order; the mask and
   * this tensor broadcast together (as PyTorch). Differentiable.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * const x = tensor([[1, -2], [-3, 4]]);
   * x.maskedSelect(x.gt(0)).toArray(); // Float32Array [1, 4]
   * ```
   */
  maskedSelect(mask: Tensor): Tensor {
    const m = boolMask(mask, 'maskedSelect');
    const shape = broadcastShapes(m.shape, this.shape, 'maskedSelect');
    const positions = nonzeroFlat(m.array.expand(shape));
    return this.expand(shape).reshape([-1]).gather(0, new Tensor(positions));
  }

  // ==== end of issue 13 part B ======================================================================

  // ==== issue 13 part A (wt/ops): float elementwise functions ===================================

  /**
   * Elementwise sine (radians).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([0, Math.PI / 2], { dtype: 'float64' }).sin().toArray(); // Float64Array [0, 1]
   * ```
   */
  sin(): Tensor {
    return applyOp('sin', [this], undefined);
  }

  /**
   * Elementwise cosine (radians).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([0, Math.PI], { dtype: 'float64' }).cos().toArray(); // Float64Array [1, -1]
   * ```
   */
  cos(): Tensor {
    return applyOp('cos', [this], undefined);
  }

  /**
   * Elementwise 1/x (Infinity at 0), as `pow(-1)`.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([2, -4, 0]).reciprocal().toArray(); // Float32Array [0.5, -0.25, Infinity]
   * ```
   */
  reciprocal(): Tensor {
    return this.pow(-1);
  }

  /**
   * Elementwise 1/√x (Infinity at 0, NaN below), as `pow(-0.5)`.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([4, 0.25]).rsqrt().toArray(); // Float32Array [0.5, 2]
   * ```
   */
  rsqrt(): Tensor {
    return this.pow(-0.5);
  }

  /**
   * Limits every element to [min, max]: `minimum(maximum(x, min), max)`, as `torch.clamp`. Each bound
   * is a number, a tensor (broadcast, promoting the dtype) or omitted (`undefined`/`null`); at least
   * one must be given. When min > max every element becomes max, as in PyTorch; NaN stays NaN.
   * Gradient (PyTorch's): x gets it where min ≤ x ≤ max (bounds included), a tensor min where
   * x < min < max, a tensor max where x > max or max < min.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([-2, 0.5, 3]).clamp(-1, 1).toArray();          // Float32Array [-1, 0.5, 1]
   * tensor([-2, 0.5, 3]).clamp(0).toArray();              // Float32Array [0, 0.5, 3]
   * tensor([-2, 0.5, 3]).clamp(null, tensor([0, 0, 2])).toArray(); // Float32Array [-2, 0, 2]
   * ```
   */
  clamp(min?: Operand | null, max?: Operand | null): Tensor {
    const given = (b: Operand | null | undefined): b is Operand => b !== undefined && b !== null;
    if (!given(min) && !given(max)) throw new Error('clamp: at least one of min and max must be given (a number or a tensor)');
    for (const [name, b] of [['min', min], ['max', max]] as const) {
      if (given(b) && typeof b !== 'number' && !(b instanceof Tensor)) throw new Error(`clamp: ${name} must be a number or a Tensor, got ${String(b)}`);
    }
    let dtype = this.dtype;
    for (const b of [min, max]) if (b instanceof Tensor) dtype = promoteOperandTypes(dtype, this.ndim, b.dtype, b.ndim);
    const bound = (b: Operand | null | undefined, missing: number): Tensor =>
      b instanceof Tensor ? b.to(dtype) : new Tensor(NDArray.scalar(given(b) ? b : missing, dtype));
    return applyOp('clamp', [this.to(dtype), bound(min, -Infinity), bound(max, Infinity)], undefined);
  }

  /**
   * Elementwise maximum of two tensors (broadcasting; a number takes the tensor's dtype). NaN in
   * either gives NaN. NOTE: where they tie, each receives half the gradient (PyTorch's rule).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 5, 3]).maximum(tensor([4, 2, 3])).toArray(); // Float32Array [4, 5, 3]
   * ```
   */
  maximum(other: Operand): Tensor {
    const [a, b] = binaryOperands(this, other, 'maximum');
    return applyOp('maximum', [a, b], undefined);
  }

  /**
   * Elementwise minimum of two tensors (broadcasting; a number takes the tensor's dtype). NaN in
   * either gives NaN. NOTE: where they tie, each receives half the gradient (PyTorch's rule).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 5, 3]).minimum(tensor([4, 2, 3])).toArray(); // Float32Array [1, 2, 3]
   * ```
   */
  minimum(other: Operand): Tensor {
    const [a, b] = binaryOperands(this, other, 'minimum');
    return applyOp('minimum', [a, b], undefined);
  }

  /**
   * Elementwise sign: −1, 0 or 1 (0 for ±0). Its gradient is 0. NOTE: sign(NaN) is NaN (torch 1.13
   * gives 0; tsgrad does not turn a NaN into a number).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([-2, 0, 3]).sign().toArray(); // Float32Array [-1, 0, 1]
   * ```
   */
  sign(): Tensor {
    return applyOp('stepwise', [this], { fn: 'sign' });
  }

  /**
   * Elementwise round down to an integer. Its gradient is 0 (everywhere, as PyTorch's).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1.7, -1.2]).floor().toArray(); // Float32Array [1, -2]
   * ```
   */
  floor(): Tensor {
    return applyOp('stepwise', [this], { fn: 'floor' });
  }

  /**
   * Elementwise round up to an integer. Its gradient is 0.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1.2, -1.7]).ceil().toArray(); // Float32Array [2, -1]
   * ```
   */
  ceil(): Tensor {
    return applyOp('stepwise', [this], { fn: 'ceil' });
  }

  /**
   * Elementwise round to the nearest integer, halves to the even one (as `torch.round`: 0.5 → 0,
   * 1.5 → 2, 2.5 → 2, −2.5 → −2). Its gradient is 0.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([0.5, 1.5, 2.5, -2.5, 2.6]).round().toArray(); // Float32Array [0, 2, 2, -2, 3]
   * ```
   */
  round(): Tensor {
    return applyOp('stepwise', [this], { fn: 'round' });
  }

  /**
   * Elementwise ln(1 + x), accurate for small x.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1e-20, Math.E - 1], { dtype: 'float64' }).log1p().toArray(); // Float64Array [1e-20, 1] (log(1 + 1e-20) would be 0)
   * ```
   */
  log1p(): Tensor {
    return applyOp('log1p', [this], undefined);
  }

  /**
   * Elementwise eˣ − 1, accurate for small x.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1e-20, 0], { dtype: 'float64' }).expm1().toArray(); // Float64Array [1e-20, 0] (exp(1e-20) − 1 would be 0)
   * ```
   */
  expm1(): Tensor {
    return applyOp('expm1', [this], undefined);
  }

  /**
   * Elementwise base-2 logarithm.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([8, 0.5]).log2().toArray(); // Float32Array [3, -1]
   * ```
   */
  log2(): Tensor {
    return applyOp('log2', [this], undefined);
  }

  /**
   * Elementwise 2ˣ.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([3, -1]).exp2().toArray(); // Float32Array [8, 0.5]
   * ```
   */
  exp2(): Tensor {
    return applyOp('exp2', [this], undefined);
  }

  /**
   * Elementwise atan2(this, other): the angle of the point (other, this), in (−π, π], broadcasting.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 1], { dtype: 'float64' }).atan2(tensor([1, -1], { dtype: 'float64' })).toArray(); // Float64Array [π/4, 3π/4]
   * ```
   */
  atan2(other: Operand): Tensor {
    const [a, b] = binaryOperands(this, other, 'atan2');
    return applyOp('atan2', [a, b], undefined);
  }

  // ==== issue 13 part A (wt/ops): reductions and scans ===========================================

  /**
   * Min over `dim` (a number, a list, or all dims when omitted), as `torch.amin`: the values only.
   * NaN propagates. NOTE: where several elements tie for the minimum, the gradient is split evenly
   * among them (as `amin`). Throws for an empty reduction (min has no identity).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * const x = tensor([[3, 1], [2, 5]]);
   * x.min().item();         // 1
   * x.min(0).toArray();     // Float32Array [2, 1]
   * x.min(-1, true).shape;  // [2, 1]
   * ```
   */
  min(dim?: number | readonly number[], keepdim = false): Tensor {
    checkFlag(keepdim, 'keepdim', 'min');
    const dims = normalizeDims(dim, this.ndim, 'min');
    if (this.ndim > 0 && dims.some((d) => this.shape[d] === 0)) {
      throw new Error(`min: cannot reduce over an empty dimension of shape ${shapeString(this.shape)} (no identity for min)`);
    }
    // −max(−x) is exact, and max's backward already splits ties evenly.
    return this.neg().max(dims, keepdim).neg();
  }

  /**
   * log Σ exp(x) over `dim` (a number or a list; required, as in PyTorch), computed stably as
   * m + log Σ exp(x − m) with m the max (taken as a constant; a ±∞ max is replaced by 0, as
   * PyTorch, so a row of −∞ gives −∞ and a +∞ gives +∞). An empty reduction gives −∞. Its gradient
   * is the softmax of x over `dim`.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([[0, 0], [1000, 1000]], { dtype: 'float64' }).logsumexp(1).toArray(); // Float64Array [ln 2, 1000 + ln 2]
   * ```
   */
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor {
    checkFlag(keepdim, 'keepdim', 'logsumexp');
    if (dim === undefined) throw new Error('logsumexp: dim is required (a number or a list of dims), as in PyTorch');
    const dims = normalizeDims(dim, this.ndim, 'logsumexp');
    const keptShape = reducedShape(this.shape, dims, true);
    const empty = this.ndim > 0 && dims.some((d) => this.shape[d] === 0);
    const max = empty ? NDArray.zeros(keptShape, this.dtype) : maxDims(this.array, dims, true);
    const m = new Tensor(mapUnary(max, (v) => (v === Infinity || v === -Infinity ? 0 : v)));
    const out = this.sub(m).exp().sum(dims, true).log().add(m);
    return keepdim ? out : out.reshape(reducedShape(this.shape, dims, false));
  }

  /**
   * Standard deviation over `dim` (all dims when omitted): the square root of `var` with the same
   * options (`unbiased` default true, `keepdim`). Its gradient is 0 where the std is 0 (PyTorch's
   * choice, instead of 0/0).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 2, 3, 4]).std().item();                   // 1.2909945 (float32)
   * tensor([[1, 3], [5, 5]]).std(1, { unbiased: false }).toArray(); // Float32Array [1, 0]
   * ```
   */
  std(dim?: number | readonly number[], options?: VarOptions): Tensor {
    checkOptions(options, VAR_OPTIONS, 'std'); // var checks them too, but the error names std
    checkFlag(options?.unbiased, 'unbiased', 'std');
    checkFlag(options?.keepdim, 'keepdim', 'std');
    normalizeDims(dim, this.ndim, 'std');
    return applyOp('rootOrZero', [this.var(dim, options)], { p: 2 });
  }

  /**
   * Product over `dim` (a number, a list, or all dims when omitted; an empty product is 1). Its
   * gradient is ∏ of the other elements, computed without dividing, so it is exact with zeros (one
   * or several), as PyTorch's.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([[1, 2], [3, 4]]).prod().item();     // 24
   * tensor([[1, 2], [3, 4]]).prod(1).toArray(); // Float32Array [2, 12]
   * ```
   */
  prod(dim?: number | readonly number[], keepdim = false): Tensor {
    checkFlag(keepdim, 'keepdim', 'prod');
    const dims = normalizeDims(dim, this.ndim, 'prod');
    const outShape = reducedShape(this.shape, dims, keepdim);
    // A 0-d tensor: the product of one element is itself (a copy, as torch.prod).
    if (dims.length === 0) return this.clone().reshape(outShape);
    const kept = Array.from({ length: this.ndim }, (_, d) => d).filter((d) => !dims.includes(d));
    const n = dims.reduce((p, d) => p * this.shape[d]!, 1);
    const rows = this.permute([...kept, ...dims]).reshape([...kept.map((d) => this.shape[d]!), n]);
    return applyOp('prod', [rows], undefined).reshape(outShape);
  }

  /**
   * Cumulative sum along `dim`: out[…, k, …] = Σ_{j ≤ k} x[…, j, …] (accumulated in float64).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([[1, 2, 3], [4, 5, 6]]).cumsum(1).toArray(); // Float32Array [1, 3, 6, 4, 9, 15]
   * ```
   */
  cumsum(dim: number): Tensor {
    return applyOp('cumsum', [this], { dim: normalizeDim(dim, this.ndim, 'cumsum') });
  }

  /**
   * Cumulative product along `dim`: out[…, k, …] = ∏_{j ≤ k} x[…, j, …]. Its gradient is computed
   * without dividing, so it is exact with zeros in x (O(n) per row along `dim`; a recorded backward,
   * `createGraph`, over x with zeros costs O(n²) per row).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 2, 3, 4]).cumprod(0).toArray(); // Float32Array [1, 2, 6, 24]
   * ```
   */
  cumprod(dim: number): Tensor {
    return applyOp('cumprod', [this], { dim: normalizeDim(dim, this.ndim, 'cumprod') });
  }

  /**
   * The p-norm over `dim` (all dims when omitted): (Σ |x|ᵖ)^(1/p); p = Infinity is max |x|,
   * −Infinity min |x|, 0 the count of nonzeros. The gradient at a zero norm is 0 (PyTorch's
   * subgradient); the ∞-norm splits it evenly among tied maxima. NOTE: for 0 < p < 1 an element
   * that is exactly 0 gets a NaN gradient (PyTorch gives 0).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([3, -4]).norm().item();         // 5
   * tensor([3, -4]).norm(1).item();        // 7
   * tensor([3, -4]).norm(Infinity).item(); // 4
   * tensor([[3, 4], [6, 8]]).norm(2, 1).toArray(); // Float32Array [5, 10]
   * ```
   */
  norm(p = 2, dim?: number | readonly number[], keepdim = false): Tensor {
    checkFlag(keepdim, 'keepdim', 'norm');
    if (typeof p !== 'number' || Number.isNaN(p)) throw new Error(`norm: p must be a number or ±Infinity, got ${String(p)}`);
    const dims = normalizeDims(dim, this.ndim, 'norm');
    if (p === Infinity) return this.abs().max(dims, keepdim);
    if (p === -Infinity) return this.abs().min(dims, keepdim);
    if (p === 0) return this.sign().abs().sum(dims, keepdim);
    if (p === 1) return this.abs().sum(dims, keepdim);
    const powered = p === 2 ? this.mul(this) : this.abs().pow(p);
    return applyOp('rootOrZero', [powered.sum(dims, keepdim)], { p });
  }

  // ==== issue 13 part A (wt/ops): slicing and shape ==============================================

  /**
   * Elements start, start + step, … (before `end`) of `dim`, as a VIEW (Python's `x[start:end:step]`
   * along one dim): negative start/end count from the end, out-of-range ones are clamped, `end`
   * defaults to the end of the dim. step must be ≥ 1 (flip reverses).
   *
   * @example
   * ```ts
   * import { arange } from 'tsgrad';
   * const x = arange(10);
   * x.slice(0, 1, 8, 3).toArray(); // Float32Array [1, 4, 7]
   * x.slice(0, -3).toArray();      // Float32Array [7, 8, 9]
   * ```
   */
  slice(dim: number, start: number, end?: number, step = 1): Tensor {
    if (this.ndim === 0) throw new Error('slice: a 0-d tensor cannot be sliced');
    const d = normalizeDim(dim, this.ndim, 'slice');
    return applyOp('slice', [this], resolveSlice(d, this.shape[d]!, start, end, step, 'slice'));
  }

  /**
   * A copy with the order of elements reversed along each of `dims` (one number, a list, or spread),
   * as `torch.flip`.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([[1, 2, 3], [4, 5, 6]]).flip(1).toArray();    // Float32Array [3, 2, 1, 6, 5, 4]
   * tensor([[1, 2, 3], [4, 5, 6]]).flip([0, 1]).toArray(); // Float32Array [6, 5, 4, 3, 2, 1]
   * ```
   */
  flip(...dims: number[] | [readonly number[]]): Tensor {
    const list = flattenShapeArgs(dims).map((d) => normalizeDim(d, this.ndim, 'flip'));
    if (new Set(list).size !== list.length) throw new Error(`flip: dims [${flattenShapeArgs(dims).join(', ')}] name a dimension twice`);
    return applyOp('flip', [this], { dims: list.filter((d) => d < this.ndim) });
  }

  /**
   * Shifts elements along `dims` by `shifts` (numbers or equal-length lists), wrapping around, as
   * `torch.roll`; without dims the tensor is rolled as if flattened. A composite of narrow and cat.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 2, 3, 4]).roll(1).toArray();                  // Float32Array [4, 1, 2, 3]
   * tensor([[1, 2, 3], [4, 5, 6]]).roll(-1, 1).toArray();    // Float32Array [2, 3, 1, 5, 6, 4]
   * tensor([[1, 2, 3], [4, 5, 6]]).roll([1, 1], [0, 1]).toArray(); // Float32Array [6, 4, 5, 3, 1, 2]
   * ```
   */
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
    const shiftList = typeof shifts === 'number' ? [shifts] : [...shifts];
    if (shiftList.some((s) => !Number.isInteger(s))) throw new Error(`roll: shifts must be integers, got ${formatValue(shifts)}`);
    if (dims === undefined) {
      if (shiftList.length !== 1) throw new Error(`roll: without dims, shifts must be one number, got ${formatValue(shifts)}`);
      return this.flatten().roll(shiftList[0]!, 0).reshape(this.shape);
    }
    const dimList = (typeof dims === 'number' ? [dims] : [...dims]).map((d) => normalizeDim(d, this.ndim, 'roll'));
    if (dimList.length !== shiftList.length) {
      throw new Error(`roll: shifts ${formatValue(shifts)} and dims ${formatValue(dims)} must have the same length`);
    }
    let out: Tensor = this;
    dimList.forEach((d, i) => {
      const n = this.ndim === 0 ? 1 : this.shape[d]!;
      const s = ((shiftList[i]! % n) + n) % n;
      if (this.ndim === 0 || s === 0) return;
      out = applyOp('cat', [out.narrow(d, n - s, s), out.narrow(d, 0, n - s)], { dim: d });
    });
    return out === this ? this.clone() : out;
  }

  /**
   * Repeats the tensor `sizes[i]` times along each dim, as `torch.Tensor.repeat`: sizes (spread or
   * one array) must be at least as many as the dims; extra leading sizes add new dims.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([1, 2]).repeat(2, 2).toArray(); // Float32Array [1, 2, 1, 2, 1, 2, 1, 2]
   * tensor([1, 2]).repeat([3]).shape;      // [6]
   * ```
   */
  repeat(...sizes: number[] | [readonly number[]]): Tensor {
    const reps = flattenShapeArgs(sizes);
    checkShape(reps, 'repeat');
    if (reps.length < this.ndim) {
      throw new Error(`repeat: ${reps.length} sizes ${formatValue(reps)} are fewer than the ${this.ndim} dims of shape ${shapeString(this.shape)}`);
    }
    const shape = [...new Array<number>(reps.length - this.ndim).fill(1), ...this.shape];
    // [1, s0, 1, s1, …] expanded to [r0, s0, r1, s1, …], then merged pairwise: one copy.
    const spread = shape.flatMap((s) => [1, s]);
    const expanded = shape.flatMap((s, i) => [reps[i]!, s]);
    return this.reshape(spread).expand(expanded).reshape(shape.map((s, i) => s * reps[i]!));
  }

  /**
   * Repeats the tensor along each dim, as `torch.tile`: like `repeat`, but fewer sizes than dims
   * are padded with leading 1s.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([[1, 2], [3, 4]]).tile(2).toArray(); // Float32Array [1, 2, 1, 2, 3, 4, 3, 4]
   * ```
   */
  tile(...sizes: number[] | [readonly number[]]): Tensor {
    const reps = flattenShapeArgs(sizes);
    checkShape(reps, 'tile');
    return this.repeat([...new Array<number>(Math.max(0, this.ndim - reps.length)).fill(1), ...reps]);
  }

  /**
   * Splits along `dim` (default 0) into views: pieces of `size` elements (the last may be shorter),
   * or of the listed sizes (which must add up to the dim's size), as `torch.split`.
   *
   * @example
   * ```ts
   * import { arange } from 'tsgrad';
   * arange(5).split(2).map((t) => t.shape[0]);      // [2, 2, 1]
   * arange(5).split([1, 4]).map((t) => t.shape[0]); // [1, 4]
   * ```
   */
  split(sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
    if (this.ndim === 0) throw new Error('split: a 0-d tensor cannot be split');
    const d = normalizeDim(dim, this.ndim, 'split');
    const n = this.shape[d]!;
    let sizes: number[];
    if (typeof sizeOrSizes === 'number') {
      const s = sizeOrSizes;
      if (!Number.isInteger(s) || s < 0 || (s === 0 && n > 0)) throw new Error(`split: the split size must be a positive integer, got ${formatValue(s)}`);
      sizes = n === 0 ? [0] : Array.from({ length: Math.ceil(n / s) }, (_, i) => Math.min(s, n - i * s));
    } else {
      sizes = [...checkShape(sizeOrSizes as unknown[], 'split')];
      const total = sizes.reduce((p, s) => p + s, 0);
      if (total !== n) throw new Error(`split: sizes ${formatValue(sizes)} add up to ${total}, but dim ${dim} has size ${n} (shape ${shapeString(this.shape)})`);
    }
    let start = 0;
    return sizes.map((s) => {
      const piece = this.narrow(d, start, s);
      start += s;
      return piece;
    });
  }

  /**
   * Splits along `dim` (default 0) into `chunks` views of ⌈size / chunks⌉ elements (the last may be
   * shorter, and there may be fewer than `chunks`), as `torch.chunk`.
   *
   * @example
   * ```ts
   * import { arange } from 'tsgrad';
   * arange(5).chunk(3).map((t) => t.shape[0]); // [2, 2, 1]
   * arange(6).chunk(4).map((t) => t.shape[0]); // [2, 2, 2]
   * ```
   */
  chunk(chunks: number, dim = 0): Tensor[] {
    if (!Number.isInteger(chunks) || chunks < 1) throw new Error(`chunk: the number of chunks must be a positive integer, got ${formatValue(chunks)}`);
    if (this.ndim === 0) throw new Error('chunk: a 0-d tensor cannot be chunked');
    const d = normalizeDim(dim, this.ndim, 'chunk');
    const n = this.shape[d]!;
    // NOTE: an empty dim gives `chunks` empty pieces, as torch 1.13.
    if (n === 0) return Array.from({ length: chunks }, () => this.narrow(d, 0, 0));
    return this.split(Math.ceil(n / chunks), d);
  }

  /**
   * The slices along `dim` (default 0), each without that dim, as `torch.unbind`. NOTE: each is a
   * view when dropping the dim keeps it contiguous (dim 0 of a contiguous tensor), else a copy
   * (torch always returns views; the values and gradients are the same).
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([[1, 2], [3, 4]]).unbind(1).map((t) => Array.from(t.toArray())); // [[1, 3], [2, 4]]
   * ```
   */
  unbind(dim = 0): Tensor[] {
    if (this.ndim === 0) throw new Error('unbind: a 0-d tensor cannot be unbound');
    const d = normalizeDim(dim, this.ndim, 'unbind');
    const shape = this.shape.filter((_, i) => i !== d);
    return Array.from({ length: this.shape[d]! }, (_, i) => this.narrow(d, i, 1).reshape(shape));
  }

  // ==== end of issue 13 part A ===================================================================

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
  backward(grad?: Tensor, options?: BackwardOptions): void {
    checkOptions(options, BACKWARD_OPTIONS, 'backward');
    if (!this.requiresGrad) {
      throw new Error('backward: this tensor does not require grad and has no grad_fn (did you forget requiresGrad: true, or run inside noGrad?)');
    }
    if (grad !== undefined && !(grad instanceof Tensor)) {
      throw new Error('backward: the gradient must be a Tensor (options go second: backward(undefined, { retainGraph: true }))');
    }
    const createGraph = options?.createGraph ?? false;
    const seed = seedGradient(this, grad, 'backward');
    runBackward([this], [seed], { retainGraph: options?.retainGraph ?? createGraph, createGraph });
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

  /**
   * Limits every element to [min, max] in place (either bound may be omitted), as `torch.clamp_`.
   *
   * @example
   * ```ts
   * import { tensor } from 'tsgrad';
   * tensor([-2, 0.5, 3]).clamp_(-1, 1).toArray(); // Float32Array [-1, 0.5, 1]
   * ```
   */
  clamp_(min?: Operand | null, max?: Operand | null): this {
    return this.writeInPlace('clamp_', () => noGrad(() => this.detach().clamp(min, max)).array);
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
    // As PyTorch: arithmetic in place cannot store a result of a higher dtype (int32 += 2.5, int32 /= 2);
    // copy_ and fill_ convert on purpose.
    if (op !== 'copy_' && op !== 'fill_' && promoteTypes(value.dtype, this.dtype) !== this.dtype) {
      throw new Error(`${op}: the result type ${value.dtype} cannot be stored in place in a ${this.dtype} tensor (as PyTorch); use the out-of-place op`);
    }
    if (!sameShape(broadcastShapes(value.shape, this.shape, op), this.shape)) {
      throw new Error(`${op}: a value of shape ${shapeString(value.shape)} cannot be written into a tensor of shape ${shapeString(this.shape)}`);
    }
    copyInto(this.array, value.expand(this.shape));
    bumpStorageVersion(this.array);
    return this;
  }

  // ---- reading values --------------------------------------------------------------------------

  /**
   * The elements in row-major order, as a fresh typed array of the tensor's dtype — Float32Array,
   * Float64Array, Int32Array, or Uint8Array of 0/1 for bool — always in ordinary memory, even when
   * the tensor's own storage is shared with the worker pool.
   */
  toArray(): Storage {
    const out = storageOf(this.dtype, this.numel);
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

/**
 * Makes both operands tensors of one dtype, as PyTorch promotes: two tensors by
 * bool < int32 < float32 < float64, a zero-dim tensor only lifting a lower category
 * (promoteOperandTypes); a number takes the tensor's dtype unless it is of a higher
 * category (an int32 tensor with 2.5 gives the default float dtype; promoteWithNumber).
 */
export function binaryOperands(a: Tensor, b: Operand, op: string): [Tensor, Tensor] {
  if (typeof b === 'number') {
    const dtype = promoteWithNumber(a.dtype, b);
    return [a.to(dtype), new Tensor(NDArray.scalar(b, dtype))];
  }
  if (!(b instanceof Tensor)) throw new Error(`${op}: expected a Tensor or a number, got ${String(b)}`);
  if (a.dtype === b.dtype) return [a, b];
  const dtype = promoteOperandTypes(a.dtype, a.ndim, b.dtype, b.ndim);
  return [a.to(dtype), b.to(dtype)];
}

/** Throws for an int32/bool tensor where PyTorch requires a floating one (mean, var). */
function requireFloat(t: Tensor, op: string): void {
  if (!isFloatingDtype(t.dtype)) {
    throw new Error(`${op}: needs a float32/float64 tensor, got ${t.dtype} (as PyTorch); convert with .to('float32') first`);
  }
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

// ==== issue 13 part B: helpers ========================================================================

/** An index argument: an int32 tensor, or (nested) arrays of integers. */
export type IndexLike = Tensor | NestedArray;

/** Options of `Tensor.sort`. */
export interface SortOptions {
  /** Largest first (default false). Stable either way. */
  descending?: boolean;
}

/** Options of `Tensor.topk`. */
export interface TopkOptions {
  /** The largest k (default true) or the smallest. */
  largest?: boolean;
  /** Return them sorted (default true; tsgrad always does). */
  sorted?: boolean;
}

/** What `sort` and `topk` return (PyTorch's named tuple). */
export interface ValuesIndices {
  /** The selected values (differentiable). */
  values: Tensor;
  /** Their int32 positions along the dim. */
  indices: Tensor;
}

/** `index` as an int32 array: a float tensor or a non-integer number is a clear error. */
function indexArray(index: IndexLike, op: string): NDArray {
  if (index instanceof Tensor) {
    if (index.dtype !== 'int32') throw new Error(`${op}: the index must be an int32 tensor (or an array of integers), got a ${index.dtype} tensor; convert it with .to('int32')`);
    // A copy: writing to the index tensor later must not change what backward gathers.
    return index.array.copy();
  }
  const values: number[] = [];
  const shape: number[] = [];
  const walk = (data: NestedArray, depth: number): void => {
    if (typeof data === 'number') {
      if (!Number.isInteger(data)) throw new Error(`${op}: index values must be integers, got ${data}`);
      if (depth !== shape.length) throw new Error(`${op}: ragged index array`);
      values.push(data);
      return;
    }
    if (!Array.isArray(data)) throw new Error(`${op}: the index must be an int32 tensor or an array of integers, got ${typeof data}`);
    if (depth === shape.length) shape.push(data.length);
    else if (shape[depth] !== data.length) throw new Error(`${op}: ragged index array`);
    data.forEach((item) => walk(item, depth + 1));
  };
  walk(index, 0);
  return new NDArray(Int32Array.from(values), shape);
}

/** The mask of maskedFill/maskedSelect, checked to be a bool tensor. */
function boolMask(mask: Tensor, op: string): Tensor {
  if (!(mask instanceof Tensor)) throw new Error(`${op}: the mask must be a bool Tensor, got ${typeof mask}`);
  if (mask.dtype !== 'bool') throw new Error(`${op}: the mask must be a bool tensor, got ${mask.dtype} (make one with a comparison, e.g. x.gt(0))`);
  return mask;
}

/** a ∘ b → bool after PyTorch's promotion (not differentiable). */
function compare(a: Tensor, b: Operand, op: string, fn: (x: number, y: number) => number): Tensor {
  const [x, y] = binaryOperands(a.detach(), typeof b === 'number' ? b : b.detach(), op);
  return new Tensor(mapBinary(x.array, y.array, fn, op, 'bool'));
}

/** A logical op on the truth values of any dtypes (a number is true when non-zero). */
function logical(a: Tensor, b: Operand, op: string, fn: (x: number, y: number) => number): Tensor {
  if (typeof b !== 'number' && !(b instanceof Tensor)) throw new Error(`${op}: expected a Tensor or a number, got ${String(b)}`);
  const other = typeof b === 'number' ? NDArray.scalar(b, 'float64') : b.array;
  return new Tensor(mapBinary(a.array, other, fn, op, 'bool'));
}

function argReduce(t: Tensor, dim: number | undefined, keepdim: boolean, largest: boolean, op: string): Tensor {
  checkFlag(keepdim, 'keepdim', op);
  if (dim === undefined) {
    const flat = argExtreme(t.array.reshape([-1]), 0, false, largest, op);
    return new Tensor(keepdim ? flat.reshape(t.shape.map(() => 1)) : flat);
  }
  const d = normalizeDim(dim, t.ndim, op);
  if (t.ndim === 0) return new Tensor(argExtreme(t.array.reshape([1]), 0, false, largest, op));
  return new Tensor(argExtreme(t.array, d, keepdim, largest, op));
}

/** sort (k undefined) or topk: indices from the stable sort kernel, values gathered (differentiable). */
function sortedPart(t: Tensor, d: number, descending: boolean, k: number | undefined, op: string): ValuesIndices {
  if (t.ndim === 0) {
    const r = sortedPart(t.reshape([1]), 0, descending, k, op);
    return k === 0 ? r : { values: r.values.reshape([]), indices: r.indices.reshape([]) };
  }
  const indices = new Tensor(sortIndices(t.array, d, descending, k));
  return { values: t.gather(d, indices), indices };
}

/** scatter's src: a number becomes a tensor of the index's shape; a tensor must match self's dtype. */
function scatterSource(self: Tensor, index: NDArray, src: Operand, op: string): Tensor {
  if (typeof src === 'number') return new Tensor(NDArray.full(index.shape, src, self.dtype));
  if (!(src instanceof Tensor)) throw new Error(`${op}: src must be a Tensor or a number, got ${String(src)}`);
  if (src.dtype !== self.dtype) throw new Error(`${op}: src is ${src.dtype} but the tensor is ${self.dtype}; they must match (as PyTorch)`);
  return src;
}
