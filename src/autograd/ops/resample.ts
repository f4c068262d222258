// Adaptive max pooling and interpolation. Adaptive max pooling's gradient is max pooling's scatter
// to the winners (ops/conv.ts); interpolation is a fixed sparse linear map per plane (planeMap),
// whose derivative is its transpose (planeMapTranspose) and the other way round.
import { adaptiveMaxPool2dForward, planeMapForward, planeMapTranspose } from '../../tensor/kernels/resample.js';
import { NDArray } from '../../tensor/ndarray.js';
import { applyOp } from '../apply.js';
import type { OpTable } from '../op.js';

type ResampleOps = Pick<OpTable, 'adaptiveMaxPool2d' | 'planeMap' | 'planeMapTranspose'>;

/** The number of h×w planes: the product of all dims but the last two. */
function planesOf(shape: readonly number[]): number {
  return shape.slice(0, -2).reduce((p, d) => p * d, 1);
}

export const resampleOps: ResampleOps = {
  adaptiveMaxPool2d: {
    forward: ([input], { outH, outW }) => {
      const x = input!.contiguous();
      const h = x.shape[x.ndim - 2]!;
      const w = x.shape[x.ndim - 1]!;
      const planes = planesOf(x.shape);
      const y = NDArray.zeros([...x.shape.slice(0, -2), outH, outW], x.dtype);
      const argmax = new Int32Array(planes * outH * outW);
      adaptiveMaxPool2dForward(planes, h, w, outH, outW, x.data, x.offset, y.data, argmax);
      // The geometry max pooling's scatter needs; the window extents only size its work chunks.
      const geom = {
        planes, h, w, outH, outW, kH: Math.ceil(h / outH) + 1, kW: Math.ceil(w / outW) + 1,
        strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1,
      };
      return [y, { geom, argmax }];
    },
    // ∂(max of a window)/∂x = 1 at the winner: max pooling's scatter (and gather for the next order).
    backward: (g, { inputs: [x], saved }) => [applyOp('maxPoolScatter', [g, x!], saved)],
    freshGradients: true,
  },
  planeMap: {
    // y[p, o] = Σ_k weight[o, k] · x[p, index[o, k]]
    forward: ([input], map) => {
      const x = input!.contiguous();
      const y = NDArray.zeros([...x.shape.slice(0, -2), map.outH, map.outW], x.dtype);
      planeMapForward(planesOf(x.shape), map.inH * map.inW, map.outH * map.outW, map.K, map.index, map.weight, x.data, x.offset, y.data);
      return [y, null];
    },
    // A linear map: its derivative is its transpose.
    backward: (g, { args }) => [applyOp('planeMapTranspose', [g], args)],
    freshGradients: true,
  },
  planeMapTranspose: {
    // dx[p, index[o, k]] += weight[o, k] · g[p, o]
    forward: ([input], map) => {
      const g = input!.contiguous();
      const dx = NDArray.zeros([...g.shape.slice(0, -2), map.inH, map.inW], g.dtype);
      planeMapTranspose(planesOf(g.shape), map.inH * map.inW, map.outH * map.outW, map.K, map.index, map.weight, g.data, g.offset, dx.data);
      return [dx, null];
    },
    // The transpose of the transpose: the map itself.
    backward: (h, { args }) => [applyOp('planeMap', [h], args)],
    freshGradients: true,
  },
};
