/**
 * relu and its gradient on 32-bit words (float32, and int32 for relu) on the wasm backend: the
 * operands are copied in pieces of {@link WASM_RELU_PIECE} words into the free scratch region of
 * this thread's wasm memory (wasm/gemm.ts `wasmScratchRegion`), masked there four words per
 * vector by the emitted kernels below, and copied out. The masks are the JS kernels' (kernels/
 * elementwise.ts `reluWords32`, `reluGradWords32`, the reference) on integer lanes, so the bits
 * are the same.
 *
 * Why wasm for a pass this simple: the JS loop runs at ≈ 1.2 ns per element on the bench machine
 * while copying runs at ≈ 0.09 ns per element (800 KB in 17 µs). Measured in isolation
 * (200 704 float32 elements, Node 20, the 2-core Xeon of bench/README.md): JS relu 251 µs, copy
 * in + wasm + copy out 116 µs with a one-vector loop (the kernels here do four vectors per step).
 */
import { ModuleBuilder, type FunctionBuilder, type Local } from './emitter.js';
import { wasmScratchRegion } from './gemm.js';
import { threadModule } from './thread-module.js';

/**
 * Words per piece: three regions of this many words (x, g, out) and a vector step of slack each
 * fit the 4 MiB scratch region, and a piece's 768 KB stay in the 4 MB L2 cache between the copies
 * and the kernel.
 */
export const WASM_RELU_PIECE = 65536;
/** Bytes of one region: a piece and the 64 bytes an unrolled step may run past its end. */
const REGION_BYTES = WASM_RELU_PIECE * 4 + 64;
/** Vectors per loop step (each 4 words). */
const UNROLL = 4;

/**
 * `for (i = 0; i < bytes; i += 16·UNROLL) body(i)`: the caller rounds `bytes` up to a whole step
 * (the lanes past the end compute values that are never copied out).
 */
function forSteps(f: FunctionBuilder, i: Local, bytes: Local, body: (v: number) => void): void {
  f.forRange(i, 0, bytes, 16 * UNROLL, () => {
    for (let v = 0; v < UNROLL; v++) body(v);
  });
}

/**
 * Leaves on the stack the all-ones lanes of the float32 NaNs (either sign) in the vector `w`:
 * `|w| > bits of ∞`, as kernels/elementwise.ts `nanMask32` (i32x4.gt_s of the magnitude bits).
 */
function nanLanes(f: FunctionBuilder, w: Local, magnitude: Local, infinity: Local): void {
  f.get(w); f.get(magnitude); f.v128.and(); f.get(infinity); f.i32x4.gt_s();
}

/**
 * The module: `relu_words_f32(src, dst, bytes)`, `relu_words_i32(src, dst, bytes)` and
 * `relu_grad_words(g, x, dst, bytes)` (addresses and byte counts, a multiple of 64), computing for
 * each 32-bit word w = src[i] (x[i]), with nan(w) all ones when w is a float32 NaN of either sign:
 *
 * ```ts
 * dst[i] = w & (~(w >> 31) | nan(w));                 // float32 relu: sign bit set → +0, NaN kept
 * dst[i] = w & ~(w >> 31);                            // int32 relu
 * dst[i] = g[i] & (~(((w − 1) | w) >> 31) | nan(w));  // gradient: g where x > 0 or x is NaN, else +0
 * ```
 */
