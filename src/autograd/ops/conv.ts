// Convolution and pooling primitives (NCHW). The kernels live in tensor/kernels/conv.ts (split
// over the pool by conv-parallel.ts) and pool.ts; these wrappers make the inputs contiguous,
// allocate outputs and route gradients.
// Shapes are validated by the F functions (nn/functional), which are the public entry points.
import { allocate, floatStorage, type DType, type Storage } from '../../tensor/dtype.js';
import { conv2dBackwardBias, conv2dGeometry, type Conv2dGeometry } from '../../tensor/kernels/conv.js';
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward, convSplits } from '../../tensor/kernels/conv-parallel.js';
import {
  adaptiveAvgPool2dBackward, adaptiveAvgPool2dForward, avgPool2dBackward, avgPool2dForward,
  pool2dGeometry, type Pool2dGeometry,
} from '../../tensor/kernels/pool.js';
import { maxPool2dBackwardSplit, maxPool2dForwardSplit, maxPoolSplits } from '../../tensor/kernels/pool-parallel.js';
import { sharedIndices } from '../../tensor/parallel/shared-memory.js';
import { NDArray } from '../../tensor/ndarray.js';
import { sizeOf } from '../../tensor/shape.js';
import { applyOp } from '../apply.js';
import type { OpTable } from '../op.js';

type ConvOps = Pick<
  OpTable,
  'conv2d' | 'conv2dInputGrad' | 'conv2dWeightGrad' | 'conv2dBiasGrad' | 'maxPool2d' | 'maxPoolScatter' | 'maxPoolGather' | 'avgPool2d' | 'avgPool2dBackward' | 'adaptiveAvgPool2d' | 'adaptiveAvgPool2dBackward'
>;

/** A fresh output array of `size` elements, in shared memory when the pool will split the work. */
function convOutput(dtype: DType, geom: Conv2dGeometry, size: number, shape: readonly number[]): NDArray {
  return new NDArray(allocate(dtype, size, convSplits(geom) ? 0 : undefined), [...shape]);
}

