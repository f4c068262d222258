// Joining and padding: cat (concatenate along a dim) and constant pad (with negative pads that crop,
// as torch.nn.functional.pad). Both copy slices; their gradients copy the slices back.
import { NDArray, copyInto } from '../../tensor/ndarray.js';
import { applyOp } from '../apply.js';
import type { OpTable } from '../op.js';

type CatPadOps = Pick<OpTable, 'cat' | 'pad'>;

export const catPadOps: CatPadOps = {
  cat: {
    // inputs: same dtype and ndim, equal sizes except along `dim` (checked by F.cat).
    forward: (inputs, { dim }) => {
      const sizes = inputs.map((x) => x.shape[dim]!);
      const shape = [...inputs[0]!.shape];
      shape[dim] = sizes.reduce((p, s) => p + s, 0);
      const out = NDArray.zeros(shape, inputs[0]!.dtype);
      let start = 0;
      inputs.forEach((x, i) => {
        copyInto(out.narrow(dim, start, sizes[i]!), x);
        start += sizes[i]!;
      });
      return [out, sizes];
    },
    // Each input receives its own slice of g.
    backward: (g, { saved: sizes, needsGrad, args: { dim } }) => {
      let start = 0;
      return sizes.map((size, i) => {
        const slice = needsGrad[i] ? g.narrow(dim, start, size) : null;
        start += size;
        return slice;
      });
    },
  },
  pad: {
    forward: ([x], { pads, value }) => {
      const r = padRegions(x!.shape, pads);
      const out = NDArray.full(r.outShape, value, x!.dtype);
      copyInto(region(out, r.outStart, r.length), region(x!, r.inStart, r.length));
      return [out, null];
    },
    // The kept input region receives its slice of g; cropped elements receive 0: the opposite pad
    // (a crop where this padded, zeros where this cropped).
    backward: (g, { args: { pads } }) => [applyOp('pad', [g], { pads: pads.map((p) => -p), value: 0 })],
    freshGradients: true,
  },
};

/** The pads (F.pad order) that put a `length`-long slice of `dim` from `start` back into `shape`. */
export function padRegionsForNarrow(shape: readonly number[], dim: number, start: number, length: number): number[] {
  const pads = new Array<number>(2 * (shape.length - dim)).fill(0);
  const k = shape.length - 1 - dim;
  pads[2 * k] = start;
  pads[2 * k + 1] = shape[dim]! - start - length;
  return pads;
}

/**
 * For pads in torch.nn.functional.pad order (last dim first: [left, right, top, bottom, …]): the
 * output shape and, per dim, where the kept block starts in the input and in the output, and its
 * length. A negative pad crops instead (F.pad rejects crops that leave a negative length).
 */
export function padRegions(shape: readonly number[], pads: readonly number[]): {
  outShape: number[]; inStart: number[]; outStart: number[]; length: number[];
} {
  const outShape = [...shape];
  const inStart = shape.map(() => 0);
  const outStart = shape.map(() => 0);
  const length = [...shape];
  for (let k = 0; k < pads.length / 2; k++) {
    const d = shape.length - 1 - k;
    const before = pads[2 * k]!;
    const after = pads[2 * k + 1]!;
    outShape[d] = shape[d]! + before + after;
    inStart[d] = Math.max(0, -before);
    outStart[d] = Math.max(0, before);
    length[d] = shape[d]! - Math.max(0, -before) - Math.max(0, -after);
  }
  return { outShape, inStart, outStart, length };
}

function region(x: NDArray, start: readonly number[], length: readonly number[]): NDArray {
  let view = x;
  for (let d = 0; d < x.ndim; d++) view = view.narrow(d, start[d]!, length[d]!);
  return view;
}
