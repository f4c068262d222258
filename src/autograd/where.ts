import { NDArray } from '../tensor/ndarray.js';
import { promoteOperandTypes, promoteWithNumber, type DType } from '../tensor/dtype.js';
import { applyOp } from './apply.js';
import { Tensor, type Operand } from './tensor.js';

/**
 * Elementwise `cond ? a : b`, broadcasting all three (as `torch.where`). `cond` is a bool tensor;
 * `a` and `b` are tensors or numbers, promoted to one dtype as in a binary op. Differentiable in
 * `a` and `b`: each gets the gradient where it was chosen, 0 elsewhere.
 *
 * @example
 * ```ts
 * import { tensor, where } from 'tsgrad';
 * const x = tensor([-1, 2, -3]);
 * where(x.gt(0), x, 0).toArray(); // Float32Array [0, 2, 0]
 * ```
 */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (!(cond instanceof Tensor) || cond.dtype !== 'bool') {
    throw new Error(`where: the condition must be a bool tensor, got ${cond instanceof Tensor ? cond.dtype : typeof cond} (make one with a comparison, e.g. x.gt(0))`);
  }
  for (const [name, v] of [['a', a], ['b', b]] as const) {
    if (typeof v !== 'number' && !(v instanceof Tensor)) throw new Error(`where: ${name} must be a Tensor or a number, got ${String(v)}`);
  }
  const dtype = branchDtype(a, b);
  const asTensor = (v: Operand): Tensor => (typeof v === 'number' ? new Tensor(NDArray.scalar(v, dtype)) : v.to(dtype));
  return applyOp('where', [cond, asTensor(a), asTensor(b)], undefined);
}

/** PyTorch's result dtype of two branches: tensors promote; a number only lifts a lower category. */
function branchDtype(a: Operand, b: Operand): DType {
  if (typeof a !== 'number' && typeof b !== 'number') return promoteOperandTypes(a.dtype, a.ndim, b.dtype, b.ndim);
  if (typeof a !== 'number') return promoteWithNumber(a.dtype, b as number);
  if (typeof b !== 'number') return promoteWithNumber(b.dtype, a);
  // Two numbers: integers give int32 (PyTorch: int64), otherwise the default float dtype.
  return promoteWithNumber(promoteWithNumber('int32', a), b);
}