export function reluModuleBytes(): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 1);
  for (const float of [true, false]) {
    m.func(float ? 'relu_words_f32' : 'relu_words_i32', ['i32', 'i32', 'i32'], [], (f, args) => {
      const [src, dst, bytes] = args as [Local, Local, Local];
      const i = f.local('i32');
      const w = f.local('v128');
      const [magnitude, infinity] = [f.local('v128'), f.local('v128')];
      f.i32.const(0x7fffffff); f.i32x4.splat(); f.set(magnitude);
      f.i32.const(0x7f800000); f.i32x4.splat(); f.set(infinity);
      forSteps(f, i, bytes, (v) => {
        f.get(dst); f.get(i); f.i32.add();
        f.get(src); f.get(i); f.i32.add(); f.v128.load(16 * v, 0); f.tee(w);
        f.get(w); f.i32.const(31); f.i32x4.shr_s(); f.v128.not(); // ~(w >> 31)
        if (float) { nanLanes(f, w, magnitude, infinity); f.v128.or(); } // | nan(w)
        f.v128.and(); // w & keep
        f.v128.store(16 * v, 0);
      });
    });
  }
  m.func('relu_grad_words', ['i32', 'i32', 'i32', 'i32'], [], (f, args) => {
    const [g, x, dst, bytes] = args as [Local, Local, Local, Local];
    const i = f.local('i32');
    const w = f.local('v128');
    const [one, magnitude, infinity] = [f.local('v128'), f.local('v128'), f.local('v128')];
    f.i32.const(1); f.i32x4.splat(); f.set(one);
    f.i32.const(0x7fffffff); f.i32x4.splat(); f.set(magnitude);
    f.i32.const(0x7f800000); f.i32x4.splat(); f.set(infinity);
    forSteps(f, i, bytes, (v) => {
      f.get(dst); f.get(i); f.i32.add();
      f.get(g); f.get(i); f.i32.add(); f.v128.load(16 * v, 0);
      f.get(x); f.get(i); f.i32.add(); f.v128.load(16 * v, 0); f.tee(w);
      f.get(one); f.i32x4.sub(); f.get(w); f.v128.or(); // (w − 1) | w
      f.i32.const(31); f.i32x4.shr_s(); f.v128.not(); // ~(…)
      nanLanes(f, w, magnitude, infinity); f.v128.or(); // | nan(w)
      f.v128.and(); // g & mask
      f.v128.store(16 * v, 0);
    });
  });
  return m.bytes();
}

type WordsFn = (src: number, dst: number, bytes: number) => void;
type GradFn = (g: number, x: number, dst: number, bytes: number) => void;

/** This thread's relu kernels, on the GEMM's memory, and an int32 view of that memory. */
const reluKernels = threadModule('relu', reluModuleBytes, ({ exports, i32 }) => ({
  reluFloat: exports['relu_words_f32'] as WordsFn, reluInt: exports['relu_words_i32'] as WordsFn,
  grad: exports['relu_grad_words'] as GradFn, words: i32,
}));

/** Bytes of `n` words rounded up to a whole unrolled step. */
function stepBytes(n: number): number {
  return Math.ceil(n / (4 * UNROLL)) * 16 * UNROLL;
}

/**
 * dst[i] = relu of the 32-bit word src[i] for i < n — float32 bits (`float`: a NaN is kept) or
 * int32 ones — in wasm; the same bits as kernels/elementwise.ts `reluFloatWords32` /
 * `reluIntWords32`.
 *
 * @example
 * ```ts
 * const out = new Float32Array(3);
 * wasmReluWords(new Int32Array(new Float32Array([-1, 0, 2]).buffer), new Int32Array(out.buffer), 3, true); // out = [0, 0, 2]
 * ```
 */
export function wasmReluWords(src: Int32Array, dst: Int32Array, n: number, float: boolean): void {
  const k = reluKernels();
  const base = wasmScratchRegion().byteOffset;
  const inAt = base;
  const outAt = base + REGION_BYTES;
  for (let lo = 0; lo < n; lo += WASM_RELU_PIECE) {
    const count = Math.min(WASM_RELU_PIECE, n - lo);
    k.words.set(src.subarray(lo, lo + count), inAt / 4);
    (float ? k.reluFloat : k.reluInt)(inAt, outAt, stepBytes(count));
    dst.set(k.words.subarray(outAt / 4, outAt / 4 + count), lo);
  }
}

/**
 * dst[i] = g[i] where the float32 x[i] > 0 or is a NaN, else +0, for i < n (all as 32-bit words),
 * in wasm; the same bits as kernels/elementwise.ts `reluGradWords32`.
 *
 * @example
 * ```ts
 * const out = new Float32Array(3);
 * const words = (a: number[]) => new Int32Array(new Float32Array(a).buffer);
 * wasmReluGradWords(words([5, 6, 7]), words([-1, 0, 2]), new Int32Array(out.buffer), 3); // out = [0, 0, 7]
 * ```
 */
export function wasmReluGradWords(g: Int32Array, x: Int32Array, dst: Int32Array, n: number): void {
  const k = reluKernels();
  const base = wasmScratchRegion().byteOffset;
  const gAt = base;
  const xAt = base + REGION_BYTES;
  const outAt = base + 2 * REGION_BYTES;
  for (let lo = 0; lo < n; lo += WASM_RELU_PIECE) {
    const count = Math.min(WASM_RELU_PIECE, n - lo);
    k.words.set(g.subarray(lo, lo + count), gAt / 4);
    k.words.set(x.subarray(lo, lo + count), xAt / 4);
    k.grad(gAt, xAt, outAt, stepBytes(count));
    dst.set(k.words.subarray(outAt / 4, outAt / 4 + count), lo);
  }
}
