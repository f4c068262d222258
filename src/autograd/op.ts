import type { NormLayout } from '../tensor/kernels/norm.js';
import type { NDArray } from '../tensor/ndarray.js';
import type { Conv2dGeometry, Conv2dParams } from '../tensor/kernels/conv.js';
import type { Pool2dGeometry, Pool2dParams } from '../tensor/kernels/pool.js';

/**
 * One differentiable primitive: forward and backward side by side.
 * - `forward` computes the output from the input arrays and returns what backward needs (`saved`).
 * - `backward` gets the upstream gradient `g` (shaped like the output) and returns one gradient per
 *   input, `null` where `needsGrad[i]` is false (it should skip that work). A gradient may still be
 *   broadcast-shaped: the engine sums it back to the input's shape once (`sumToShape`).
 */
export interface OpDef<Args, Saved> {
  /** Computes the output from the input arrays; returns it with what backward needs. */
  forward(inputs: readonly NDArray[], args: Args): [out: NDArray, saved: Saved];
  /**
   * Returns one gradient per input (`null` where `needsGrad[i]` is false), given the upstream
   * gradient `g`.
   */
  backward(g: NDArray, saved: Saved, needsGrad: readonly boolean[], args: Args): (NDArray | null)[];
  /**
   * True when every gradient `backward` returns is a fresh array that nothing else refers to (not
   * `g`, not a view of it, not a saved array). The engine then hands such a gradient to a leaf's
   * `.grad` as is instead of copying it. Leave it unset when in doubt: the copy is always safe.
   */
  freshGradients?: boolean;
}

/** No arguments beyond the inputs. */
export type NoArgs = undefined;

/**
 * Every primitive's argument and saved-state types. Adding a name here without adding its
 * forward/backward to the table in `ops/index.ts` is a compile error, and so is the reverse.
 */
export interface OpTypes {
  // unary
  neg: { args: NoArgs; saved: null };
  exp: { args: NoArgs; saved: NDArray };
  log: { args: NoArgs; saved: NDArray };
  sqrt: { args: NoArgs; saved: NDArray };
  abs: { args: NoArgs; saved: NDArray };
  tanh: { args: NoArgs; saved: NDArray };
  sigmoid: { args: NoArgs; saved: NDArray };
  relu: { args: NoArgs; saved: NDArray };
  cast: { args: { dtype: 'float32' | 'float64' }; saved: 'float32' | 'float64' };
  // binary
  add: { args: NoArgs; saved: null };
  mul: { args: NoArgs; saved: [NDArray, NDArray] };
  pow: { args: NoArgs; saved: [NDArray, NDArray, NDArray] };
  // reductions
  sum: { args: { dims: number[]; keepdim: boolean }; saved: readonly number[] };
  max: { args: { dims: number[]; keepdim: boolean }; saved: [NDArray, NDArray] };
  // movement
  reshape: { args: { shape: number[] }; saved: readonly number[] };
  permute: { args: { dims: number[] }; saved: null };
  expand: { args: { shape: number[] }; saved: readonly number[] };
  narrow: { args: { dim: number; start: number; length: number }; saved: readonly number[] };
  contiguous: { args: NoArgs; saved: null };
  // linear algebra
  matmul: { args: NoArgs; saved: [NDArray, NDArray] };
  // convolution and pooling (ops/conv.ts)
  conv2d: { args: Conv2dParams; saved: { x: NDArray; w: NDArray; geom: Conv2dGeometry } };
  maxPool2d: { args: Pool2dParams; saved: { geom: Pool2dGeometry; argmax: Int32Array; inputShape: readonly number[] } };
  avgPool2d: { args: Pool2dParams & { countIncludePad: boolean; divisorOverride: number }; saved: { geom: Pool2dGeometry; inputShape: readonly number[] } };
  adaptiveAvgPool2d: { args: { outH: number; outW: number }; saved: readonly number[] };
  // activations (ops/activation.ts)
  gelu: { args: { approximate: 'none' | 'tanh' }; saved: NDArray };
  leakyRelu: { args: { negativeSlope: number }; saved: NDArray };
  // joining and padding (ops/cat-pad.ts)
  cat: { args: { dim: number }; saved: number[] };
  pad: { args: { pads: number[]; value: number }; saved: readonly number[] };
  // normalization (ops/norm.ts)
  normalize: {
    args: { layout: NormLayout; mean: Float64Array; invstd: Float64Array; batchStats: boolean };
    saved: { x: NDArray; weight: NDArray | null };
  };
  normalizeWith: {
    args: { layout: NormLayout; eps: number };
    saved: { x: NDArray; mean: Float64Array; invstd: Float64Array; weight: NDArray | null; statShape: readonly number[] };
  };
  normMoments: { args: { layout: NormLayout }; saved: { x: NDArray; mean: Float64Array } };
}

export type OpName = keyof OpTypes;

/** The op table's type: one complete OpDef per name. */
export type OpTable = { [K in OpName]: OpDef<OpTypes[K]['args'], OpTypes[K]['saved']> };
