/**
 * The wasm GEMM (src/tensor/wasm/gemm.ts) against the JS reference (src/tensor/kernels/gemm.ts) on
 * seeded random shapes with ragged edges (m, n, k not multiples of the register tile, of KC, MC,
 * NC), strided views with offsets (transposed operands, a C row stride wider than n, operands that
 * are plain arrays or have no contiguous dimension), stale NaNs in the module's memory, and the
 * in-place path that conv2d uses:
 * - float64: bitwise equal to the JS kernel (the same products summed in the same order);
 * - float32: within the float32 error bound of recursive summation, (k + 2)·u·Σ|a||b| per element
 *   (u = 2⁻²⁴), against a float64 sum computed here.
 * Then thread-count determinism of the wasm backend through the pool (matmul, conv2d with its
 * gradients): bitwise the same on 1, 2 and 4 threads.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { F, getBackend, setBackend, setNumThreads, tensor } from '../../src/index.js';
import { gemmInPlace, gemmInPlaceBuffer, gemmInPlaceFits, gemmPacked } from '../../src/tensor/kernels/gemm.js';
import {
  WASM_TILE_F32, WASM_TILE_F64, setWasmTilesForMeasurement, wasmGemmInPlace, wasmGemmInPlaceBuffer, wasmGemmInPlaceFits, wasmGemmPacked,
  wasmGemmOverwrite, wasmScratchRegion, wasmThreadMemory,
} from '../../src/tensor/wasm/gemm.js';
import type { Tile } from '../../src/tensor/wasm/gemm-module.js';
import { warmUpPool } from '../../src/tensor/parallel/pool.js';
import { untilWorkerTakesPart } from '../helpers/pool-participation.js';
import { expectBitwise, makeRandom, uniformValues } from '../helpers/random.js';

type Floats = Float32Array | Float64Array;

interface Layout {
  m: number; n: number; k: number;
  /** A stored transposed (column-major), B stored transposed. */
  aT: boolean; bT: boolean;
  /** Extra stride: every other row/column of a wider matrix (no contiguous dimension). */
  gapped: boolean;
  aOffset: number; bOffset: number; cOffset: number; ldcGap: number;
  /** Operands as plain number arrays (the JS packing fallback). */
  plain: boolean;
}

function fill(size: number, f64: boolean, rnd: () => number): Floats {
  const a = f64 ? new Float64Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = rnd() * 2 - 1;
  return a;
}

/** Operands of a layout: A [m×k] and B [k×n] through strides, C [m×ldc] with random contents. */
function operands(t: Layout, f64: boolean, seed: number) {
  const rnd = makeRandom(seed);
  const g = t.gapped ? 2 : 1;
  const aRaw = fill(t.aOffset + t.m * t.k * g + g, f64, rnd);
  const bRaw = fill(t.bOffset + t.k * t.n * g + g, f64, rnd);
  const ldc = t.n + t.ldcGap;
  const c = fill(t.cOffset + t.m * ldc, f64, rnd);
  const [aRs, aCs] = t.aT ? [g, t.m * g] : [t.k * g, g];
  const [bRs, bCs] = t.bT ? [g, t.k * g] : [t.n * g, g];
  const a: ArrayLike<number> = t.plain ? Array.from(aRaw) : aRaw;
  const b: ArrayLike<number> = t.plain ? Array.from(bRaw) : bRaw;
  return { a, b, c, ldc, aRs, aCs, bRs, bCs };
}

/** Fills the whole wasm memory with NaN: no stale value may leak into a result. */
function poisonWasmMemory(): void {
  wasmGemmInPlaceBuffer(new Float64Array(0)).buffer.fill(Number.NaN);
}

/**
 * Random layouts with ragged edges: sizes around the tile (4×8 / 4×4), KC = 256, MC = 128, the
 * column blocks (512 float64, 1024 float32 columns), and n = 64 (whole tiles, C copied out in one
 * piece); with C's rows back to back and n ragged, C's block is compacted in wasm before its copy.
 */
