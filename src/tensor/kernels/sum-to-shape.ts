import { NDArray } from '../ndarray.js';
import { sameShape, shapeString } from '../shape.js';
import { sumDims } from './reduce.js';

/**
 * Undoes broadcasting: sums `g` over the leading dims it has beyond `shape` and over the dims where
 * `shape` is 1 but `g` is not, then reshapes to `shape`. Throws if `g` could not have come from
 * broadcasting `shape`.
 */
export function sumToShape(g: NDArray, shape: readonly number[]): NDArray {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new Error(`sumToShape: ${shapeString(g.shape)} has fewer dims than ${shapeString(shape)}`);
  const dims: number[] = [];
  for (let d = 0; d < g.ndim; d++) {
    if (d < lead) dims.push(d);
    else if (shape[d - lead] === 1 && g.shape[d] !== 1) dims.push(d);
    else if (shape[d - lead] !== g.shape[d]) {
      throw new Error(`sumToShape: ${shapeString(g.shape)} is not a broadcast of ${shapeString(shape)}`);
    }
  }
  const summed = dims.length > 0 ? sumDims(g, dims, false) : g;
  return summed.reshape(shape);
}
