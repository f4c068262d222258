/**
 * The WebAssembly GEMM micro-kernels, emitted with emitter.ts: one macro-kernel per dtype that
 * walks packed panels of A and B with a register tile of f32x4 (float32) or f64x2 (float64)
 * accumulators. The JavaScript driver (wasm/gemm.ts) packs the panels into the module's memory
 * and copies C in and out, exactly where the JS GEMM (kernels/gemm.ts) packs.
 *
 * Memory layout (wasm/gemm.ts; byte offsets in the imported memory, sized for float64): packed A
 * [MC×KC] | A's staging [MC×KC] (its rows or columns as copied) | packed B [KC×NC] | C's rows
 * [C_ROWS×NC] | staging [KC×NC] (B before packing, or im2col's columns) | free scratch for other
 * modules (≥ 4 MiB, wasm/gemm.ts `wasmScratchRegion`; a conv's image for the unfolded packers) |
 * im2col's plans (2 MiB, `wasmPlansRegion`: the unfolded packers' masks and tables). The packed
 * regions have room for a block padded up to whole tiles; float32 blocks take NC·2 columns in the
 * bytes of NC float64 ones.
 */
import { ModuleBuilder, type FunctionBuilder, type Local } from './emitter.js';

/** Which float type a kernel computes in. */
export type WasmFloat = 'f32' | 'f64';

/**
 * A register tile: `mr` rows × `nv` 128-bit vectors of columns (4 float32 or 2 float64 each). The
 * tiles in use and the measurement that chose them: WASM_TILE_F32 / WASM_TILE_F64 in wasm/gemm.ts.
 */
export interface Tile {
  /** Rows of C per tile (A values per step). */
  mr: number;
  /** 128-bit vectors of columns per tile (B vectors per step). */
  nv: number;
}

/** Bytes per element. */
export function elementBytes(t: WasmFloat): 4 | 8 {
  return t === 'f32' ? 4 : 8;
}

/** Columns per tile: nv vectors of 16 bytes. */
export function tileColumns(t: WasmFloat, tile: Tile): number {
  return (tile.nv * 16) / elementBytes(t);
}

/**
 * Emits `gemm_<t>(mc, nc, kc, aPtr, bPtr, cPtr, ldcBytes)`, which computes, with MR = tile.mr,
 * NR = tile.nv · (16 / element bytes), all addresses in bytes:
 *
 * ```ts
 * for (let jr = 0; jr < nc; jr += NR)          // one column panel of B
 *   for (let ir = 0; ir < mc; ir += MR) {      // one row panel of A
 *     const acc = zeros(MR, NR);               // in MR·nv vector registers
 *     for (let p = 0; p < kc; p++)
 *       for (let r = 0; r < MR; r++)
 *         for (let j = 0; j < NR; j++)
 *           acc[r][j] += A(ir + r, p) * B(p, jr + j);
 *     for (r, j) C[ir + r][jr + j] += acc[r][j];
 *   }
 * ```
 *
 * where both operands are packed (emitPackA*, emitPackRows / emitPackCols): A(ir + r, p) at
 * aPtr + ir·kc·size + (p·MR + r)·size (MR-tall panels, one after another) and B(p, jr + j) at
 * bPtr + jr·kc·size + (p·NR + j)·size (NR-wide panels), so every load in the p loop has a constant
 * offset from one of two pointers that step by MR·size and NR·size. (Not unrolled: V8's
 * optimizing compiler unrolls the loop itself, and unrolling it here by 2 made V8 load both steps'
 * operands first and spill accumulators: 37 against 43 GFLOP/s, bench/README.md.) kc ≥ 1; mc and
 * nc are multiples of MR and NR (the driver pads; padding rows and columns compute values that are
 * never copied out), C's rows are ldcBytes apart. Each lane sums its own products in the order
 * p = 0, 1, … with a separate multiply and add (no fused multiply-add), so a float64 element gets
 * the same bits as the JS micro-kernel's `c += a * b`.
 */
