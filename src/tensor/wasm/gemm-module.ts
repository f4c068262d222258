/**
 * The WebAssembly GEMM micro-kernels, emitted with emitter.ts: one macro-kernel per dtype that
 * walks packed panels of A and B with a register tile of f32x4 (float32) or f64x2 (float64)
 * accumulators. The JavaScript driver (wasm/gemm.ts) packs the panels into the module's memory
 * and copies C in and out, exactly where the JS GEMM (kernels/gemm.ts) packs.
 *
 * Memory layout (wasm/gemm.ts; byte offsets in the imported memory, sized for float64):
 * A's block [MC×KC] | packed B [KC×NC] | C's rows [C_ROWS×NC] | staging [KC×NC] (B before packing,
 * or im2col's columns) | free scratch for other modules (≥ 4 MiB, wasm/gemm.ts `wasmScratchRegion`).
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
 * Emits `gemm_<t>(mc, nc, kc, aPtr, aPanelBytes, aRowBytes, aStepBytes, bPtr, bPanelBytes,
 * bRowBytes, cPtr, ldcBytes)`, which computes, with MR = tile.mr, NR = tile.nv · (16 / element
 * bytes), all addresses in bytes:
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
 * where A(ir + r, p) is at aPtr + (ir / MR)·aPanelBytes + r·aRowBytes + p·aStepBytes and
 * B(p, jr + j) at bPtr + (jr / NR)·bPanelBytes + p·bRowBytes + j·size. So A may be packed in
 * MR-tall panels (aRowBytes = size, aStepBytes = MR·size) or lie row- or column-major as copied;
 * B's NR values of a step must be contiguous: packed NR-wide panels (bRowBytes = NR·size,
 * bPanelBytes = kc·NR·size) or a row-major block read in place (bRowBytes = its row stride,
 * bPanelBytes = NR·size). mc and nc are multiples of MR and NR (the driver pads; padding rows and
 * columns compute values that are never copied out), C's rows are ldcBytes apart. Each lane sums
 * its own products in the order p = 0, 1, … with a separate multiply and add (no fused
 * multiply-add), so a float64 element gets the same bits as the JS micro-kernel's `c += a * b`.
 */
export function emitGemmKernel(m: ModuleBuilder, t: WasmFloat, tile: Tile): void {
  const size = elementBytes(t);
  const nr = tileColumns(t, tile);
  const params = new Array<'i32'>(12).fill('i32');
  m.func(`gemm_${t}`, params, [], (f, args) => {
    const [mc, nc, kc, aPtr, aPanelBytes, aRowBytes, aStepBytes, bPtr, bPanelBytes, bRowBytes, cPtr, ldcBytes] = args as [
      Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local,
    ];
    const int = (): Local => f.local('i32');
    const [jr, ir, p, ap, aPanel, bp, bPanel, cRow] = [int(), int(), int(), int(), int(), int(), int(), int()];
    /** r·aRowBytes for each row r of the tile. */
    const rowOffset = Array.from({ length: tile.mr }, () => int());
    const acc: Local[][] = [];
    for (let r = 0; r < tile.mr; r++) acc.push(Array.from({ length: tile.nv }, () => f.local('v128')));
    const b = Array.from({ length: tile.nv }, () => f.local('v128'));
    const a = f.local('v128');
    const vec = t === 'f32' ? f.f32x4 : f.f64x2;

    for (let r = 1; r < tile.mr; r++) { f.get(aRowBytes); f.i32.const(r); f.i32.mul(); f.set(rowOffset[r]!); }
    f.get(bPtr); f.set(bPanel);
    f.forRange(jr, 0, nc, nr, () => {
      f.get(aPtr); f.set(aPanel);
      f.forRange(ir, 0, mc, tile.mr, () => {
        for (const row of acc) for (const x of row) { f.v128.zero(); f.set(x); }
        f.get(aPanel); f.set(ap);
        f.get(bPanel); f.set(bp);
        f.forRange(p, 0, kc, 1, () => {
          for (let v = 0; v < tile.nv; v++) { f.get(bp); f.v128.load(v * 16, 0); f.set(b[v]!); }
          for (let r = 0; r < tile.mr; r++) {
            f.get(ap);
            if (r > 0) { f.get(rowOffset[r]!); f.i32.add(); }
            splatLoad(f, t);
            f.set(a);
            for (let v = 0; v < tile.nv; v++) {
              // acc[r][v] += a · b[v]
              f.get(acc[r]![v]!); f.get(a); f.get(b[v]!); vec.mul(); vec.add(); f.set(acc[r]![v]!);
            }
          }
          f.addTo(ap, aStepBytes);
          f.addTo(bp, bRowBytes);
        });
        // C[ir + r][jr …] += acc[r]
        f.get(cPtr); f.get(ir); f.get(ldcBytes); f.i32.mul(); f.i32.add(); f.get(jr); f.i32.const(size); f.i32.mul(); f.i32.add(); f.set(cRow);
        for (let r = 0; r < tile.mr; r++) {
          for (let v = 0; v < tile.nv; v++) {
            f.get(cRow); f.get(cRow); f.v128.load(v * 16, 0); f.get(acc[r]![v]!); vec.add(); f.v128.store(v * 16, 0);
          }
          f.addTo(cRow, ldcBytes);
        }
        f.addTo(aPanel, aPanelBytes);
      });
      f.addTo(bPanel, bPanelBytes);
    });
  });
}

