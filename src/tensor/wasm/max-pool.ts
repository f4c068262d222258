/**
 * Max pooling 2×2, stride 2 (kernels/pool.ts `maxPool2x2`, the reference) for float32 on the wasm
 * backend: the full windows, four per vector. The planes are copied in pieces into the free
 * scratch region of this thread's wasm memory (wasm/gemm.ts `wasmScratchRegion`); the kernel runs
 * the JS kernel's tournament on lanes — the winner of each row pair, then of the two winners, b
 * taking over from a when b > a or b is NaN — choosing values and indices with bit masks, so y
 * holds the winning element's bits and argmax its index, as in JS; y and argmax are copied out.
 * The windows that are not full (odd sizes, ceil mode) are left to the JS kernel.
 */
import { ModuleBuilder, type Local } from './emitter.js';
import { wasmScratchRegion } from './gemm.js';
import { threadModule } from './thread-module.js';

/**
 * Input elements per piece (whole planes): x, y and argmax regions of this many elements each (a
 * 1×1 plane has as many outputs as inputs) fit the 4 MiB scratch region.
 */
export const WASM_POOL_PIECE = 262144;
/** Bytes of a region, with slack for the lanes a row's last vector reads or writes past its end. */
const X_BYTES = WASM_POOL_PIECE * 4 + 64;
const OUT_BYTES = X_BYTES;

/** Byte lanes of i8x16.shuffle taking the 32-bit lanes 0, 2, 4, 6 (evens) or 1, 3, 5, 7 (odds) of two vectors. */
function wordLanes(words: readonly number[]): number[] {
  return words.flatMap((w) => [4 * w, 4 * w + 1, 4 * w + 2, 4 * w + 3]);
}

/** Little-endian bytes of four i32 values. */
function i32Bytes(values: readonly number[]): number[] {
  return values.flatMap((v) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff]);
}

/**
 * The module: `max_pool_2x2(x, y, argmax, planes, h, w, outH, outW, fullH, fullW)` (byte addresses),
 * which computes, for every plane pl, output row oh < fullH and output column ow < fullW rounded up
 * to a multiple of 4 (the extra lanes write values the next row or the JS kernel overwrites, or
 * into the slack after the region):
 *
 * ```ts
 * const a = 2·oh·w + 2·ow, c = a + w;                 // window rows: a, a + 1 and c, c + 1
 * const l = a + beats(x[a + 1], x[a]);                // beats(b, a) = b > a || b is NaN
 * const r = c + beats(x[c + 1], x[c]);
 * const win = beats(x[r], x[l]) ? r : l;
 * y[pl, oh, ow] = x[pl, win];  argmax[pl, oh, ow] = win;
 * ```
 */
