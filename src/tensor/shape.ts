/** Shape arithmetic shared by the kernels and the autograd layer. All checks throw clear errors. */

export type Shape = readonly number[];

/** Number of elements of a shape (1 for the 0-d shape []). */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Row-major strides of a contiguous array of this shape. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i]!;
  }
  return strides;
}

/**
 * A value as an error message shows it: JSON-style, so that the string "2" reads `"2"` and not `2`;
 * numbers JSON cannot hold (NaN, ±Infinity) and undefined, functions and bigints as JavaScript
 * writes them; arrays element by element.
 */
export function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Throws unless every entry is a non-negative integer. */
export function checkShape(shape: readonly unknown[], where: string): number[] {
  if (!Array.isArray(shape)) {
    // PyTorch also takes the sizes as separate arguments, zeros(2, 3); here they are one array.
    const example = typeof shape === 'number' ? ` (the sizes as one array: ${where}([${formatValue(shape)}, …]))` : '';
    throw new Error(`${where}: shape must be an array of sizes, got ${formatValue(shape)}${example}`);
  }
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new Error(`${where}: sizes must be non-negative integers, got ${formatValue(shape)}`);
    }
  }
  return shape as number[];
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy/PyTorch broadcasting: align from the right; sizes must match or be 1. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const ndim = Math.max(a.length, b.length);
  const out = new Array<number>(ndim);
  for (let i = 0; i < ndim; i++) {
    const da = a[a.length - ndim + i] ?? 1;
    const db = b[b.length - ndim + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${shapeString(a)} and ${shapeString(b)} cannot be broadcast together (dim ${i - ndim}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Resolves a possibly negative dim against `ndim`; throws if out of range. 0-d arrays accept dim 0 and -1, as PyTorch does. */
export function normalizeDim(dim: number, ndim: number, where: string): number {
  const bound = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -bound || dim >= bound) {
    throw new Error(`${where}: dim ${dim} is out of range for a tensor with ${ndim} dimension(s) (expected an integer in [${-bound}, ${bound - 1}])`);
  }
  return dim < 0 ? dim + bound : dim;
}

/** Resolves `dim` (undefined = all dims, a number, or a list) into sorted unique non-negative dims. */
export function normalizeDims(dim: number | readonly number[] | undefined, ndim: number, where: string): number[] {
  // NOTE: an empty list means every dim, as in PyTorch (`x.sum(dim=[])`), not none as in NumPy.
  if (typeof dim !== 'number' && dim !== undefined && !Array.isArray(dim)) {
    throw new Error(`${where}: dim must be an integer or an array of integers, got ${typeof dim} ${formatValue(dim)}`);
  }
  if (dim === undefined || (typeof dim !== 'number' && dim.length === 0)) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dim === 'number' ? [dim] : dim;
  const dims = list.map((d) => normalizeDim(d, ndim, where)).filter((d) => d < ndim);
  const unique = [...new Set(dims)].sort((x, y) => x - y);
  if (unique.length !== dims.length) throw new Error(`${where}: dim [${list.join(', ')}] names a dimension twice`);
  return unique;
}

/** Resolves a reshape target with at most one -1 entry; `inputShape` (if given) is named in errors. */
export function inferShape(shape: readonly number[], size: number, where: string, inputShape?: Shape): number[] {
  // The input's description, built only for an error (reshape is on the hot path of every op chain).
  const input = (): string => (inputShape === undefined ? `size ${size}` : `shape ${shapeString(inputShape)} (size ${size})`);
  let inferred = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === -1) {
      if (inferred >= 0) throw new Error(`${where}: only one dimension can be -1, got [${shape.join(', ')}]`);
      inferred = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${where}: sizes must be non-negative integers or -1, got [${shape.join(', ')}]`);
    } else {
      known *= d;
    }
  }
  const out = [...shape];
  if (inferred >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new Error(`${where}: shape [${shape.join(', ')}] is invalid for input of ${input()}`);
    }
    out[inferred] = size / known;
  } else if (known !== size) {
    throw new Error(`${where}: shape [${shape.join(', ')}] is invalid for input of ${input()}`);
  }
  return out;
}

/**
 * Merges adjacent dims that every operand steps through uniformly (stride[d] = stride[d+1]·size[d+1]
 * for each), and drops size-1 dims, so a broadcast such as [N, C, H, W] ∘ [1, C, 1, 1] walks rows of
 * H·W instead of rows of W. The output is row-major, so it never prevents a merge.
 *
 * @example
 * ```ts
 * coalesceDims([2, 3, 4], [[12, 4, 1], [0, 1, 0]]); // { shape: [2, 3, 4], strides: [[12, 4, 1], [0, 1, 0]] }
 * coalesceDims([2, 3, 4], [[12, 4, 1], [12, 4, 1]]); // { shape: [24], strides: [[1], [1]] }
 * ```
 */
export function coalesceDims(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[d]! * size)) {
      outShape[last] = outShape[last]! * size;
      strides.forEach((s, k) => (outStrides[k]![last] = s[d]!));
    } else {
      outShape.push(size);
      strides.forEach((s, k) => outStrides[k]!.push(s[d]!));
    }
  }
  return { shape: outShape, strides: outStrides };
}