export const convOps: ConvOps = {
  // ---- convolution ---------------------------------------------------------------------------
  // Three primitives, each the adjoint-pair of the others, so every derivative of a convolution is
  // again a convolution (PyTorch's derivatives.yaml idea):
  //   conv2d(x, W)            y  = W ⋆ x
  //   conv2dInputGrad(g, W)   dx = Wᵀ ⋆ g   (a transposed convolution: col2im(Wᵀ·G))
  //   conv2dWeightGrad(x, g)  dW = Σₙ G·colsᵀ
  conv2d: {
    // inputs: x [n, cIn, h, w], w [cOut, cIn/groups, kH, kW], optionally bias [cOut].
    forward: (inputs, params) => {
      const x = inputs[0]!.contiguous();
      const w = inputs[1]!.contiguous();
      const bias = inputs[2]?.contiguous() ?? null;
      const geom = conv2dGeometry(x.shape, w.shape, params);
      const y = convOutput(x.dtype, geom, geom.n * geom.cOut * geom.outH * geom.outW, [geom.n, geom.cOut, geom.outH, geom.outW]);
      conv2dForward(geom, floatStorage(x.data, 'conv2d'), x.offset, floatStorage(w.data, 'conv2d'), w.offset, bias?.data ?? null, bias?.offset ?? 0, floatStorage(y.data, 'conv2d'), 0);
      return [y, null];
    },
    // y = W ⋆ x + b  ⇒  ∂L/∂x = Wᵀ ⋆ G,  ∂L/∂W = Σₙ G·colsᵀ,  ∂L/∂b = Σ_{n,h,w} G
    backward: (g, { inputs: [x, w, bias], needsGrad, args }) => [
      needsGrad[0] ? applyOp('conv2dInputGrad', [g, w!], { ...args, inputShape: x!.shape }) : null,
      needsGrad[1] ? applyOp('conv2dWeightGrad', [x!, g], { ...args, weightShape: w!.shape }) : null,
      ...(bias === undefined ? [] : [needsGrad[2] ? applyOp('conv2dBiasGrad', [g], { geom: conv2dGeometry(x!.shape, w!.shape, args) }) : null]),
    ],
    saves: { inputs: true },
    freshGradients: true,
  },
  conv2dInputGrad: {
    forward: ([gIn, wIn], { inputShape, ...params }) => {
      const g = gIn!.contiguous();
      const w = wIn!.contiguous();
      const geom = conv2dGeometry(inputShape, w.shape, params);
      const dx = convOutput(g.dtype, geom, sizeOf(inputShape), inputShape); // overwritten by the kernel
      conv2dBackwardInput(geom, floatStorage(g.data, 'conv2d backward'), g.offset, floatStorage(w.data, 'conv2d backward'), w.offset, floatStorage(dx.data, 'conv2d backward'), 0);
      return [dx, null];
    },
    // dx = Wᵀ ⋆ g is bilinear: ∂/∂g = W ⋆ H (a convolution), ∂/∂W = Σₙ G·colsᵀ(H) (H upstream).
    backward: (h, { inputs: [g, w], needsGrad, args: { inputShape: _inputShape, ...params } }) => [
      needsGrad[0] ? applyOp('conv2d', [h, w!], params) : null,
      needsGrad[1] ? applyOp('conv2dWeightGrad', [h, g!], { ...params, weightShape: w!.shape }) : null,
    ],
    saves: { inputs: true },
    freshGradients: true,
  },
  conv2dWeightGrad: {
    forward: ([xIn, gIn], { weightShape, ...params }) => {
      const x = xIn!.contiguous();
      const g = gIn!.contiguous();
      const geom = conv2dGeometry(x.shape, weightShape, params);
      const dw = NDArray.zeros(weightShape, g.dtype);
      conv2dBackwardWeight(geom, floatStorage(x.data, 'conv2d backward'), x.offset, floatStorage(g.data, 'conv2d backward'), g.offset, floatStorage(dw.data, 'conv2d backward'), 0);
      return [dw, null];
    },
    // dW is bilinear in (x, g): ∂/∂x = Kᵀ ⋆ g (an input gradient), ∂/∂g = K ⋆ x (K upstream).
    backward: (k, { inputs: [x, g], needsGrad, args: { weightShape: _weightShape, ...params } }) => [
      needsGrad[0] ? applyOp('conv2dInputGrad', [g!, k], { ...params, inputShape: x!.shape }) : null,
      needsGrad[1] ? applyOp('conv2d', [x!, k], params) : null,
    ],
    saves: { inputs: true },
    freshGradients: true,
  },

  conv2dBiasGrad: {
    // db[c] = Σ_{n,h,w} g[n, c, h, w] (the per-channel sum kernel of conv.ts).
    forward: ([gIn], { geom }) => {
      const g = gIn!.contiguous();
      const db = NDArray.zeros([geom.cOut], g.dtype);
      conv2dBackwardBias(geom, floatStorage(g.data, 'conv2d backward'), g.offset, floatStorage(db.data, 'conv2d backward'), 0);
      return [db, null];
    },
    // A sum over n, h, w: its derivative broadcasts back.
    backward: (h, { args: { geom } }) => [h.reshape([1, geom.cOut, 1, 1]).expand([geom.n, geom.cOut, geom.outH, geom.outW])],
  },

  // ---- pooling -------------------------------------------------------------------------------
  maxPool2d: {
    forward: ([input], params) => {
      const x = input!.contiguous();
      const geom = pool2dGeometry(x.shape, params);
      // Outputs in shared memory when the pool will split the planes (pool-parallel.ts).
      const split = maxPoolSplits(geom, x.data);
      const outShape = [...x.shape.slice(0, -2), geom.outH, geom.outW];
      const size = geom.planes * geom.outH * geom.outW;
      const y = new NDArray(allocate(x.dtype, size, split ? 0 : undefined), outShape);
      const argmax = sharedIndices(size, split);
      maxPool2dForwardSplit(geom, x.data, x.offset, y.data, 0, argmax);
      return [y, { geom, argmax }];
    },
    // ∂(max of a window)/∂x = 1 at the element that won, 0 elsewhere (overlapping windows add up):
    // a scatter of g to the winners, whose own derivative is the matching gather.
    backward: (g, { inputs: [x], saved }) => [applyOp('maxPoolScatter', [g, x!], saved)],
    freshGradients: true,
  },
  maxPoolScatter: {
    // dx[winner of o] += g[o]. x is an input only so that ∂/∂x (zero almost everywhere) is defined.
    forward: ([gIn, x], { geom, argmax }) => {
      const g = gIn!.contiguous();
      const dx = NDArray.zeros(x!.shape, g.dtype); // overwritten by the kernel
      maxPool2dBackwardSplit(geom, g.data, g.offset, argmax, dx.data, 0);
      return [dx, null];
    },
    // The adjoint of a scatter is the gather: ∂/∂g = H[winner of o].
    backward: (h, { needsGrad, args }) => [needsGrad[0] ? applyOp('maxPoolGather', [h], args) : null, null],
    freshGradients: true,
  },
  maxPoolGather: {
    // y[o] = h[winner of o] (0 for a window with no winner: all padding).
    forward: ([hIn], { geom, argmax }) => {
      const h = hIn!.contiguous();
      const y = NDArray.zeros([...h.shape.slice(0, -2), geom.outH, geom.outW], h.dtype);
      gatherByArgmax(geom, h.data, h.offset, argmax, y.data);
      return [y, h.shape];
    },
    // The adjoint of a gather is the scatter.
    backward: (k, { inputs: [h], needsGrad, args }) => [needsGrad[0] ? applyOp('maxPoolScatter', [k, h!], args) : null],
    freshGradients: true,
  },
  avgPool2d: {
    forward: ([input], { countIncludePad, divisorOverride, ...params }) => {
      const x = input!.contiguous();
      const geom = pool2dGeometry(x.shape, params);
      const y = NDArray.zeros([...x.shape.slice(0, -2), geom.outH, geom.outW], x.dtype);
      avgPool2dForward(geom, countIncludePad, divisorOverride, x.data, x.offset, y.data, 0);
      return [y, null];
    },
    // ∂(Σ window / divisor)/∂x = 1/divisor for every input element in the window (a linear map).
    backward: (g, { inputs: [x], args }) => [applyOp('avgPool2dBackward', [g], { ...args, inputShape: x!.shape })],
    freshGradients: true,
  },
  avgPool2dBackward: {
    forward: ([gIn], { countIncludePad, divisorOverride, inputShape, ...params }) => {
      const g = gIn!.contiguous();
      const geom = pool2dGeometry(inputShape, params);
      const dx = NDArray.zeros(inputShape, g.dtype);
      avgPool2dBackward(geom, countIncludePad, divisorOverride, g.data, g.offset, dx.data, 0);
      return [dx, null];
    },
    // The adjoint of the adjoint: average pooling again.
    backward: (h, { args: { inputShape: _inputShape, ...args } }) => [applyOp('avgPool2d', [h], args)],
    freshGradients: true,
  },
  adaptiveAvgPool2d: {
    forward: ([input], { outH, outW }) => {
      const x = input!.contiguous();
      const h = x.shape[x.ndim - 2]!;
      const w = x.shape[x.ndim - 1]!;
      const planes = leadingSize(x.shape);
      const out = allocate(x.dtype, planes * outH * outW);
      adaptiveAvgPool2dForward(planes, h, w, outH, outW, x.data, x.offset, out, 0);
      return [new NDArray(out, [...x.shape.slice(0, -2), outH, outW]), null];
    },
    // ∂(mean of a window)/∂x = 1/|window| for every input element in the window (a linear map).
    backward: (g, { inputs: [x], args }) => [applyOp('adaptiveAvgPool2dBackward', [g], { ...args, inputShape: x!.shape })],
    freshGradients: true,
  },
  adaptiveAvgPool2dBackward: {
    forward: ([gIn], { outH, outW, inputShape }) => {
      const g = gIn!.contiguous();
      const h = inputShape[inputShape.length - 2]!;
      const w = inputShape[inputShape.length - 1]!;
      const dx = NDArray.zeros(inputShape, g.dtype);
      adaptiveAvgPool2dBackward(leadingSize(inputShape), h, w, outH, outW, g.data, g.offset, dx.data, 0);
      return [dx, null];
    },
    // The adjoint of the adjoint: adaptive average pooling again.
    backward: (h, { args: { outH, outW } }) => [applyOp('adaptiveAvgPool2d', [h], { outH, outW })],
    freshGradients: true,
  },
};

/** y[p, o] = h[p, argmax[p, o]] over the planes (the adjoint of maxPool2dBackward's scatter). */
function gatherByArgmax(geom: Pool2dGeometry, h: Storage, hOffset: number, argmax: Int32Array, y: Storage): void {
  const perPlaneOut = geom.outH * geom.outW;
  const perPlaneIn = geom.h * geom.w;
  for (let pl = 0; pl < geom.planes; pl++) {
    for (let o = 0; o < perPlaneOut; o++) {
      const index = argmax[pl * perPlaneOut + o]!;
      y[pl * perPlaneOut + o] = index >= 0 ? h[hOffset + pl * perPlaneIn + index]! : 0;
    }
  }
}

/** The number of h×w planes: the product of all dims but the last two. */
function leadingSize(shape: readonly number[]): number {
  return shape.slice(0, -2).reduce((p, d) => p * d, 1);
}