export function emitGemmKernel(m: ModuleBuilder, t: WasmFloat, tile: Tile): void {
  const size = elementBytes(t);
  const nr = tileColumns(t, tile);
  const aStep = tile.mr * size;
  const bStep = nr * size;
  m.func(`gemm_${t}`, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (f, args) => {
    const [mc, nc, kc, aPtr, bPtr, cPtr, ldcBytes] = args as [Local, Local, Local, Local, Local, Local, Local];
    const int = (): Local => f.local('i32');
    const [jr, ir, ap, bp, bPanel, bEnd, bPanelBytes, cCol, cRow] = [int(), int(), int(), int(), int(), int(), int(), int(), int()];
    const acc: Local[][] = [];
    for (let r = 0; r < tile.mr; r++) acc.push(Array.from({ length: tile.nv }, () => f.local('v128')));
    const b = Array.from({ length: tile.nv }, () => f.local('v128'));
    const a = f.local('v128');
    const vec = t === 'f32' ? f.f32x4 : f.f64x2;

    /** One step p: acc[r][v] += A(r, p) · B(p, v), A's MR values at ap and B's NR values at bp. */
    const step = (): void => {
      for (let v = 0; v < tile.nv; v++) { f.get(bp); f.v128.load(v * 16, 0); f.set(b[v]!); }
      for (let r = 0; r < tile.mr; r++) {
        f.get(ap); splatLoad(f, t, r * size); f.set(a);
        for (let v = 0; v < tile.nv; v++) {
          f.get(acc[r]![v]!); f.get(a); f.get(b[v]!); vec.mul(); vec.add(); f.set(acc[r]![v]!);
        }
      }
    };

    f.get(kc); f.i32.const(bStep); f.i32.mul(); f.set(bPanelBytes);
    f.get(bPtr); f.set(bPanel);
    f.get(cPtr); f.set(cCol);
    f.forRange(jr, 0, nc, nr, () => {
      f.get(aPtr); f.set(ap);
      f.get(cCol); f.set(cRow);
      f.get(bPanel); f.get(bPanelBytes); f.i32.add(); f.set(bEnd);
      f.forRange(ir, 0, mc, tile.mr, () => {
        for (const row of acc) for (const x of row) { f.v128.zero(); f.set(x); }
        f.get(bPanel); f.set(bp);
        // ap runs on from the previous panel: A's panels lie one after another. kc ≥ 1, so the
        // test can sit at the loop's end (one compare and branch per step).
        f.loop(() => {
          step();
          f.addTo(ap, aStep);
          f.addTo(bp, bStep);
          f.get(bp); f.get(bEnd); f.i32.lt_u(); f.br_if(0);
        });
        // C[ir + r][jr …] += acc[r]
        for (let r = 0; r < tile.mr; r++) {
          for (let v = 0; v < tile.nv; v++) {
            f.get(cRow); f.get(cRow); f.v128.load(v * 16, 0); f.get(acc[r]![v]!); vec.add(); f.v128.store(v * 16, 0);
          }
          f.addTo(cRow, ldcBytes);
        }
      });
      f.addTo(bPanel, bPanelBytes);
      f.addTo(cCol, bStep);
    });
  });
}

/** Loads one element at the address on the stack into every lane. */
function splatLoad(f: FunctionBuilder, t: WasmFloat, offset: number): void {
  if (t === 'f32') f.v128.load32_splat(offset);
  else f.v128.load64_splat(offset);
}

/**
 * Emits `<name>(kc, count, src, srcStepBytes, dst)`, packing `count` lines of kc elements into
 * panels of W = `width` lines, where the lines lie side by side (line l's element p at
 * src + p·srcStepBytes + l·size): the rows of a row-major B block (pack_rows, W = NR) or the
 * columns of a column-major A block (pack_a_cols, W = MR):
 *
 * ```ts
 * for (let l0 = 0; l0 < count; l0 += W)
 *   for (let p = 0; p < kc; p++)
 *     for (let w = 0; w < W; w++) dst[l0·kc + p·W + w] = src(line l0 + w, p);  // W·size bytes copied
 * ```
 *
 * The last panel copies whole W-runs past `count`: those values meet only C's padding.
 */