export function maxPoolModuleBytes(): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 1);
  m.func('max_pool_2x2', new Array<'i32'>(10).fill('i32'), [], (f, args) => {
    const [x, y, argmax, planes, h, w, outH, outW, fullH, fullW] = args as [Local, Local, Local, Local, Local, Local, Local, Local, Local, Local];
    const int = (): Local => f.local('i32');
    const [pl, oh, ow, xPlane, outRow, src, index] = [int(), int(), int(), int(), int(), int(), int()];
    const vec = (): Local => f.local('v128');
    const [e0, o0, e1, o1, mask, lv, li, rv, ri, wBytes] = [vec(), vec(), vec(), vec(), vec(), vec(), vec(), vec(), vec(), int()];
    const [wSplat, topIndex] = [vec(), vec()];
    f.get(w); f.i32.const(2); f.i32.shl(); f.set(wBytes);
    f.get(w); f.i32x4.splat(); f.set(wSplat);
    /** Pushes beats(b, a) as a lane mask: b > a, or b ≠ b (NaN). */
    const beats = (b: Local, a: Local): void => {
      f.get(b); f.get(a); f.f32x4.gt();
      f.get(b); f.get(b); f.f32x4.ne();
      f.v128.or();
    };
    /** Loads the 8 words at the address on the stack … into evens and odds. */
    const deinterleave = (address: () => void, evens: Local, odds: Local): void => {
      address(); f.v128.load(0, 0); address(); f.v128.load(16, 0); f.v128.shuffle(wordLanes([0, 2, 4, 6])); f.set(evens);
      address(); f.v128.load(0, 0); address(); f.v128.load(16, 0); f.v128.shuffle(wordLanes([1, 3, 5, 7])); f.set(odds);
    };
    f.forRange(pl, 0, planes, 1, () => {
      // xPlane = x + pl·h·w·4
      f.get(x); f.get(pl); f.get(h); f.i32.mul(); f.get(w); f.i32.mul(); f.i32.const(2); f.i32.shl(); f.i32.add(); f.set(xPlane);
      f.forRange(oh, 0, fullH, 1, () => {
        // outRow = (pl·outH + oh)·outW: the output index of (pl, oh, 0)
        f.get(pl); f.get(outH); f.i32.mul(); f.get(oh); f.i32.add(); f.get(outW); f.i32.mul(); f.set(outRow);
        f.forRange(ow, 0, fullW, 4, () => {
          // index = 2·oh·w + 2·ow (window top-left, within the plane); src = its byte address
          f.get(oh); f.get(w); f.i32.mul(); f.get(ow); f.i32.add(); f.i32.const(1); f.i32.shl(); f.set(index);
          f.get(xPlane); f.get(index); f.i32.const(2); f.i32.shl(); f.i32.add(); f.set(src);
          f.get(index); f.i32x4.splat(); f.v128.const(i32Bytes([0, 2, 4, 6])); f.i32x4.add(); f.set(topIndex);
          deinterleave(() => f.get(src), e0, o0);
          deinterleave(() => { f.get(src); f.get(wBytes); f.i32.add(); }, e1, o1);
          // left winner: l = a + beats(x[a + 1], x[a])
          beats(o0, e0); f.set(mask);
          f.get(o0); f.get(e0); f.get(mask); f.v128.bitselect(); f.set(lv);
          f.get(topIndex); f.get(mask); f.i32x4.sub(); f.set(li); // a mask lane is −1: subtracting it adds 1
          // right winner: r = c + beats(x[c + 1], x[c]), c = a + w
          beats(o1, e1); f.set(mask);
          f.get(o1); f.get(e1); f.get(mask); f.v128.bitselect(); f.set(rv);
          f.get(topIndex); f.get(wSplat); f.i32x4.add(); f.get(mask); f.i32x4.sub(); f.set(ri);
          // the winner of the two
          beats(rv, lv); f.set(mask);
          f.get(y); f.get(outRow); f.get(ow); f.i32.add(); f.i32.const(2); f.i32.shl(); f.i32.add();
          f.get(rv); f.get(lv); f.get(mask); f.v128.bitselect(); f.v128.store(0, 0);
          f.get(argmax); f.get(outRow); f.get(ow); f.i32.add(); f.i32.const(2); f.i32.shl(); f.i32.add();
          f.get(ri); f.get(li); f.get(mask); f.v128.bitselect(); f.v128.store(0, 0);
        });
      });
    });
  });
  emitScatter(m);
  return m.bytes();
}

/**
 * Emits `max_pool_scatter(dy, argmax, dx, planes, perIn, perOut)` (byte addresses), the backward
 * of any max pooling (kernels/pool.ts `maxPool2dBackward`), in float32:
 *
 * ```ts
 * dx.fill(0, 0, planes·perIn);
 * for (let pl = 0; pl < planes; pl++)
 *   for (let o = 0; o < perOut; o++) {
 *     const index = argmax[pl·perOut + o];
 *     if (index >= 0) dx[pl·perIn + index] += dy[pl·perOut + o];   // one float32 addition
 *   }
 * ```
 *
 * A float32 `+=` in JS adds in float64 and rounds once to float32, which is the correctly rounded
 * float32 sum (float64 has more than 2·24 + 2 bits: the double rounding is innocuous), so
 * f32.add gives the same bits.
 */
function emitScatter(m: ModuleBuilder): void {
  m.func('max_pool_scatter', new Array<'i32'>(6).fill('i32'), [], (f, args) => {
    const [dy, argmax, dx, planes, perIn, perOut] = args as [Local, Local, Local, Local, Local, Local];
    const [b, end, pl, o, index, out, target] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
    // zero dx: whole vectors (the region has slack for the last one)
    f.get(planes); f.get(perIn); f.i32.mul(); f.i32.const(2); f.i32.shl(); f.set(end);
    f.forRange(b, 0, end, 16, () => { f.get(dx); f.get(b); f.i32.add(); f.v128.zero(); f.v128.store(0, 0); });
    f.forRange(pl, 0, planes, 1, () => {
      f.forRange(o, 0, perOut, 1, () => {
        // out = pl·perOut + o
        f.get(pl); f.get(perOut); f.i32.mul(); f.get(o); f.i32.add(); f.set(out);
        f.get(argmax); f.get(out); f.i32.const(2); f.i32.shl(); f.i32.add(); f.i32.load(); f.tee(index);
        f.i32.const(0); f.i32.ge_s();
        f.ifElse(() => {
          f.get(dx); f.get(pl); f.get(perIn); f.i32.mul(); f.get(index); f.i32.add(); f.i32.const(2); f.i32.shl(); f.i32.add(); f.set(target);
          f.get(target);
          f.get(target); f.f32.load();
          f.get(dy); f.get(out); f.i32.const(2); f.i32.shl(); f.i32.add(); f.f32.load();
          f.f32.add(); f.f32.store();
        });
      });
    });
  });
}

