/**
 * The WebAssembly GEMM micro-kernels, emitted with emitter.ts: one macro-kernel per dtype that
 * walks packed panels of A and B with a register tile of f32x4 (float32) or f64x2 (float64)
 * accumulators. The JavaScript driver (wasm/gemm.ts) packs the panels into the module's memory
 * and copies C in and out, exactly where the JS GEMM (kernels/gemm.ts) packs.
 *
 * Memory layout (byte offsets in the imported memory; sized for float64, float32 uses half):
 * packed A [MC×KC] | packed B [KC×NC] | C block [MC×NC] | raw B [RAW_CAPACITY] (im2col writes here).
 */
import { ModuleBuilder, type FunctionBuilder, type Local } from './emitter.js';

/** Which float type a kernel computes in. */
export type WasmFloat = 'f32' | 'f64';

/**
 * Register tile of the float32 kernel: MR rows × NV vectors of 4 columns. Measured, matmul
 * 512×512 float32, 1 thread, Node 20 on the 2-core Xeon (Sapphire Rapids, KVM) of bench/README.md,
 * GFLOP/s, median of interleaved runs with other jobs on the machine (bench/measure-wasm-tile.ts):
 * see TILE_MEASUREMENT in wasm/gemm.ts for the table.
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
 * Emits `gemm_<t>(mc, nc, kc, aPtr, bPtr, bRowBytes, bPanelBytes, cPtr, ldcBytes)`, which computes,
 * with MR = tile.mr, NR = tile.nv · (16 / element bytes), all pointers in bytes:
 *
 * ```ts
 * for (let jr = 0; jr < nc; jr += NR)          // one column panel of B
 *   for (let ir = 0; ir < mc; ir += MR) {      // one row panel of A
 *     const acc = zeros(MR, NR);               // in MR·nv vector registers
 *     for (let p = 0; p < kc; p++)
 *       for (let r = 0; r < MR; r++)
 *         for (let j = 0; j < NR; j++)
 *           acc[r][j] += A[ir / MR][p][r] * B(p, jr + j);
 *     for (r, j) C[ir + r][jr + j] += acc[r][j];
 *   }
 * ```
 *
 * A is packed in MR-tall panels (panel ir/MR at aPtr + ir·kc·size, MR values per p). B(p, jr + j)
 * is at bPtr + (jr / NR)·bPanelBytes + p·bRowBytes + j·size: packed NR-wide panels
 * (bRowBytes = NR·size, bPanelBytes = kc·NR·size) or a row-major matrix read in place (bRowBytes =
 * its row stride, bPanelBytes = NR·size). mc and nc are multiples of MR and NR (the driver pads),
 * C's rows are ldcBytes apart. Each lane sums its own products in order p = 0, 1, …, with a
 * separate multiply and add (no fused multiply-add), so a float64 element gets the same bits as
 * the JS micro-kernel's `c += a * b`.
 */
export function emitGemmKernel(m: ModuleBuilder, t: WasmFloat, tile: Tile): void {
  const size = elementBytes(t);
  const nr = tileColumns(t, tile);
  const params = new Array<'i32'>(9).fill('i32');
  m.func(`gemm_${t}`, params, [], (f, [mc, nc, kc, aPtr, bPtr, bRowBytes, bPanelBytes, cPtr, ldcBytes]) => {
    const [jr, ir, p, ap, bp, bPanel, cRow] = ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'].map(() => f.local('i32')) as [
      Local, Local, Local, Local, Local, Local, Local,
    ];
    const acc: Local[][] = [];
    for (let r = 0; r < tile.mr; r++) acc.push(Array.from({ length: tile.nv }, () => f.local('v128')));
    const b = Array.from({ length: tile.nv }, () => f.local('v128'));
    const a = f.local('v128');
    const vec = t === 'f32' ? f.f32x4 : f.f64x2;

    f.get(bPtr!);
    f.set(bPanel);
    f.forRange(jr, 0, nc!, nr, () => {
      f.forRange(ir, 0, mc!, tile.mr, () => {
        for (const row of acc) for (const x of row) { f.v128.zero(); f.set(x); }
        // ap = aPtr + ir·kc·size; bp = this column panel's start
        f.get(aPtr!); f.get(ir); f.get(kc!); f.i32.mul(); f.i32.const(size); f.i32.mul(); f.i32.add(); f.set(ap);
        f.get(bPanel); f.set(bp);
        f.forRange(p, 0, kc!, 1, () => {
          for (let v = 0; v < tile.nv; v++) { f.get(bp); f.v128.load(v * 16, 0); f.set(b[v]!); }
          for (let r = 0; r < tile.mr; r++) {
            f.get(ap);
            splatLoad(f, t, r * size);
            f.set(a);
            for (let v = 0; v < tile.nv; v++) {
              // acc[r][v] += a · b[v]
              f.get(acc[r]![v]!); f.get(a); f.get(b[v]!); vec.mul(); vec.add(); f.set(acc[r]![v]!);
            }
          }
          f.addTo(ap, tile.mr * size);
          f.addTo(bp, bRowBytes!);
        });
        // C[ir + r][jr …] += acc[r]
        f.get(cPtr!); f.get(ir); f.get(ldcBytes!); f.i32.mul(); f.i32.add(); f.get(jr); f.i32.const(size); f.i32.mul(); f.i32.add(); f.set(cRow);
        for (let r = 0; r < tile.mr; r++) {
          for (let v = 0; v < tile.nv; v++) {
            f.get(cRow); f.get(cRow); f.v128.load(v * 16, 0); f.get(acc[r]![v]!); vec.add(); f.v128.store(v * 16, 0);
          }
          f.addTo(cRow, ldcBytes!);
        }
      });
      f.addTo(bPanel, bPanelBytes!);
    });
  });
}

/** Loads one element at the address on the stack (+ offset) into every lane. */
function splatLoad(f: FunctionBuilder, t: WasmFloat, offset: number): void {
  if (t === 'f32') f.v128.load32_splat(offset);
  else f.v128.load64_splat(offset);
}

/** The whole GEMM module: an imported memory ('env', 'memory') and gemm_f32, gemm_f64. */
export function gemmModuleBytes(tiles: Readonly<Record<WasmFloat, Tile>>): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 1);
  emitGemmKernel(m, 'f32', tiles.f32);
  emitGemmKernel(m, 'f64', tiles.f64);
  return m.bytes();
}