export function emitPackAcross(m: ModuleBuilder, name: string, t: WasmFloat, width: number): void {
  const size = elementBytes(t);
  const runBytes = width * size;
  m.func(name, ['i32', 'i32', 'i32', 'i32', 'i32'], [], (f, args) => {
    const [kc, count, src, srcStepBytes, dst] = args as [Local, Local, Local, Local, Local];
    const [l0, p, s, d] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
    f.get(dst); f.set(d);
    f.forRange(l0, 0, count, width, () => {
      f.get(src); f.get(l0); f.i32.const(size); f.i32.mul(); f.i32.add(); f.set(s);
      f.forRange(p, 0, kc, 1, () => {
        // W·size bytes: 16 at a time, then 8, then 4 (loads and stores keep the bits).
        let at = 0;
        for (; at + 16 <= runBytes; at += 16) { f.get(d); f.get(s); f.v128.load(at, 0); f.v128.store(at, 0); }
        if (at + 8 <= runBytes) { f.get(d); f.get(s); f.f64.load(at); f.f64.store(at); at += 8; }
        if (at + 4 <= runBytes) { f.get(d); f.get(s); f.i32.load(at); f.i32.store(at); at += 4; }
        f.addTo(d, runBytes);
        f.addTo(s, srcStepBytes);
      });
    });
  });
}

/**
 * Emits `<name>(kc, count, src, srcLineBytes, dst)`, packing `count` lines of kc elements into
 * panels of W = `width` lines, where each line is contiguous (line l's element p at
 * src + l·srcLineBytes + p·size): the columns of a column-major (transposed) B block (pack_cols,
 * W = NR) or the rows of a row-major A block (pack_a_rows, W = MR):
 *
 * ```ts
 * for (let l0 = 0; l0 < count; l0 += W)
 *   for (let p = 0; p < kc; p++)
 *     for (let w = 0; w < W; w++) dst[l0·kc + p·W + w] = src[(l0 + w)·srcLine + p];
 * ```
 *
 * When W is a multiple of the lanes per vector (L = 16 / size), p goes L at a time: L lines' next
 * L elements are loaded as L vectors and transposed with shuffles (an L×L block), then the rest of
 * p one element at a time. The last panel reads lines past `count` (what lies there meets only
 * C's padding).
 */
export function emitPackAlong(m: ModuleBuilder, name: string, t: WasmFloat, width: number): void {
  const size = elementBytes(t);
  const lanes = 16 / size;
  const vectors = width % lanes === 0;
  m.func(name, ['i32', 'i32', 'i32', 'i32', 'i32'], [], (f, args) => {
    const [kc, count, src, srcLineBytes, dst] = args as [Local, Local, Local, Local, Local];
    const [l0, p, s, d, kcVectors] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
    const ops = t === 'f32' ? f.f32 : f.f64;
    const lineOffset = Array.from({ length: width }, () => f.local('i32'));
    const row = Array.from({ length: lanes }, () => f.local('v128'));
    const half = Array.from({ length: lanes }, () => f.local('v128'));
    for (let w = 1; w < width; w++) { f.get(srcLineBytes); f.i32.const(w); f.i32.mul(); f.set(lineOffset[w]!); }
    // kcVectors: the steps of p done L at a time (0 when W is not a multiple of L).
    if (vectors) { f.get(kc); f.get(kc); f.i32.const(lanes); f.i32.rem_u(); f.i32.sub(); f.set(kcVectors); }
    f.get(dst); f.set(d);
    f.forRange(l0, 0, count, width, () => {
      f.get(src); f.get(l0); f.get(srcLineBytes); f.i32.mul(); f.i32.add(); f.set(s);
      if (vectors) {
        f.forRange(p, 0, kcVectors, lanes, () => {
          for (let g = 0; g < width / lanes; g++) {
            for (let i = 0; i < lanes; i++) {
              f.get(s);
              if (g * lanes + i > 0) { f.get(lineOffset[g * lanes + i]!); f.i32.add(); }
              f.v128.load(0, 0);
              f.set(row[i]!);
            }
            // row[i] = line (g·L + i), elements p … p+L−1; out[q] = element p+q of those L lines.
            const out = transpose(f, size, row, half);
            out.forEach((emitOut, q) => { f.get(d); emitOut(); f.v128.store(q * width * size + g * 16, 0); });
          }
          f.addTo(d, lanes * width * size);
          f.addTo(s, lanes * size);
        });
      }
      f.forRange(p, vectors ? kcVectors : 0, kc, 1, () => {
        for (let w = 0; w < width; w++) {
          f.get(d);
          f.get(s);
          if (w > 0) { f.get(lineOffset[w]!); f.i32.add(); }
          ops.load();
          ops.store(w * size);
        }
        f.addTo(d, width * size);
        f.addTo(s, size);
      });
    });
  });
}