function layouts(count: number, seed: number): Layout[] {
  const rnd = makeRandom(seed);
  const pick = (xs: number[]): number => xs[Math.floor(rnd() * xs.length)]!;
  const out: Layout[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      m: pick([2, 3, 5, 7, 13, 31, 129, 133]),
      n: pick([2, 3, 9, 15, 17, 33, 64, 70, 515, 1030]),
      k: pick([1, 3, 15, 17, 40, 255, 257, 300]),
      aT: rnd() < 0.5, bT: rnd() < 0.5, gapped: rnd() < 0.2,
      aOffset: pick([0, 1, 3]), bOffset: pick([0, 2, 5]), cOffset: pick([0, 1, 7]), ldcGap: pick([0, 0, 3]),
      plain: rnd() < 0.15,
    });
  }
  return out;
}

function describeLayout(t: Layout): string {
  return `${t.m}×${t.n}×${t.k}${t.aT ? ' Aᵀ' : ''}${t.bT ? ' Bᵀ' : ''}${t.gapped ? ' gapped' : ''}${t.plain ? ' plain arrays' : ''}`
    + ` offsets ${t.aOffset}/${t.bOffset}/${t.cOffset} ldc+${t.ldcGap}`;
}

/** max over elements of |got − exact| / bound, with exact and bound = (k + 2)·u·(Σ|a||b| + |c0|) in float64. */
function worstRatioF32(t: Layout, o: ReturnType<typeof operands>, c0: Floats, got: Floats): number {
  const u = 2 ** -24;
  let worst = 0;
  for (let i = 0; i < t.m; i++) {
    for (let j = 0; j < t.n; j++) {
      const ci = t.cOffset + i * o.ldc + j;
      let exact = c0[ci]!;
      let magnitude = Math.abs(c0[ci]!);
      for (let p = 0; p < t.k; p++) {
        const prod = o.a[t.aOffset + i * o.aRs + p * o.aCs]! * o.b[t.bOffset + p * o.bRs + j * o.bCs]!;
        exact += prod;
        magnitude += Math.abs(prod);
      }
      worst = Math.max(worst, Math.abs(got[ci]! - exact) / ((t.k + 2) * u * magnitude));
    }
  }
  return worst;
}

/**
 * The float32 wasm GEMM's operations written out: each element is C0 plus, k-block by k-block
 * (KC = 256), a float32 sum from 0 of float32 products in the order p = 0, 1, …, each block's sum
 * rounded onto C. (Math.fround after each float64 operation on float32 values gives the float32
 * operation's bits: the product is exact in float64, and a float64 sum of two float32 values
 * rounds to float32 correctly.)
 */
function referenceF32(t: Layout, o: ReturnType<typeof operands>): Float32Array {
  const out = Float32Array.from(o.c);
  const kcBlock = 256;
  for (let i = 0; i < t.m; i++) {
    for (let j = 0; j < t.n; j++) {
      const ci = t.cOffset + i * o.ldc + j;
      let c = out[ci]!;
      for (let p0 = 0; p0 < t.k; p0 += kcBlock) {
        let s = 0;
        for (let p = p0; p < Math.min(t.k, p0 + kcBlock); p++) {
          const prod = Math.fround(o.a[t.aOffset + i * o.aRs + p * o.aCs]! * o.b[t.bOffset + p * o.bRs + j * o.bCs]!);
          s = Math.fround(s + prod);
        }
        c = Math.fround(c + s);
      }
      out[ci] = c;
    }
  }
  return out;
}

afterAll(() => {
  setNumThreads(1);
});

