/**
 * Measurements behind the wasm GEMM tiles (src/tensor/wasm/gemm.ts, bench/README.md):
 * `npx tsx bench/measure-wasm-gemm.ts [tiles|backends|kernel]` (`kernel`: the emitted kernel
 * alone, called on packed blocks already in the module's memory — the ceiling the whole GEMM's
 * packing and copying take from), and `threads`: `a.matmul(b)` 512×512 on
 * 1 and 2 threads, js and wasm, float32 and float64 (compiled, as `npm run bench` runs:
 * `npx tsc -p tsconfig.bench.json && node .bench-build/bench/measure-wasm-gemm.js threads`). GFLOP/s of C += A·B, 512×512×512,
 * row-major, on the calling thread; the variants are interleaved in rounds so machine noise hits
 * all of them. Each round takes the median of 7 timed runs; the table shows the median over the
 * rounds and the best round (on a machine shared with other jobs, the best round is the closer
 * estimate of the speed without them).
 */
import { gemmPacked } from '../src/tensor/kernels/gemm.js';
import { wasmApi } from '../src/tensor/wasm/runtime.js';
import { gemmModuleBytes, tileColumns, elementBytes } from '../src/tensor/wasm/gemm-module.js';
import { setWasmTilesForMeasurement, wasmGemmPacked, WASM_TILE_F32, WASM_TILE_F64 } from '../src/tensor/wasm/gemm.js';
import type { Tile } from '../src/tensor/wasm/gemm-module.js';
import { setBackend, setNumThreads, tensor } from '../src/index.js';
import { warmUpPool } from '../src/tensor/parallel/pool.js';
import { seededData } from './harness.js';

const SIZE = 512;
/** Rounds (`ROUNDS=9 npx tsx …` for more on a busy machine). */
const ROUNDS = Number(process.env['ROUNDS'] ?? 5);

type Run = () => void;

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Median GFLOP/s of 7 runs after ≥ 300 ms of warm-up runs (a freshly emitted module starts in
 * V8's baseline compiler; the optimized code replaces it once compiled in the background, which
 * takes longer when the other core is busy).
 */
function gflops(run: Run): number {
  const warm = performance.now();
  for (let i = 0; i < 3 || performance.now() - warm < 300; i++) run();
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    run();
    times.push(performance.now() - t);
  }
  return (2 * SIZE ** 3) / (median(times) * 1e6);
}

function operands(f32: boolean): { a: Float32Array | Float64Array; b: Float32Array | Float64Array; c: Float32Array | Float64Array } {
  const a = seededData(SIZE * SIZE, 1);
  const b = seededData(SIZE * SIZE, 2);
  return f32 ? { a, b, c: new Float32Array(SIZE * SIZE) } : { a: Float64Array.from(a), b: Float64Array.from(b), c: new Float64Array(SIZE * SIZE) };
}

function variantsTable(variants: { name: string; setup: () => void; run: Run }[]): void {
  const cells = variants.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    variants.forEach((v, i) => { v.setup(); cells[i]!.push(gflops(v.run)); });
  }
  console.log('| variant | GFLOP/s, median of rounds | worst–best round |');
  console.log('| --- | --- | --- |');
  variants.forEach((v, i) => console.log(`| ${v.name} | ${median(cells[i]!).toFixed(1)} | ${Math.min(...cells[i]!).toFixed(1)}–${Math.max(...cells[i]!).toFixed(1)} |`));
}

/** matmul 512×512 through the op (pool included) on 1 and 2 threads, rounds interleaved. */
async function threadsTable(): Promise<void> {
  console.log('| backend | dtype | threads | GFLOP/s per round, best of 15 | median of 15 |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const backend of ['js', 'wasm'] as const) {
    setBackend(backend);
    for (const dtype of ['float32', 'float64'] as const) {
      const a = tensor(seededData(SIZE * SIZE, 1), { shape: [SIZE, SIZE], dtype });
      const b = tensor(seededData(SIZE * SIZE, 2), { shape: [SIZE, SIZE], dtype });
      const cells = new Map<number, [number[], number[]]>();
      for (let round = 0; round < 4; round++) {
        for (const threads of [1, 2]) {
          setNumThreads(threads);
          if (threads > 1) await warmUpPool();
          for (let i = 0; i < 5; i++) a.matmul(b);
          const times: number[] = [];
          for (let i = 0; i < 15; i++) {
            const t = performance.now();
            a.matmul(b);
            times.push(performance.now() - t);
          }
          const cell = cells.get(threads) ?? [[], []];
          cell[0].push((2 * SIZE ** 3) / (Math.min(...times) * 1e6));
          cell[1].push((2 * SIZE ** 3) / (median(times) * 1e6));
          cells.set(threads, cell);
        }
      }
      for (const [threads, [best, med]] of cells) {
        console.log(`| ${backend} | ${dtype} | ${threads} | ${best.map((g) => g.toFixed(1)).join(' ')} | ${med.map((g) => g.toFixed(1)).join(' ')} |`);
      }
    }
  }
}