/**
 * Emits `<name>(kc, count, src, table, dst, first)`, packing `count` columns, from column
 * `first` on, of an im2col matrix that is
 * never written out into NR-wide panels (W = `width`), straight from the image: row p of the
 * columns is the image read at a fixed shift, with a mask of 0 or all-ones bits per column (0
 * where im2col writes a 0: padding, or a read that wrapped onto the next row). The table holds, for
 * each p, the row's byte offset from `src` and the address of its mask row, two i32s:
 *
 * ```ts
 * for (let l0 = 0; l0 < count; l0 += W)
 *   for (let p = 0; p < kc; p++)
 *     for (let w = 0; w < W; w++)
 *       dst[l0·kc + p·W + w] = bits(src[table[p].offset + first + l0 + w]) & bits(mask[table[p].mask + first + l0 + w]);
 * ```
 *
 * (`first` in elements here; the kernel takes it in bytes.) Loads and ANDs
 * of whole vectors move the bits unchanged, so a panel is bitwise what im2col then emitPackAcross
 * would write (wasm/im2col.ts `wasmUnfoldedGemm` builds the table and masks).
 */
export function emitPackUnfolded(m: ModuleBuilder, name: string, t: WasmFloat, width: number): void {
  const size = elementBytes(t);
  const runBytes = width * size;
  if (runBytes % 16 !== 0) throw new Error(`wasm emitter: an unfolded panel must be whole vectors, got ${runBytes} bytes`);
  m.func(name, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (f, args) => {
    const [kc, count, src, table, dst, first] = args as [Local, Local, Local, Local, Local, Local];
    const [l0, column, entry, tableEnd, s, mask, d] = [
      f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'),
    ];
    f.get(dst); f.set(d);
    f.get(table); f.get(kc); f.i32.const(8); f.i32.mul(); f.i32.add(); f.set(tableEnd);
    // column: the byte offset of panel l0's first column
    f.get(first); f.set(column);
    f.forRange(l0, 0, count, width, () => {
      f.get(table); f.set(entry);
      // kc ≥ 1: the test sits at the loop's end.
      f.loop(() => {
        f.get(src); f.get(entry); f.i32.load(0); f.i32.add(); f.get(column); f.i32.add(); f.set(s);
        f.get(entry); f.i32.load(4); f.get(column); f.i32.add(); f.set(mask);
        for (let at = 0; at < runBytes; at += 16) {
          f.get(d);
          f.get(s); f.v128.load(at, 0);
          f.get(mask); f.v128.load(at, 0);
          f.v128.and();
          f.v128.store(at, 0);
        }
        f.addTo(d, runBytes);
        f.addTo(entry, 8);
        f.get(entry); f.get(tableEnd); f.i32.lt_u(); f.br_if(0);
      });
      f.addTo(column, runBytes);
    });
  });
}

/**
 * Emits `<name>(kc, count, src, table, dst, first)`, the transposed case of emitPackUnfolded: B is
 * the transpose of im2col's columns (conv2d's weight gradient, dW += dy · colsᵀ), so B's line l (a
 * column of B) is row l of the columns, read from the image at `src + table[l].offset` with the
 * mask at `table[l].mask`, and B's row p is pixel `first + p` (with W = MR, the same packs A as
 * the columns themselves: A's row l is row l of the columns):
 *
 * ```ts
 * for (let l0 = 0; l0 < count; l0 += W)
 *   for (let p = 0; p < kc; p++)
 *     for (let w = 0; w < W; w++)
 *       dst[l0·kc + p·W + w] = bits(src[table[l0 + w].offset + first + p]) & bits(mask[table[l0 + w].mask + first + p]);
 * ```
 *
 * (`first` in elements here; the kernel takes it in bytes.) As emitPackAlong, p goes L = 16 / size
 * at a time through an L×L transpose of masked vectors, then one element at a time (its 32-bit
 * words ANDed). The last panel reads the table past `count`: the caller pads the table with
 * entries whose mask is all zeros.
 */