describe('wasm GEMM against the JS reference', () => {
  it('the tiles are the ones the module is emitted with (4×2 vectors)', () => {
    expect(WASM_TILE_F32).toEqual({ mr: 4, nv: 2 });
    expect(WASM_TILE_F64).toEqual({ mr: 4, nv: 2 });
  });

  it('float64: bitwise the JS kernel on 40 random ragged, strided, offset layouts, and past 512 rows of C', () => {
    // More rows than the C region holds (C_ROWS = 512): C is done 512 rows at a time.
    const tall: Layout[] = [
      { m: 530, n: 19, k: 260, aT: false, bT: true, gapped: false, aOffset: 1, bOffset: 0, cOffset: 2, ldcGap: 1, plain: false },
      { m: 1030, n: 5, k: 3, aT: true, bT: false, gapped: false, aOffset: 0, bOffset: 1, cOffset: 0, ldcGap: 0, plain: false },
    ];
    for (const [i, t] of [...layouts(40, 11), ...tall].entries()) {
      const o = operands(t, true, 100 + i);
      const js = o.c.slice();
      gemmPacked(t.m, t.n, t.k, o.a, t.aOffset, o.aRs, o.aCs, o.b, t.bOffset, o.bRs, o.bCs, js, t.cOffset, o.ldc);
      poisonWasmMemory();
      const wasm = o.c.slice();
      wasmGemmPacked(t.m, t.n, t.k, o.a, t.aOffset, o.aRs, o.aCs, o.b, t.bOffset, o.bRs, o.bCs, wasm, t.cOffset, o.ldc);
      expectBitwise(wasm, js, describeLayout(t));
    }
  });

  it('float32: within the float32 summation bound on 40 random ragged, strided, offset layouts', () => {
    for (const [i, t] of layouts(40, 12).entries()) {
      const o = operands(t, false, 200 + i);
      poisonWasmMemory();
      const wasm = o.c.slice();
      wasmGemmPacked(t.m, t.n, t.k, o.a, t.aOffset, o.aRs, o.aCs, o.b, t.bOffset, o.bRs, o.bCs, wasm, t.cOffset, o.ldc);
      const ratio = worstRatioF32(t, o, o.c, wasm);
      expect(ratio, describeLayout(t)).toBeLessThanOrEqual(1);
      // Outside C's block nothing changes (the padding is never copied out).
      for (let r = 0; r < t.m; r++) {
        for (let j = t.n; j < o.ldc && r * o.ldc + j + t.cOffset < wasm.length; j++) {
          expect(wasm[t.cOffset + r * o.ldc + j], describeLayout(t)).toBe(o.c[t.cOffset + r * o.ldc + j]);
        }
      }
      for (let x = 0; x < t.cOffset; x++) expect(wasm[x]).toBe(o.c[x]);
    }
  });

  it('float32: bitwise the written-out float32 operations (k-blocks of 256 summed in order) on 40 random layouts', () => {
    // Whole tiles across and no gap between C's rows: C leaves the module's memory in one copy.
    const whole: Layout = { m: 37, n: 64, k: 300, aT: false, bT: false, gapped: false, aOffset: 1, bOffset: 0, cOffset: 3, ldcGap: 0, plain: false };
    for (const [i, t] of [...layouts(40, 13), whole].entries()) {
      const o = operands(t, false, 300 + i);
      poisonWasmMemory();
      const wasm = o.c.slice();
      wasmGemmPacked(t.m, t.n, t.k, o.a, t.aOffset, o.aRs, o.aCs, o.b, t.bOffset, o.bRs, o.bCs, wasm, t.cOffset, o.ldc);
      expectBitwise(wasm, referenceF32(t, o), describeLayout(t));
    }
  });

  it('every tile measure-wasm-gemm.ts tries emits a valid module and computes the same bits (float64: the JS kernel; float32: the written-out sums)', () => {
    // The tile table in WASM_TILE_F32's comment comes from these; an MR that is not whole vectors
    // once made the module's emitter throw (the transposed weight-gradient packer), unnoticed.
    const tried: Tile[] = [{ mr: 5, nv: 2 }, { mr: 6, nv: 2 }, { mr: 4, nv: 3 }, { mr: 3, nv: 3 }, { mr: 2, nv: 4 }, { mr: 8, nv: 1 }];
    try {
      for (const tile of tried) {
        setWasmTilesForMeasurement({ f32: tile, f64: tile });
        for (const [i, t] of layouts(6, 16).entries()) {
          const o64 = operands(t, true, 500 + i);
          const js = o64.c.slice();
          gemmPacked(t.m, t.n, t.k, o64.a, t.aOffset, o64.aRs, o64.aCs, o64.b, t.bOffset, o64.bRs, o64.bCs, js, t.cOffset, o64.ldc);
          const wasm64 = o64.c.slice();
          wasmGemmPacked(t.m, t.n, t.k, o64.a, t.aOffset, o64.aRs, o64.aCs, o64.b, t.bOffset, o64.bRs, o64.bCs, wasm64, t.cOffset, o64.ldc);
          expectBitwise(wasm64, js, `${tile.mr}×${tile.nv} float64 ${describeLayout(t)}`);
          const o32 = operands(t, false, 600 + i);
          const wasm32 = o32.c.slice();
          wasmGemmPacked(t.m, t.n, t.k, o32.a, t.aOffset, o32.aRs, o32.aCs, o32.b, t.bOffset, o32.bRs, o32.bCs, wasm32, t.cOffset, o32.ldc);
          expectBitwise(wasm32, referenceF32(t, o32), `${tile.mr}×${tile.nv} float32 ${describeLayout(t)}`);
        }
      }
    } finally {
      setWasmTilesForMeasurement(null);
    }
  });

  it('overwrite (C = A·B, C not read): bitwise the accumulating GEMM onto zeros, C outside its block untouched', () => {
    for (const f64 of [false, true]) {
      for (const [i, t] of layouts(20, f64 ? 14 : 15).entries()) {
        const o = operands(t, f64, 400 + i);
        const want = o.c.slice();
        for (let r = 0; r < t.m; r++) want.fill(0, t.cOffset + r * o.ldc, t.cOffset + r * o.ldc + t.n);
        wasmGemmPacked(t.m, t.n, t.k, o.a, t.aOffset, o.aRs, o.aCs, o.b, t.bOffset, o.bRs, o.bCs, want, t.cOffset, o.ldc);
        const got = o.c.slice();
        for (let r = 0; r < t.m; r++) got.fill(Number.NaN, t.cOffset + r * o.ldc, t.cOffset + r * o.ldc + t.n);
        poisonWasmMemory();
        wasmGemmOverwrite(t.m, t.n, t.k, o.a, t.aOffset, o.aRs, o.aCs, o.b, t.bOffset, o.bRs, o.bCs, got, t.cOffset, o.ldc);
        expectBitwise(got, want, `${f64 ? 'float64' : 'float32'} ${describeLayout(t)}`);
      }
    }
  });

  it('a wrong product is caught by the float32 bound (the check can fail)', () => {
    const t: Layout = { m: 5, n: 9, k: 17, aT: false, bT: false, gapped: false, aOffset: 0, bOffset: 0, cOffset: 0, ldcGap: 0, plain: false };
    const o = operands(t, false, 5);
    const wasm = o.c.slice();
    wasmGemmPacked(t.m, t.n, t.k, o.a, 0, o.aRs, o.aCs, o.b, 0, o.bRs, o.bCs, wasm, 0, o.ldc);
    wasm[12] = wasm[12]! + 1e-4;
    expect(worstRatioF32(t, o, o.c, wasm)).toBeGreaterThan(1);
  });

  it('in place (B written into the module memory, as conv2d does): row-major, transposed and gapped B', () => {
    for (const f64 of [true, false]) {
      for (const [name, k, n, rs, cs] of [
        ['row-major B (forward conv)', 72, 196, 196, 1], ['transposed B (weight gradient)', 196, 72, 1, 196],
        ['gapped B', 40, 30, 61, 2], ['k past one block', 300, 37, 37, 1],
        // Bigger than one packed block (KC·NC = 131 072): the bench's conv2d columns, 16 and 32 channels on 32×32.
        ['conv columns past KC·NC', 144, 1024, 1024, 1], ['their transpose', 1024, 144, 1, 1024], ['input-gradient columns', 288, 1024, 1024, 1],
      ] as const) {
        expect(wasmGemmInPlaceFits(k, n, rs, cs), name).toBe(true);
        const m = 19;
        const rnd = makeRandom(k * n);
        const a = fill(m * k, f64, rnd);
        const bValues = fill((k - 1) * rs + (n - 1) * cs + 1, f64, rnd);
        const c0 = fill(m * n, f64, rnd);
        // The JS reference reads B where it lies, through the same strides.
        const js = c0.slice();
        gemmPacked(m, n, k, a, 0, k, 1, bValues, 0, rs, cs, js, 0, n);
        poisonWasmMemory();
        const buf = wasmGemmInPlaceBuffer(c0);
        buf.buffer.set(bValues, buf.offset);
        const wasm = c0.slice();
        wasmGemmInPlace(m, n, k, a, 0, k, 1, rs, cs, wasm, 0, n);
        // In place or packed from where B lies: the same bits (conv2d takes either path by size).
        const packed = c0.slice();
        wasmGemmPacked(m, n, k, a, 0, k, 1, bValues, 0, rs, cs, packed, 0, n);
        expectBitwise(wasm, packed, `${f64 ? 'float64' : 'float32'} ${name}: in place against packed`);
        if (f64) {
          expectBitwise(wasm, js, `float64 ${name}`);
          // And the JS in-place kernel agrees too (its own buffer, where B fits it).
          if (!gemmInPlaceFits(k, n, rs, cs)) continue;
          const jsBuf = gemmInPlaceBuffer();
          jsBuf.buffer.set(bValues, jsBuf.offset);
          const jsInPlace = c0.slice();
          gemmInPlace(m, n, k, a, 0, k, 1, rs, cs, jsInPlace, 0, n);
          expectBitwise(jsInPlace, js, `float64 ${name}, JS in place`);
        } else {
          for (let i = 0; i < m * n; i++) expect(Math.abs(wasm[i]! - js[i]!), `float32 ${name}`).toBeLessThan(1e-4);
        }
      }
    }
  });

  it('the thread memory is one object, and its scratch region survives GEMMs of every path untouched', () => {
    const memory = wasmThreadMemory();
    const { byteOffset, byteLength } = wasmScratchRegion();
    expect(byteLength).toBeGreaterThanOrEqual(4 << 20);
    expect(byteOffset % 65536).toBe(0);
    expect(byteOffset + byteLength).toBeLessThanOrEqual(memory.buffer.byteLength);
    const staging = wasmGemmInPlaceBuffer(new Float64Array(0));
    expect((staging.offset + staging.capacity) * 8, 'the whole staging region lies below the scratch region').toBeLessThanOrEqual(byteOffset);
    const scratch = new Uint8Array(memory.buffer, byteOffset, byteLength);
    const pattern = (i: number): number => (i * 131 + 7) & 255;
    for (let i = 0; i < scratch.length; i++) scratch[i] = pattern(i);
    // Large enough to fill every GEMM region (C_ROWS rows, NC columns, KC deep), both dtypes, both paths.
    for (const f64 of [false, true]) {
      const rnd = makeRandom(f64 ? 1 : 2);
      const [m, n, k] = [600, 530, 270];
      const a = fill(m * k, f64, rnd);
      const b = fill(k * n, f64, rnd);
      wasmGemmPacked(m, n, k, a, 0, k, 1, b, 0, n, 1, fill(m * n, f64, rnd), 0, n);
      wasmGemmPacked(m, n, k, a, 0, 1, m, b, 0, 1, k, fill(m * n, f64, rnd), 0, n);
      const buf = wasmGemmInPlaceBuffer(a);
      buf.buffer.set(b.subarray(0, 256 * 500), buf.offset);
      wasmGemmInPlace(m, 500, 256, a, 0, k, 1, 500, 1, fill(m * 500, f64, rnd), 0, 500);
    }
    expect(wasmThreadMemory()).toBe(memory);
    let changed = 0;
    for (let i = 0; i < scratch.length; i++) if (scratch[i] !== pattern(i)) changed++;
    expect(changed).toBe(0);
  });

  it('float32 operands into a float64 C compute in float64: bitwise the JS kernel', () => {
    const rnd = makeRandom(3);
    const [m, n, k] = [21, 35, 270];
    const a = fill(m * k, false, rnd);
    const b = fill(k * n, false, rnd);
    const js = new Float64Array(m * n);
    const wasm = new Float64Array(m * n);
    gemmPacked(m, n, k, a, 0, k, 1, b, 0, n, 1, js, 0, n);
    wasmGemmPacked(m, n, k, a, 0, k, 1, b, 0, n, 1, wasm, 0, n);
    expectBitwise(wasm, js, 'float32 operands, float64 C');
  });
});

