/**
 * The GEMM kernels (src/tensor/kernels/gemm.ts) against a textbook triple loop written here, on
 * random shapes (edge tiles included), transposed and padded operands, storage offsets, a C row
 * stride wider than n, and accumulation into a non-zero C. Within one k-block the packed kernel sums
 * each dot product in the same order as the reference, so the comparison there is exact (float64,
 * and float32 rounded once as the kernel documents); past a k-block it is within rounding.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GEMM_BLOCK_K, gemmDirect, gemmPacked, gemmStrided } from '../../src/tensor/kernels/gemm.js';
import { gemm, matmul } from '../../src/tensor/kernels/matmul.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { makeRandom } from '../helpers/random.js';

type Floats = Float32Array | Float64Array;
type GemmFn = typeof gemmPacked;

/** A matrix stored inside a larger buffer: element (i, j) at `offset + i·rowStride + j·colStride`. */
interface Stored {
  data: Floats;
  offset: number;
  rowStride: number;
  colStride: number;
}

/**
 * Stores a rows×cols matrix of random values, row-major or transposed (column-major), with `gap`
 * unused slots after each stored line and `offset` unused slots in front.
 */
function store(rows: number, cols: number, transposed: boolean, gap: number, offset: number, f64: boolean, rnd: () => number): Stored {
  const lines = transposed ? cols : rows;
  const lineLen = (transposed ? rows : cols) + gap;
  const data = f64 ? new Float64Array(offset + lines * lineLen) : new Float32Array(offset + lines * lineLen);
  for (let i = 0; i < data.length; i++) data[i] = rnd() * 2 - 1;
  return transposed
    ? { data, offset, rowStride: 1, colStride: lineLen }
    : { data, offset, rowStride: lineLen, colStride: 1 };
}

function at(s: Stored, i: number, j: number): number {
  return s.data[s.offset + i * s.rowStride + j * s.colStride]!;
}

/**
 * The textbook loop with the kernel's documented rounding: each dot product summed in float64 in
 * order p = 0, 1, …, added to C once per block of `blockK` (C's own storage rounds each addition).
 */
function reference(m: number, n: number, k: number, a: Stored, b: Stored, c: Floats, cOffset: number, ldc: number, blockK: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let p0 = 0; p0 < k; p0 += blockK) {
        let s = 0;
        for (let p = p0; p < Math.min(k, p0 + blockK); p++) s += at(a, i, p) * at(b, p, j);
        c[cOffset + i * ldc + j] += s;
      }
    }
  }
}

/** Scale for a tolerance: Σ|a||b| per element of C plus |C|. */
function magnitudes(m: number, n: number, k: number, a: Stored, b: Stored, c: Floats, cOffset: number, ldc: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = Math.abs(c[cOffset + i * ldc + j]!);
      for (let p = 0; p < k; p++) s += Math.abs(at(a, i, p) * at(b, p, j));
      out.push(s);
    }
  }
  return out;
}

interface Case {
  m: number;
  n: number;
  k: number;
  aT: boolean;
  bT: boolean;
  aGap: number;
  bGap: number;
  ldcGap: number;
  offset: number;
  f64: boolean;
  seed: number;
}

function describeCase(t: Case): string {
  return `m=${t.m} n=${t.n} k=${t.k} A${t.aT ? 'ᵀ' : ''} B${t.bT ? 'ᵀ' : ''} gaps ${t.aGap}/${t.bGap}/${t.ldcGap} offset ${t.offset} ${t.f64 ? 'float64' : 'float32'}`;
}

/** Runs `fn` and the reference on the same case; compares exactly or within `tol`·scale. */
function check(fn: GemmFn, t: Case, blockK: number, tol: number): void {
  const rnd = makeRandom(t.seed);
  const a = store(t.m, t.k, t.aT, t.aGap, t.offset, t.f64, rnd);
  const b = store(t.k, t.n, t.bT, t.bGap, t.offset + 1, t.f64, rnd);
  const ldc = t.n + t.ldcGap;
  const cOffset = t.offset + 2;
  const size = cOffset + t.m * ldc;
  const c = t.f64 ? new Float64Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) c[i] = rnd() * 2 - 1;
  const expected = c.slice();
  const scale = tol === 0 ? [] : magnitudes(t.m, t.n, t.k, a, b, c, cOffset, ldc);
  reference(t.m, t.n, t.k, a, b, expected, cOffset, ldc, blockK);
  fn(t.m, t.n, t.k, a.data, a.offset, a.rowStride, a.colStride, b.data, b.offset, b.rowStride, b.colStride, c, cOffset, ldc);
  for (let idx = 0; idx < size; idx++) {
    const row = Math.floor((idx - cOffset) / ldc);
    const col = (idx - cOffset) - row * ldc;
    const inside = idx >= cOffset && col < t.n;
    const got = c[idx]!;
    const want = expected[idx]!;
    if (!inside || tol === 0) {
      if (!Object.is(got, want)) throw new Error(`${describeCase(t)}: slot ${idx} ${inside ? `C[${row}, ${col}]` : '(outside C)'} is ${got}, expected ${want}`);
    } else if (!(Math.abs(got - want) <= tol * scale[row * t.n + col]!)) {
      throw new Error(`${describeCase(t)}: C[${row}, ${col}] is ${got}, expected ${want} (tolerance ${tol})`);
    }
  }
}