export function emitPackUnfoldedAlong(m: ModuleBuilder, name: string, t: WasmFloat, width: number): void {
  const size = elementBytes(t);
  const lanes = 16 / size;
  if (width % lanes !== 0) throw new Error(`wasm emitter: a transposed unfolded panel must be whole vectors, got ${width} lines`);
  m.func(name, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (f, args) => {
    const [kc, count, src, table, dst, first] = args as [Local, Local, Local, Local, Local, Local];
    const [l0, p, at, d, kcVectors, entry] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
    const lineSrc = Array.from({ length: width }, () => f.local('i32'));
    const lineMask = Array.from({ length: width }, () => f.local('i32'));
    const row = Array.from({ length: lanes }, () => f.local('v128'));
    const half = Array.from({ length: lanes }, () => f.local('v128'));
    f.get(kc); f.get(kc); f.i32.const(lanes); f.i32.rem_u(); f.i32.sub(); f.set(kcVectors);
    f.get(dst); f.set(d);
    f.get(table); f.set(entry);
    f.forRange(l0, 0, count, width, () => {
      // Each line's first element and first mask word of this block.
      for (let w = 0; w < width; w++) {
        f.get(src); f.get(entry); f.i32.load(w * 8); f.i32.add(); f.get(first); f.i32.add(); f.set(lineSrc[w]!);
        f.get(entry); f.i32.load(w * 8 + 4); f.get(first); f.i32.add(); f.set(lineMask[w]!);
      }
      f.addTo(entry, width * 8);
      f.i32.const(0); f.set(at);
      f.forRange(p, 0, kcVectors, lanes, () => {
        for (let g = 0; g < width / lanes; g++) {
          for (let i = 0; i < lanes; i++) {
            f.get(lineSrc[g * lanes + i]!); f.get(at); f.i32.add(); f.v128.load(0, 0);
            f.get(lineMask[g * lanes + i]!); f.get(at); f.i32.add(); f.v128.load(0, 0);
            f.v128.and();
            f.set(row[i]!);
          }
          const out = transpose(f, size, row, half);
          out.forEach((emitOut, q) => { f.get(d); emitOut(); f.v128.store(q * width * size + g * 16, 0); });
        }
        f.addTo(d, lanes * width * size);
        f.addTo(at, lanes * size);
      });
      f.forRange(p, kcVectors, kc, 1, () => {
        for (let w = 0; w < width; w++) {
          for (let word = 0; word < size; word += 4) {
            f.get(d);
            f.get(lineSrc[w]!); f.get(at); f.i32.add(); f.i32.load(word);
            f.get(lineMask[w]!); f.get(at); f.i32.add(); f.i32.load(word);
            f.i32.and();
            f.i32.store(w * size + word);
          }
        }
        f.addTo(d, width * size);
        f.addTo(at, size);
      });
    });
  });
}

/**
 * Emits `compact_rows(base, rows, fromStride, toStride)` (bytes): moves rows 1 … rows−1 of a block
 * whose rows lie `fromStride` apart down to `toStride` apart (toStride ≤ fromStride, each row
 * toStride bytes long), in order, so the block becomes one contiguous run:
 *
 * ```ts
 * for (let i = 1; i < rows; i++) memmove(base + i·toStride, base + i·fromStride, toStride);
 * ```
 *
 * Row i's new place ends before row i+1's old place begins, so no row is overwritten before it moves.
 */