describe('the wasm backend through the ops and the pool', () => {
  const before = getBackend();
  afterAll(() => setBackend(before));

  async function onThreads<T>(threads: number, run: () => T): Promise<T> {
    setNumThreads(threads);
    if (threads > 1) await warmUpPool();
    return run();
  }

  it('matmul (pool-sized, float32 and float64) is bitwise the same on 1, 2 and 4 threads, with workers taking part', async () => {
    setBackend('wasm');
    for (const dtype of ['float32', 'float64'] as const) {
      // 230·190·210 ≈ 9.2 M multiply-adds: above the wasm backend's parallel threshold (2²³), ragged.
      const a = tensor(uniformValues(230 * 190, 1), { shape: [230, 190], dtype });
      const b = tensor(uniformValues(190 * 210, 2), { shape: [190, 210], dtype });
      const one = await onThreads(1, () => a.matmul(b).toArray());
      for (const threads of [2, 4]) {
        setNumThreads(threads);
        await warmUpPool();
        const tookPart = await untilWorkerTakesPart(() => expectBitwise(a.matmul(b).toArray(), one, `${dtype} matmul on ${threads} threads`));
        expect(tookPart, `a worker computed a block (${threads} threads)`).toBe(true);
      }
    }
  });

  // Each split over the pool by images: the MNIST CNN's second conv (columns packed from the image,
  // the input gradient a transposed conv), its first (one channel: the weight gradient transposed,
  // K = 9 < 32) and a stride-2 conv (im2col's columns written out).
  const CONVS: { x: number[]; w: number[]; stride: number }[] = [
    { x: [16, 8, 14, 14], w: [16, 8, 3, 3], stride: 1 },
    { x: [32, 1, 28, 28], w: [8, 1, 3, 3], stride: 1 },
    { x: [16, 8, 29, 29], w: [16, 8, 3, 3], stride: 2 },
  ];
  for (const { x: xShape, w: wShape, stride } of CONVS) {
    it(`conv2d forward and both gradients (float32) are bitwise the same on 1, 2 and 4 threads: x [${xShape}], w [${wShape}], stride ${stride}`, async () => {
      setBackend('wasm');
      const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
      const xData = uniformValues(size(xShape), 3);
      const wData = uniformValues(size(wShape), 4);
      const run = (): Float32Array[] => {
        const x = tensor(xData, { shape: xShape, requiresGrad: true });
        const w = tensor(wData, { shape: wShape, requiresGrad: true });
        const y = F.conv2d(x, w, null, { padding: 1, stride });
        y.backward(tensor(uniformValues(y.numel, 5), { shape: y.shape }));
        return [y.toArray(), x.grad!.toArray(), w.grad!.toArray()] as Float32Array[];
      };
      const one = await onThreads(1, run);
      for (const threads of [2, 4]) {
        const many = await onThreads(threads, run);
        ['y', 'dx', 'dw'].forEach((name, i) => expectBitwise(many[i]!, one[i]!, `conv2d ${name} on ${threads} threads`));
      }
    });
  }
});
