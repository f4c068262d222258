import type { DType, FloatDType } from '../tensor/dtype.js';
import type { NormLayout } from '../tensor/kernels/norm.js';
import type { NDArray } from '../tensor/ndarray.js';
import type { Conv2dGeometry, Conv2dParams } from '../tensor/kernels/conv.js';
import type { Pool2dGeometry, Pool2dParams } from '../tensor/kernels/pool.js';
import type { SliceSpec } from '../tensor/kernels/slicing.js';
import type { Tensor } from './tensor.js';

/** What an op's backward gets besides the upstream gradient. */
export interface BackwardContext<Args, Saved> {
  /** What the forward returned for backward: shapes, indices, geometry (not the input values). */
  saved: Saved;
  /** Which inputs need a gradient: return `null` for the others and skip their work. */
  needsGrad: readonly boolean[];
  args: Args;
  /** The op's inputs as tensors: backward reads their values through these (see `saves`). */
  inputs: readonly Tensor[];
  /** The op's output as a tensor (exp's backward is g·y). */
  output: Tensor;
  /**
   * True when the backward pass is being recorded (`createGraph`): the gradients it returns must
   * then be built from Tensor operations that are themselves differentiable. A fused kernel may
   * take a faster route when this is false (see the norm ops).
   */
  createGraph: boolean;
}

/**
 * One differentiable primitive: forward and backward side by side.
 * - `forward` computes the output from the input arrays (kernels on NDArrays) and returns what
 *   backward needs besides the inputs and the output (`saved`: shapes, indices).
 * - `backward` gets the upstream gradient `g` (shaped like the output) and returns one gradient per
 *   input, `null` where `needsGrad[i]` is false (it should skip that work). It is written in Tensor
 *   operations (or other primitives), so with `createGraph` the backward pass is itself recorded and
 *   can be differentiated again — PyTorch's `derivatives.yaml` idea. A gradient may still be
 *   broadcast-shaped: the engine sums it back to the input's shape once.
 */
export interface OpDef<Args, Saved> {
  /** Computes the output from the input arrays; returns it with what backward needs. */
  forward(inputs: readonly NDArray[], args: Args): [out: NDArray, saved: Saved];
  /** Returns one gradient per input (`null` where `needsGrad[i]` is false). */
  backward(g: Tensor, ctx: BackwardContext<Args, Saved>): (Tensor | null)[];
  /**
   * Which tensors backward reads: the inputs, the output, or both. Their versions are recorded at
   * the forward, and backward throws if one was written in place since (version.ts).
   */
  saves?: { inputs?: boolean; output?: boolean };
  /**
   * True when every gradient `backward` returns (outside `createGraph`) is a fresh tensor whose
   * storage nothing else refers to (not `g`, not a view of it, not an input). The engine then
   * hands it to a leaf's `.grad` as is, or recycles its buffer once consumed. Leave it unset when in
   * doubt: the copy is always safe.
   */
  freshGradients?: boolean;
  /**
   * True when `backward` returns `g` itself or views of it (reshape, permute): a gradient the
   * engine owned stays owned, so a leaf takes it without a copy (Linear's weight gradient arrives
   * through the transpose's backward this way).
   */
  gradientViews?: boolean;
}

/** No arguments beyond the inputs. */
export type NoArgs = undefined;

/**
 * Every primitive's argument and saved-state types. Adding a name here without adding its
 * forward/backward to the table in `ops/index.ts` is a compile error, and so is the reverse.
 */