export function emitCompactRows(m: ModuleBuilder): void {
  m.func('compact_rows', ['i32', 'i32', 'i32', 'i32'], [], (f, args) => {
    const [base, rows, fromStride, toStride] = args as [Local, Local, Local, Local];
    const [i, from, to] = [f.local('i32'), f.local('i32'), f.local('i32')];
    f.get(base); f.get(fromStride); f.i32.add(); f.set(from);
    f.get(base); f.get(toStride); f.i32.add(); f.set(to);
    f.forRange(i, 1, rows, 1, () => {
      f.get(to); f.get(from); f.get(toStride); f.memoryCopy();
      f.addTo(from, fromStride);
      f.addTo(to, toStride);
    });
  });
}

/** Shuffles two vectors (on the stack) by element: `picks` index the 2L elements of a then b. */
function shuffleElements(f: FunctionBuilder, size: number, picks: readonly number[]): void {
  f.v128.shuffle(picks.flatMap((e) => Array.from({ length: size }, (_, byte) => e * size + byte)));
}

/**
 * The transpose of the L×L block in `row` (row[i] = line i's L elements): returns, for each
 * element index q, an emitter pushing the vector of element q of every line. For L = 4 the first
 * level interleaves pairs of lines into `half`; for L = 2 one level does it.
 */
function transpose(f: FunctionBuilder, size: number, row: readonly Local[], half: readonly Local[]): (() => void)[] {
  if (row.length === 2) {
    return [0, 1].map((q) => () => { f.get(row[0]!); f.get(row[1]!); shuffleElements(f, size, [q, q + 2]); });
  }
  // half[0] = a0 b0 a1 b1, half[1] = a2 b2 a3 b3, half[2] = c0 d0 c1 d1, half[3] = c2 d2 c3 d3
  for (const [h, x, y, lo] of [[0, 0, 1, 0], [1, 0, 1, 2], [2, 2, 3, 0], [3, 2, 3, 2]] as const) {
    f.get(row[x]!); f.get(row[y]!); shuffleElements(f, size, [lo, lo + 4, lo + 1, lo + 5]); f.set(half[h]!);
  }
  // element q of lines a, b, c, d: the matching halves of half[⌊q/2⌋] and half[⌊q/2⌋ + 2]
  return [0, 1, 2, 3].map((q) => () => {
    const lo = (q % 2) * 2;
    f.get(half[q >> 1]!); f.get(half[(q >> 1) + 2]!); shuffleElements(f, size, [lo, lo + 1, lo + 4, lo + 5]);
  });
}

/**
 * The whole GEMM module: an imported memory ('env', 'memory'), and per float type the kernel
 * `gemm_<t>` and the packing functions: `pack_rows_<t>`, `pack_cols_<t>` (B into NR-wide
 * panels, from a row-major or a column-major block), `pack_a_rows_<t>`, `pack_a_cols_<t>` (A into
 * MR-tall panels, likewise), `pack_unfolded_<t>`, `pack_unfolded_cols_<t>` (B as im2col's columns or their
 * transpose, read from the image), `pack_unfolded_a_<t>` (A as im2col's columns, likewise), and `compact_rows` (C's block made contiguous before its copy out).
 */
export function gemmModuleBytes(tiles: Readonly<Record<WasmFloat, Tile>>): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 1);
  emitCompactRows(m);
  for (const t of ['f32', 'f64'] as const) {
    emitGemmKernel(m, t, tiles[t]);
    const nr = tileColumns(t, tiles[t]);
    emitPackAcross(m, `pack_rows_${t}`, t, nr);
    emitPackAlong(m, `pack_cols_${t}`, t, nr);
    emitPackAlong(m, `pack_a_rows_${t}`, t, tiles[t].mr);
    emitPackAcross(m, `pack_a_cols_${t}`, t, tiles[t].mr);
    emitPackUnfolded(m, `pack_unfolded_${t}`, t, nr);
    emitPackUnfoldedAlong(m, `pack_unfolded_cols_${t}`, t, nr);
    // The transposed weight gradient's panels are MR lines read as whole vectors: a tile tried
    // for measurement with another MR (measure-wasm-gemm.ts) has no such packer.
    if (tiles[t].mr % (16 / elementBytes(t)) === 0) emitPackUnfoldedAlong(m, `pack_unfolded_a_${t}`, t, tiles[t].mr);
  }
  return m.bytes();
}
