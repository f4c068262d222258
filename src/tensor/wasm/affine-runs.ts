/**
 * The elementwise passes of the normalization layers (kernels/affine-runs.ts, the reference) for
 * float32 on the wasm backend: runs of x (and g) are copied in pieces into the free scratch
 * region of this thread's wasm memory (wasm/gemm.ts `wasmScratchRegion`) with their float64
 * constants, computed two elements per vector in float64 exactly as the JS expressions (each
 * float32 promoted, the same operations in the same order, no fused multiply-add, rounded once to
 * float32 as a Float32Array store rounds), and copied out. So the bits are the JS kernels'.
 */
import { ModuleBuilder, type FunctionBuilder, type Local } from './emitter.js';
import { wasmScratchRegion } from './gemm.js';
import { threadModule } from './thread-module.js';

/**
 * Elements per piece: three float32 regions of this many elements (x, g, out) and the constants
 * fit the 4 MiB scratch region, and a piece stays in the 4 MB L2 cache between the copies and the
 * kernel. A run longer than this takes the JS kernels.
 */
export const WASM_AFFINE_PIECE = 65536;
/** Bytes of one float32 region; the constants follow the three regions (at most 4 · 8 bytes per element of a piece: runs of 1). */
const REGION_BYTES = WASM_AFFINE_PIECE * 4 + 64;

/**
 * Emits a loop over `runs` runs of `length` float32 elements, run r with the float64 constants
 * consts[k][r]: `pair(ptrs)` computes two elements at the byte addresses on entry (one vector of
 * two float64 lanes), `single(ptrs)` one element (the odd last one of a run).
 */
function emitRuns(
  f: FunctionBuilder, runs: Local, length: Local, pointers: Local[], consts: Local[],
  body: (splats: Local[], scalars: Local[], lanes: 'pair' | 'single') => void,
): void {
  const [r, j] = [f.local('i32'), f.local('i32')];
  const splats = consts.map(() => f.local('v128'));
  const scalars = consts.map(() => f.local('f64'));
  f.forRange(r, 0, runs, 1, () => {
    consts.forEach((c, k) => {
      f.get(c); f.get(r); f.i32.const(3); f.i32.shl(); f.i32.add(); f.f64.load(); f.tee(scalars[k]!);
      f.f64x2.splat(); f.set(splats[k]!);
    });
    // for (j = 0; j + 2 <= length; j += 2) pair
    f.i32.const(0); f.set(j);
    f.block(() => f.loop(() => {
      f.get(j); f.i32.const(2); f.i32.add(); f.get(length); f.i32.gt_s(); f.br_if(1);
      body(splats, scalars, 'pair');
      for (const p of pointers) f.addTo(p, 8);
      f.addTo(j, 2);
      f.br(0);
    }));
    f.get(j); f.get(length); f.i32.lt_s();
    f.ifElse(() => {
      body(splats, scalars, 'single');
      for (const p of pointers) f.addTo(p, 4);
    });
  });
}

/**
 * The module: `affine_runs(x, out, runs, length, m, scale, add)` and `gradient_runs(g, x, out, runs,
 * length, m, a, b, c)` (byte addresses; float32 runs one after another, float64 constants per
 * run), computing for element i of run r, in float64, rounded to float32 at the store:
 *
 * ```ts
 * out[i] = (x[i] − m[r])·scale[r] + add[r];
 * out[i] = a[r]·g[i] − b[r]·(x[i] − m[r]) − c[r];
 * ```
 */
export function affineModuleBytes(): Uint8Array {
  const mod = new ModuleBuilder();
  mod.importMemory('env', 'memory', 1);
  /** Pushes x at `p` as float64: two lanes (pair) or one value (single). */
  const loadX = (f: FunctionBuilder, p: Local, lanes: 'pair' | 'single'): void => {
    f.get(p);
    if (lanes === 'pair') { f.v128.load64_zero(0, 0); f.f64x2.promote_low_f32x4(); } else { f.f32.load(); f.f64.promote_f32(); }
  };
  /** Rounds the float64 value(s) on the stack to float32 and stores them (address pushed before). */
  const store = (f: FunctionBuilder, lanes: 'pair' | 'single'): void => {
    if (lanes === 'pair') { f.f32x4.demote_f64x2_zero(); f.v128.store64_lane(0, 0, 0); } else { f.f32.demote_f64(); f.f32.store(); }
  };
  mod.func('affine_runs', new Array<'i32'>(7).fill('i32'), [], (f, args) => {
    const [x, out, runs, length, m, scale, add] = args as [Local, Local, Local, Local, Local, Local, Local];
    emitRuns(f, runs, length, [x, out], [m, scale, add], (splats, scalars, lanes) => {
      const [mv, sv, av] = lanes === 'pair' ? splats : scalars;
      const ops = lanes === 'pair' ? f.f64x2 : f.f64;
      f.get(out);
      loadX(f, x, lanes); f.get(mv!); ops.sub(); f.get(sv!); ops.mul(); f.get(av!); ops.add(); // (x − m)·scale + add
      store(f, lanes);
    });
  });
  mod.func('gradient_runs', new Array<'i32'>(9).fill('i32'), [], (f, args) => {
    const [g, x, out, runs, length, m, a, b, c] = args as [Local, Local, Local, Local, Local, Local, Local, Local, Local];
    emitRuns(f, runs, length, [g, x, out], [m, a, b, c], (splats, scalars, lanes) => {
      const [mv, av, bv, cv] = lanes === 'pair' ? splats : scalars;
      const ops = lanes === 'pair' ? f.f64x2 : f.f64;
      f.get(out);
      f.get(av!); loadX(f, g, lanes); ops.mul(); // a·g
      f.get(bv!); loadX(f, x, lanes); f.get(mv!); ops.sub(); ops.mul(); // b·(x − m)
      ops.sub(); f.get(cv!); ops.sub(); // a·g − b·(x − m) − c
      store(f, lanes);
    });
  });
  return mod.bytes();
}