/**
 * The kernel alone: `gemm_<t>` on packed blocks of A [mc×256] and B [256×nc] that stay in the
 * module's memory (values sin(i)), from blocks that fit L1 to the whole GEMM's MC×NC block.
 */
function kernelTable(): void {
  const api = wasmApi();
  if (api === null) throw new Error('no WebAssembly');
  type Kernel = (mc: number, nc: number, kc: number, aPtr: number, bPtr: number, cPtr: number, ldcBytes: number) => void;
  console.log('| dtype | tile | mc×nc×kc | GFLOP/s, median of 7 |');
  console.log('| --- | --- | --- | --- |');
  for (const tile of [WASM_TILE_F32, { mr: 2, nv: 4 }]) {
    const memory = new api.Memory({ initial: 200, maximum: 200 });
    const exports = new api.Instance(new api.Module(gemmModuleBytes({ f32: tile, f64: tile })), { env: { memory } }).exports;
    for (const t of ['f32', 'f64'] as const) {
      const view = t === 'f32' ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
      for (let i = 0; i < view.length; i++) view[i] = Math.sin(i);
      const kernel = exports[`gemm_${t}`] as Kernel;
      const nr = tileColumns(t, tile);
      for (const [mc, nc] of [[tile.mr, nr], [tile.mr * 8, nr * 8], [tile.mr * Math.floor(128 / tile.mr), nr * Math.floor(512 / nr)]] as const) {
        const kc = 256;
        const reps = Math.max(1, Math.round(2e8 / (mc * nc * kc)));
        const run = (): void => { for (let r = 0; r < reps; r++) kernel(mc, nc, kc, 0, 1 << 20, 8 << 20, nc * elementBytes(t)); };
        const warm = performance.now();
        while (performance.now() - warm < 300) run();
        const times: number[] = [];
        for (let i = 0; i < 7; i++) {
          const start = performance.now();
          run();
          times.push(performance.now() - start);
        }
        console.log(`| ${t} | ${tile.mr}×${tile.nv} | ${mc}×${nc}×${kc} | ${((2 * mc * nc * kc * reps) / (median(times) * 1e6)).toFixed(1)} |`);
      }
    }
  }
}

const mode = process.argv[2] ?? 'backends';
if (mode === 'kernel') {
  kernelTable();
} else if (mode === 'threads') {
  await threadsTable();
  process.exit(0);
} else if (mode === 'tiles') {
  const f32 = operands(true);
  const f64 = operands(false);
  // TILES='4x2,5x2' (rows × vectors) measures only those, for both dtypes.
  const only = process.env['TILES']?.split(',').map((x): Tile => {
    const [mr, nv] = x.split('x').map(Number);
    return { mr: mr!, nv: nv! };
  });
  const tiles32: Tile[] = only ?? [{ mr: 4, nv: 2 }, { mr: 5, nv: 2 }, { mr: 6, nv: 2 }, { mr: 4, nv: 3 }, { mr: 3, nv: 3 }, { mr: 2, nv: 4 }, { mr: 8, nv: 1 }];
  const tiles64: Tile[] = only ?? [{ mr: 4, nv: 2 }, { mr: 5, nv: 2 }, { mr: 6, nv: 2 }, { mr: 4, nv: 3 }, { mr: 2, nv: 4 }];
  variantsTable([
    ...tiles32.map((t) => ({
      name: `float32 ${t.mr}×${t.nv} vectors`, setup: () => setWasmTilesForMeasurement({ f32: t, f64: WASM_TILE_F64 }),
      run: () => wasmGemmPacked(SIZE, SIZE, SIZE, f32.a, 0, SIZE, 1, f32.b, 0, SIZE, 1, f32.c, 0, SIZE),
    })),
    ...tiles64.map((t) => ({
      name: `float64 ${t.mr}×${t.nv} vectors`, setup: () => setWasmTilesForMeasurement({ f32: WASM_TILE_F32, f64: t }),
      run: () => wasmGemmPacked(SIZE, SIZE, SIZE, f64.a, 0, SIZE, 1, f64.b, 0, SIZE, 1, f64.c, 0, SIZE),
    })),
  ]);
} else {
  const f32 = operands(true);
  const f64 = operands(false);
  const none = (): void => setWasmTilesForMeasurement(null);
  variantsTable([
    { name: 'js float32', setup: none, run: () => gemmPacked(SIZE, SIZE, SIZE, f32.a, 0, SIZE, 1, f32.b, 0, SIZE, 1, f32.c, 0, SIZE) },
    { name: 'wasm float32', setup: none, run: () => wasmGemmPacked(SIZE, SIZE, SIZE, f32.a, 0, SIZE, 1, f32.b, 0, SIZE, 1, f32.c, 0, SIZE) },
    { name: 'js float64', setup: none, run: () => gemmPacked(SIZE, SIZE, SIZE, f64.a, 0, SIZE, 1, f64.b, 0, SIZE, 1, f64.c, 0, SIZE) },
    { name: 'wasm float64', setup: none, run: () => wasmGemmPacked(SIZE, SIZE, SIZE, f64.a, 0, SIZE, 1, f64.b, 0, SIZE, 1, f64.c, 0, SIZE) },
  ]);
}