export interface OpTypes {
  // unary (ops/unary.ts)
  neg: { args: NoArgs; saved: null };
  exp: { args: NoArgs; saved: null };
  log: { args: NoArgs; saved: null };
  sqrt: { args: NoArgs; saved: null };
  abs: { args: NoArgs; saved: null };
  tanh: { args: NoArgs; saved: null };
  sigmoid: { args: NoArgs; saved: null };
  relu: { args: NoArgs; saved: null };
  reluBackward: { args: NoArgs; saved: null };
  scaleByStep: { args: { step: (v: number) => number }; saved: null };
  erf: { args: NoArgs; saved: null };
  cast: { args: { dtype: FloatDType }; saved: DType };
  // binary (ops/binary.ts)
  add: { args: NoArgs; saved: null };
  mul: { args: NoArgs; saved: null };
  pow: { args: NoArgs; saved: null };
  where: { args: NoArgs; saved: null };
  // reductions (ops/reduce.ts)
  sum: { args: { dims: number[]; keepdim: boolean }; saved: readonly number[] };
  max: { args: { dims: number[]; keepdim: boolean }; saved: null };
  scaleBy: { args: { factor: NDArray }; saved: readonly number[] };
  // movement (ops/movement.ts)
  reshape: { args: { shape: number[] }; saved: readonly number[] };
  permute: { args: { dims: number[] }; saved: null };
  expand: { args: { shape: number[] }; saved: readonly number[] };
  narrow: { args: { dim: number; start: number; length: number }; saved: readonly number[] };
  contiguous: { args: NoArgs; saved: null };
  clone: { args: NoArgs; saved: null };
  // linear algebra
  matmul: { args: NoArgs; saved: null };
  // convolution and pooling (ops/conv.ts)
  conv2d: { args: Conv2dParams; saved: null };
  conv2dInputGrad: { args: Conv2dParams & { inputShape: readonly number[] }; saved: null };
  conv2dWeightGrad: { args: Conv2dParams & { weightShape: readonly number[] }; saved: null };
  conv2dBiasGrad: { args: { geom: Conv2dGeometry }; saved: null };
  maxPool2d: { args: Pool2dParams; saved: MaxPoolWinners };
  maxPoolScatter: { args: MaxPoolWinners; saved: null };
  maxPoolGather: { args: MaxPoolWinners; saved: readonly number[] };
  avgPool2d: { args: AvgPoolArgs; saved: null };
  avgPool2dBackward: { args: AvgPoolArgs & { inputShape: readonly number[] }; saved: null };
  adaptiveAvgPool2d: { args: { outH: number; outW: number }; saved: null };
  adaptiveAvgPool2dBackward: { args: { outH: number; outW: number; inputShape: readonly number[] }; saved: null };
  // adaptive max pooling and interpolation (ops/resample.ts)
  adaptiveMaxPool2d: { args: { outH: number; outW: number }; saved: MaxPoolWinners };
  planeMap: { args: PlaneMap; saved: null };
  planeMapTranspose: { args: PlaneMap; saved: null };
  // activations (ops/activation.ts)
  gelu: { args: { approximate: 'none' | 'tanh' }; saved: null };
  leakyRelu: { args: { negativeSlope: number }; saved: null };
  // joining and padding (ops/cat-pad.ts)
  cat: { args: { dim: number }; saved: number[] };
  pad: { args: { pads: number[]; value: number }; saved: null };
  // normalization (ops/norm.ts)
  normalize: {
    /** eps is used only by the recorded (createGraph) backward's composite, with batchStats. */
    args: { layout: NormLayout; mean: Float64Array; invstd: Float64Array; batchStats: boolean; eps: number };
    saved: { x: NDArray; weight: NDArray | null };
  };
  normalizeWith: {
    args: { layout: NormLayout; eps: number };
    saved: { x: NDArray; mean: Float64Array; invstd: Float64Array; weight: NDArray | null; statShape: readonly number[] };
  };
  normMoments: { args: { layout: NormLayout }; saved: { x: NDArray; mean: Float64Array } };
  // ---- issue 13 part A: float math, scans, slices (ops/math.ts, ops/scan.ts, ops/slicing.ts) ----
  sin: { args: NoArgs; saved: null };
  cos: { args: NoArgs; saved: null };
  log1p: { args: NoArgs; saved: null };
  expm1: { args: NoArgs; saved: null };
  log2: { args: NoArgs; saved: null };
  exp2: { args: NoArgs; saved: null };
  stepwise: { args: { fn: StepwiseFn }; saved: null };
  maximum: { args: NoArgs; saved: null };
  minimum: { args: NoArgs; saved: null };
  atan2: { args: NoArgs; saved: null };
  clamp: { args: NoArgs; saved: null };
  rootOrZero: { args: { p: number }; saved: null };
  cumsum: { args: { dim: number }; saved: null };
  cumprod: { args: { dim: number }; saved: null };
  prod: { args: NoArgs; saved: null };
  slice: { args: SliceSpec; saved: readonly number[] };
  sliceScatter: { args: SliceSpec & { inputShape: readonly number[] }; saved: null };
  flip: { args: { dims: number[] }; saved: null };
  // indexing (ops/indexing.ts): `index` is a checked int32 array
  gather: { args: { dim: number; index: NDArray }; saved: readonly number[] };
  scatter: { args: { dim: number; index: NDArray }; saved: null };
  scatterAdd: { args: { dim: number; index: NDArray }; saved: null };
}

/** The piecewise-constant elementwise functions (zero gradient): floor, ceil, round, sign. */
export type StepwiseFn = 'floor' | 'ceil' | 'round' | 'sign';

/** Max pooling's geometry and, per output element, the index in its plane of the input that won. */
export interface MaxPoolWinners {
  geom: Pool2dGeometry;
  argmax: Int32Array;
}

/**
 * A sparse linear map from each [inH, inW] plane to an [outH, outW] plane: output o is
 * Σ_k weight[o·K + k] · input[index[o·K + k]] (interpolation: K = 1 nearest, K = 4 bilinear).
 */
export interface PlaneMap {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  K: number;
  index: Int32Array;
  weight: Float64Array;
}

/** Average pooling's window geometry and divisor rule. */
export type AvgPoolArgs = Pool2dParams & { countIncludePad: boolean; divisorOverride: number };

export type OpName = keyof OpTypes;

/** The op table's type: one complete OpDef per name. */
export type OpTable = { [K in OpName]: OpDef<OpTypes[K]['args'], OpTypes[K]['saved']> };