const caseArb = (maxM: number, maxN: number, maxK: number, minK = 1): fc.Arbitrary<Case> => fc.record({
  m: fc.integer({ min: 1, max: maxM }),
  n: fc.integer({ min: 1, max: maxN }),
  k: fc.integer({ min: minK, max: maxK }),
  aT: fc.boolean(),
  bT: fc.boolean(),
  aGap: fc.integer({ min: 0, max: 3 }),
  bGap: fc.integer({ min: 0, max: 3 }),
  ldcGap: fc.integer({ min: 0, max: 3 }),
  offset: fc.integer({ min: 0, max: 5 }),
  f64: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

describe('gemmPacked', () => {
  it('equals the textbook loop exactly within one k-block (random shapes, transposes, gaps, offsets)', () => {
    fc.assert(fc.property(caseArb(23, 23, 40), (t) => check(gemmPacked, t, GEMM_BLOCK_K, 0)), { seed: 5101, numRuns: 150 });
  });

  it('equals the textbook loop with C rounded once per k-block when k spans several blocks', () => {
    fc.assert(fc.property(caseArb(7, 9, 2 * GEMM_BLOCK_K + 40, GEMM_BLOCK_K + 1), (t) => check(gemmPacked, t, GEMM_BLOCK_K, 0)), { seed: 5102, numRuns: 12 });
  });

  it('is within rounding of a single-sum loop across every blocking boundary (m, n, k past MC, NC, KC)', () => {
    for (const [aT, bT, f64] of [[false, false, true], [true, true, false]] as const) {
      const t: Case = { m: 131, n: 517, k: 263, aT, bT, aGap: 1, bGap: 2, ldcGap: 3, offset: 1, f64, seed: 77 };
      check(gemmPacked, t, Number.POSITIVE_INFINITY, f64 ? 1e-14 : 1e-6);
    }
  });

  it('keeps non-finite values in their own rows and columns and writes nothing outside C', () => {
    // m = 3 and n = 5 leave zero-padded rows and columns in the last register tiles; 0·∞ = NaN
    // there must never reach C, the gap past each row (ldc = n + 2) or the slots after C.
    const m = 3, n = 5, k = 4, ldc = n + 2;
    const a = new Float64Array(m * k).fill(1);
    const b = new Float64Array(k * n).fill(1);
    b[2 * n + 4] = Number.POSITIVE_INFINITY; // B[2, 4]
    a[0 * k + 1] = Number.NEGATIVE_INFINITY; // A[0, 1]
    a[2 * k + 3] = Number.NaN; // A[2, 3]
    const sentinel = 0.25;
    const c = new Float64Array((m + 1) * ldc).fill(sentinel);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[i * ldc + j] = 0;
    gemmPacked(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, ldc);
    for (let idx = 0; idx < c.length; idx++) {
      const i = Math.floor(idx / ldc);
      const j = idx % ldc;
      let expected: number;
      if (i >= m || j >= n) expected = sentinel;
      else if (i === 2) expected = Number.NaN;
      else if (i === 0) expected = j === 4 ? Number.NaN : Number.NEGATIVE_INFINITY; // −∞ + ∞ in C[0, 4]
      else expected = j === 4 ? Number.POSITIVE_INFINITY : k;
      expect(c[idx], `slot ${idx} (row ${i}, column ${j})`).toBe(expected);
    }
  });
});

describe('gemmDirect and gemmStrided', () => {
  it('gemmDirect equals the textbook loop exactly (one float64 sum per element)', () => {
    fc.assert(fc.property(caseArb(9, 9, 300), (t) => check(gemmDirect, t, Number.POSITIVE_INFINITY, 0)), { seed: 5103, numRuns: 60 });
  });

  it('gemmStrided (direct below the size threshold, packed above) equals the loop on both sides', () => {
    fc.assert(fc.property(caseArb(20, 20, 30), (t) => {
      // Direct and packed kernels agree with the one-sum reference exactly while k ≤ one k-block.
      check(gemmStrided, t, Number.POSITIVE_INFINITY, 0);
    }), { seed: 5104, numRuns: 100 });
  });

  it('does nothing when m, n or k is 0 (C keeps its values)', () => {
    const c = new Float64Array([1, 2, 3, 4]);
    gemmStrided(2, 2, 0, [], 0, 0, 1, [], 0, 2, 1, c, 0, 2);
    gemmStrided(0, 2, 3, [], 0, 3, 1, [1, 2, 3, 4, 5, 6], 0, 2, 1, c, 0, 2);
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
  });
});

describe('matmul on the packed GEMM', () => {
  it('gemm (matmul.ts) accumulates into a contiguous C', () => {
    const c = new Float64Array([1, 1, 1, 1]);
    gemm(2, 2, 2, [1, 2, 3, 4], 0, 2, 1, [5, 6, 7, 8], 0, 2, 1, c, 0);
    expect(Array.from(c)).toEqual([20, 23, 44, 51]);
  });

  it('gives bitwise the same product for transposed views as for their contiguous copies', () => {
    const rnd = makeRandom(9);
    for (const dtype of ['float32', 'float64'] as const) {
      const x = NDArray.zeros([45, 70], dtype);
      const y = NDArray.zeros([33, 45], dtype);
      for (let i = 0; i < x.data.length; i++) x.data[i] = rnd() - 0.5;
      for (let i = 0; i < y.data.length; i++) y.data[i] = rnd() - 0.5;
      const xt = x.transpose(0, 1); // 70×45, column-major view
      const yt = y.transpose(0, 1); // 45×33
      const viaViews = matmul(xt, yt);
      const viaCopies = matmul(xt.contiguous(), yt.contiguous());
      expect(viaViews.shape).toEqual([70, 33]);
      expect(Array.from(viaViews.data)).toEqual(Array.from(viaCopies.data));
    }
  });
});