type AffineFn = (x: number, out: number, runs: number, length: number, m: number, scale: number, add: number) => void;
type GradientFn = (g: number, x: number, out: number, runs: number, length: number, m: number, a: number, b: number, c: number) => void;

interface AffineKernels {
  affine: AffineFn;
  gradient: GradientFn;
  f32: Float32Array;
  f64: Float64Array;
}

const affineKernels = threadModule('affine-runs', affineModuleBytes, ({ exports, f32, f64 }): AffineKernels => ({
  affine: exports['affine_runs'] as AffineFn, gradient: exports['gradient_runs'] as GradientFn, f32, f64,
}));

/** Byte addresses of the regions: x, g, out, then the constant arrays. */
function regions(): { x: number; g: number; out: number; consts: number } {
  const base = wasmScratchRegion().byteOffset;
  return { x: base, g: base + REGION_BYTES, out: base + 2 * REGION_BYTES, consts: base + 3 * REGION_BYTES };
}

/**
 * Cuts `runs` runs of `length` elements into pieces of whole runs that fit the scratch regions,
 * copies each piece's per-run constants (`constants`, one value per run each) into the constant
 * region — array i from `at.consts + i·per·8` — and calls `body(count, from, size)` for it: `count`
 * runs starting at element `from`, `size` elements, `constantAt(i)` the byte address of array i.
 */
function forEachPiece(
  k: AffineKernels, at: { consts: number }, runs: number, length: number, constants: readonly Float64Array[],
  body: (count: number, from: number, size: number, constantAt: (i: number) => number) => void,
): void {
  const per = Math.floor(WASM_AFFINE_PIECE / length);
  const constantAt = (i: number): number => at.consts + i * per * 8;
  for (let r0 = 0; r0 < runs; r0 += per) {
    const count = Math.min(per, runs - r0);
    constants.forEach((values, i) => k.f64.set(values.subarray(r0, r0 + count), constantAt(i) / 8));
    body(count, r0 * length, count * length, constantAt);
  }
}

/** Whether runs of `length` elements fit a piece (else the caller runs the JS kernels). */
export function wasmAffineRunsFit(length: number): boolean {
  return length >= 1 && length <= WASM_AFFINE_PIECE;
}

/**
 * kernels/affine-runs.ts `affineRuns` for float32 x and out in wasm, the same bits: out[outOffset
 * + r·length + j] = (x[xOffset + r·length + j] − m[r])·scale[r] + add[r]. Check
 * {@link wasmAffineRunsFit} first.
 *
 * @example
 * ```ts
 * const out = new Float32Array(4);
 * wasmAffineRuns(new Float32Array([1, 2, 3, 4]), 0, out, 0, 2, 2, Float64Array.of(1, 3), Float64Array.of(2, 1), Float64Array.of(0, 10));
 * // out = [0, 2, 10, 11]
 * ```
 */
export function wasmAffineRuns(
  x: Float32Array, xOffset: number, out: Float32Array, outOffset: number, runs: number, length: number,
  m: Float64Array, scale: Float64Array, add: Float64Array,
): void {
  const k = affineKernels();
  const at = regions();
  forEachPiece(k, at, runs, length, [m, scale, add], (count, from, size, constantAt) => {
    k.f32.set(x.subarray(xOffset + from, xOffset + from + size), at.x / 4);
    k.affine(at.x, at.out, count, length, constantAt(0), constantAt(1), constantAt(2));
    out.set(k.f32.subarray(at.out / 4, at.out / 4 + size), outOffset + from);
  });
}

/**
 * kernels/affine-runs.ts `gradientRuns` for float32 g, x and out in wasm, the same bits: out[i] =
 * a[r]·g[i] − b[r]·(x[i] − m[r]) − c[r] over runs of `length`. Check {@link wasmAffineRunsFit}.
 *
 * @example
 * ```ts
 * const out = new Float32Array(2);
 * wasmGradientRuns(new Float32Array([1, 1]), 0, new Float32Array([2, 4]), 0, out, 0, 1, 2,
 *   Float64Array.of(3), Float64Array.of(2), Float64Array.of(1), Float64Array.of(0)); // out = [3, 1]
 * ```
 */
export function wasmGradientRuns(
  g: Float32Array, gOffset: number, x: Float32Array, xOffset: number, out: Float32Array, outOffset: number,
  runs: number, length: number, m: Float64Array, a: Float64Array, b: Float64Array, c: Float64Array,
): void {
  const k = affineKernels();
  const at = regions();
  forEachPiece(k, at, runs, length, [m, a, b, c], (count, from, size, constantAt) => {
    k.f32.set(g.subarray(gOffset + from, gOffset + from + size), at.g / 4);
    k.f32.set(x.subarray(xOffset + from, xOffset + from + size), at.x / 4);
    k.gradient(at.g, at.x, at.out, count, length, constantAt(0), constantAt(1), constantAt(2), constantAt(3));
    out.set(k.f32.subarray(at.out / 4, at.out / 4 + size), outOffset + from);
  });
}