/** Loads one element at the address on the stack into every lane. */
function splatLoad(f: FunctionBuilder, t: WasmFloat): void {
  if (t === 'f32') f.v128.load32_splat();
  else f.v128.load64_splat();
}

/**
 * Emits `pack_rows_<t>(kc, nc, src, srcRowBytes, dst)`: B's block [kc × nc], row-major at src
 * (rows srcRowBytes apart, columns contiguous), into NR-wide panels at dst:
 *
 * ```ts
 * for (let jr = 0; jr < nc; jr += NR)
 *   for (let p = 0; p < kc; p++)
 *     for (let j = 0; j < NR; j++) dst[(jr·kc + p·NR + j)] = src(p, jr + j);  // nv vector copies
 * ```
 *
 * The last panel copies whole vectors past nc: those lanes meet only C's padding columns.
 */
export function emitPackRows(m: ModuleBuilder, t: WasmFloat, tile: Tile): void {
  const size = elementBytes(t);
  const nr = tileColumns(t, tile);
  m.func(`pack_rows_${t}`, ['i32', 'i32', 'i32', 'i32', 'i32'], [], (f, args) => {
    const [kc, nc, src, srcRowBytes, dst] = args as [Local, Local, Local, Local, Local];
    const [jr, p, s, d] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
    f.get(dst); f.set(d);
    f.forRange(jr, 0, nc, nr, () => {
      f.get(src); f.get(jr); f.i32.const(size); f.i32.mul(); f.i32.add(); f.set(s);
      f.forRange(p, 0, kc, 1, () => {
        for (let v = 0; v < tile.nv; v++) { f.get(d); f.get(s); f.v128.load(v * 16, 0); f.v128.store(v * 16, 0); }
        f.addTo(d, nr * size);
        f.addTo(s, srcRowBytes);
      });
    });
  });
}

/**
 * Emits `pack_cols_<t>(kc, nc, src, srcColBytes, dst)`: B's block [kc × nc], column-major at src
 * (columns srcColBytes apart, rows contiguous: a transposed operand), into NR-wide panels at dst:
 *
 * ```ts
 * for (let jr = 0; jr < nc; jr += NR)
 *   for (let p = 0; p < kc; p++)
 *     for (let j = 0; j < NR; j++) dst[jr·kc + p·NR + j] = src[(jr + j)·srcCol + p];
 * ```
 */
export function emitPackCols(m: ModuleBuilder, t: WasmFloat, tile: Tile): void {
  const size = elementBytes(t);
  const nr = tileColumns(t, tile);
  m.func(`pack_cols_${t}`, ['i32', 'i32', 'i32', 'i32', 'i32'], [], (f, args) => {
    const [kc, nc, src, srcColBytes, dst] = args as [Local, Local, Local, Local, Local];
    const [jr, p, s, d] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
    const ops = t === 'f32' ? f.f32 : f.f64;
    const colOffset = Array.from({ length: nr }, () => f.local('i32'));
    for (let j = 1; j < nr; j++) { f.get(srcColBytes); f.i32.const(j); f.i32.mul(); f.set(colOffset[j]!); }
    f.get(dst); f.set(d);
    f.forRange(jr, 0, nc, nr, () => {
      f.get(src); f.get(jr); f.get(srcColBytes); f.i32.mul(); f.i32.add(); f.set(s);
      f.forRange(p, 0, kc, 1, () => {
        for (let j = 0; j < nr; j++) {
          f.get(d);
          f.get(s);
          if (j > 0) { f.get(colOffset[j]!); f.i32.add(); }
          ops.load();
          ops.store(j * size);
        }
        f.addTo(d, nr * size);
        f.addTo(s, size);
      });
    });
  });
}

/**
 * The whole GEMM module: an imported memory ('env', 'memory'), and per float type the kernel
 * `gemm_<t>` and the packing functions `pack_rows_<t>`, `pack_cols_<t>`.
 */
export function gemmModuleBytes(tiles: Readonly<Record<WasmFloat, Tile>>): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 1);
  for (const t of ['f32', 'f64'] as const) {
    emitGemmKernel(m, t, tiles[t]);
    emitPackRows(m, t, tiles[t]);
    emitPackCols(m, t, tiles[t]);
  }
  return m.bytes();
}