type ScatterFn = (dy: number, argmax: number, dx: number, planes: number, perIn: number, perOut: number) => void;

type PoolFn = (
  x: number, y: number, argmax: number, planes: number, h: number, w: number, outH: number, outW: number, fullH: number, fullW: number,
) => void;

const poolKernel = threadModule('max-pool', maxPoolModuleBytes, ({ exports, f32, i32 }) => ({
  pool: exports['max_pool_2x2'] as PoolFn, scatter: exports['max_pool_scatter'] as ScatterFn, f32, i32,
}));

/** Whether a plane of h×w fits a piece (else the JS kernel does all of it). */
export function wasmMaxPoolFits(h: number, w: number): boolean {
  return h * w <= WASM_POOL_PIECE;
}

/**
 * The full windows of kernels/pool.ts `maxPool2x2` (output rows < fullH, columns < fullW) for
 * float32 x and y in wasm: y and argmax of those windows as the JS kernel writes them; the other
 * entries of y and argmax are left for the JS kernel to write afterwards (their contents are
 * undefined until then). Check {@link wasmMaxPoolFits}.
 *
 * @example
 * ```ts
 * const y = new Float32Array(1);
 * const argmax = new Int32Array(1);
 * wasmMaxPool2x2Full(1, 2, 2, 1, 1, 1, 1, new Float32Array([1, 4, 3, 2]), 0, y, 0, argmax); // y = [4], argmax = [1]
 * ```
 */
export function wasmMaxPool2x2Full(
  planes: number, h: number, w: number, outH: number, outW: number, fullH: number, fullW: number,
  x: Float32Array, xOffset: number, y: Float32Array, yOffset: number, argmax: Int32Array,
): void {
  const k = poolKernel();
  const base = wasmScratchRegion().byteOffset;
  const [xAt, yAt, iAt] = [base, base + X_BYTES, base + X_BYTES + OUT_BYTES];
  const per = Math.floor(WASM_POOL_PIECE / (h * w));
  const inPlane = h * w;
  const outPlane = outH * outW;
  for (let p0 = 0; p0 < planes; p0 += per) {
    const count = Math.min(per, planes - p0);
    k.f32.set(x.subarray(xOffset + p0 * inPlane, xOffset + (p0 + count) * inPlane), xAt / 4);
    k.pool(xAt, yAt, iAt, count, h, w, outH, outW, fullH, fullW);
    y.set(k.f32.subarray(yAt / 4, yAt / 4 + count * outPlane), yOffset + p0 * outPlane);
    argmax.set(k.i32.subarray(iAt / 4, iAt / 4 + count * outPlane), p0 * outPlane);
  }
}

/** Whether planes of `perIn` inputs and `perOut` outputs fit a piece of {@link wasmMaxPoolBackward}. */
export function wasmMaxPoolBackwardFits(perIn: number, perOut: number): boolean {
  return Math.max(perIn, perOut) <= WASM_POOL_PIECE;
}

/**
 * kernels/pool.ts `maxPool2dBackward` for float32 dy and dx in wasm, with dx's planes zeroed first
 * (as pool-parallel.ts `maxPool2dBackwardSplit` does): dx[dxOffset + pl·h·w + argmax] += dy, the
 * same bits. Check {@link wasmMaxPoolBackwardFits}.
 *
 * @example
 * ```ts
 * const dx = new Float32Array(4);
 * wasmMaxPoolBackward(1, 2, 2, 1, new Float32Array([5]), 0, Int32Array.of(1), dx, 0); // dx = [0, 5, 0, 0]
 * ```
 */
export function wasmMaxPoolBackward(
  planes: number, h: number, w: number, perOut: number,
  dy: Float32Array, dyOffset: number, argmax: Int32Array, dx: Float32Array, dxOffset: number,
): void {
  const k = poolKernel();
  const base = wasmScratchRegion().byteOffset;
  const [dxAt, dyAt, iAt] = [base, base + X_BYTES, base + X_BYTES + OUT_BYTES];
  const perIn = h * w;
  const per = Math.floor(WASM_POOL_PIECE / Math.max(perIn, perOut));
  for (let p0 = 0; p0 < planes; p0 += per) {
    const count = Math.min(per, planes - p0);
    k.f32.set(dy.subarray(dyOffset + p0 * perOut, dyOffset + (p0 + count) * perOut), dyAt / 4);
    k.i32.set(argmax.subarray(p0 * perOut, (p0 + count) * perOut), iAt / 4);
    k.scatter(dyAt, iAt, dxAt, count, perIn, perOut);
    dx.set(k.f32.subarray(dxAt / 4, dxAt / 4 + count * perIn), dxOffset + p0 * perIn);
  }
}
