/**
 * The chunk kernels of the per-channel sums (kernels/channel-reduce.ts `sumsChunk` with squares,
 * `gradChunk`: the reference) for float32 on the wasm backend. A chunk (a contiguous range of
 * whole planes) is copied into the free scratch region of this thread's wasm memory (wasm/gemm.ts
 * `wasmScratchRegion`); the JS kernels' four float64 accumulators per sum are the four lanes of
 * two f64x2 vectors — accumulator k takes the elements at k mod 4 of each plane, the odd last
 * elements of a plane go to accumulator 0 — so every accumulator sees the same additions in the
 * same order, and the JS merge (s0 + s1) + (s2 + s3) follows. The bits are the JS kernels'.
 */
import { ModuleBuilder, type FunctionBuilder, type Local } from './emitter.js';
import { wasmScratchRegion } from './gemm.js';
import { threadModule } from './thread-module.js';

/**
 * Elements of a chunk at most, and channels: two float32 regions of that many elements, a float64
 * constant and 8 float64 accumulators per channel fit the 4 MiB scratch region. (The chunks of
 * channel-reduce.ts hold about 32 768 elements unless one plane is bigger.)
 */
export const WASM_REDUCE_MAX = 262144;
const WASM_REDUCE_MAX_CHANNELS = 4096;
const REGION_BYTES = WASM_REDUCE_MAX * 4 + 64;

/**
 * Emits the loop over `nc` channels × `nb` samples × `inner` elements of float32 data laid out
 * [nb][nc][inner] at the byte addresses `bases` (x for the sums; g, x for the gradient sums):
 * per channel ch, with mu = consts[ch] (float64), four lanes of accumulators in a01, a23 and b01,
 * b23, zeroed, then `step(vectors)` per 4 elements (vectors: the promoted pairs 01 and 23 of each
 * base) and `tail(scalars)` per odd last element; finally the 8 accumulators stored at out + ch·64
 * (a0 a1 a2 a3 b0 b1 b2 b3).
 */
function emitChannelLoop(
  f: FunctionBuilder, bases: Local[], nb: Local, nc: Local, inner: Local, consts: Local, out: Local,
  body: (acc: { a01: Local; a23: Local; b01: Local; b23: Local }, mu: { v: Local; s: Local }, lanes: 'vector' | 'scalar', values: Local[]) => void,
): void {
  const [ch, b, i, plane] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
  const acc = { a01: f.local('v128'), a23: f.local('v128'), b01: f.local('v128'), b23: f.local('v128') };
  const mu = { v: f.local('v128'), s: f.local('f64') };
  // Promoted values: for each base, pairs 01 and 23 (vector) or one value (scalar).
  const vectors = bases.flatMap(() => [f.local('v128'), f.local('v128')]);
  const scalars = bases.map(() => f.local('f64'));
  f.forRange(ch, 0, nc, 1, () => {
    f.get(consts); f.get(ch); f.i32.const(3); f.i32.shl(); f.i32.add(); f.f64.load(); f.tee(mu.s); f.f64x2.splat(); f.set(mu.v);
    for (const a of Object.values(acc)) { f.v128.zero(); f.set(a); }
    f.forRange(b, 0, nb, 1, () => {
      // plane = ((b·nc + ch)·inner)·4: the byte offset of this plane in every region
      f.get(b); f.get(nc); f.i32.mul(); f.get(ch); f.i32.add(); f.get(inner); f.i32.mul(); f.i32.const(2); f.i32.shl(); f.set(plane);
      f.i32.const(0); f.set(i);
      f.block(() => f.loop(() => {
        f.get(i); f.i32.const(4); f.i32.add(); f.get(inner); f.i32.gt_s(); f.br_if(1);
        bases.forEach((base, k) => {
          for (const half of [0, 1]) {
            f.get(base); f.get(plane); f.i32.add(); f.get(i); f.i32.const(2); f.i32.shl(); f.i32.add();
            f.v128.load64_zero(8 * half, 0); f.f64x2.promote_low_f32x4(); f.set(vectors[2 * k + half]!);
          }
        });
        body(acc, mu, 'vector', vectors);
        f.addTo(i, 4);
        f.br(0);
      }));
      f.block(() => f.loop(() => {
        f.get(i); f.get(inner); f.i32.ge_s(); f.br_if(1);
        bases.forEach((base, k) => {
          f.get(base); f.get(plane); f.i32.add(); f.get(i); f.i32.const(2); f.i32.shl(); f.i32.add();
          f.f32.load(); f.f64.promote_f32(); f.set(scalars[k]!);
        });
        body(acc, mu, 'scalar', scalars);
        f.addTo(i, 1);
        f.br(0);
      }));
    });
    [acc.a01, acc.a23, acc.b01, acc.b23].forEach((a, k) => {
      f.get(out); f.get(ch); f.i32.const(6); f.i32.shl(); f.i32.add(); f.get(a); f.v128.store(16 * k, 0);
    });
  });
}

/** acc (a vector) += the vector on the stack, or lane 0 of acc += the scalar on the stack. */
function accumulate(f: FunctionBuilder, acc: Local, lanes: 'vector' | 'scalar', value: () => void): void {
  if (lanes === 'vector') {
    f.get(acc); value(); f.f64x2.add(); f.set(acc);
  } else {
    f.get(acc); f.get(acc); f.f64x2.extract_lane(0); value(); f.f64.add(); f.f64x2.replace_lane(0); f.set(acc);
  }
}

/**
 * The module: `channel_sums(x, nb, nc, inner, shift, out)` and `channel_grad_sums(g, x, nb, nc,
 * inner, mean, out)`, which compute, per channel ch and accumulator k (element e of a plane goes
 * to k = e mod 4 when e < inner − inner mod 4, else to k = 0), in float64:
 *
 * ```ts
 * s_k += x;  q_k += (x − shift[ch])·(x − shift[ch]);   // channel_sums (a = s, b = q)
 * s_k += g;  t_k += g·(x − mean[ch]);                  // channel_grad_sums (a = s, b = t)
 * ```
 */
export function channelReduceModuleBytes(): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 1);
  m.func('channel_sums', new Array<'i32'>(6).fill('i32'), [], (f, args) => {
    const [x, nb, nc, inner, shift, out] = args as [Local, Local, Local, Local, Local, Local];
    emitChannelLoop(f, [x], nb, nc, inner, shift, out, (acc, mu, lanes, v) => {
      const ops = lanes === 'vector' ? f.f64x2 : f.f64;
      const muOf = lanes === 'vector' ? mu.v : mu.s;
      const halves: [Local, Local, Local][] = lanes === 'vector' ? [[acc.a01, acc.b01, v[0]!], [acc.a23, acc.b23, v[1]!]] : [[acc.a01, acc.b01, v[0]!]];
      for (const [a, b, value] of halves) {
        accumulate(f, a, lanes, () => f.get(value)); // s += x
        accumulate(f, b, lanes, () => { // q += (x − shift)·(x − shift)
          f.get(value); f.get(muOf); ops.sub();
          f.get(value); f.get(muOf); ops.sub();
          ops.mul();
        });
      }
    });
  });
  m.func('channel_grad_sums', new Array<'i32'>(7).fill('i32'), [], (f, args) => {
    const [g, x, nb, nc, inner, mean, out] = args as [Local, Local, Local, Local, Local, Local, Local];
    emitChannelLoop(f, [g, x], nb, nc, inner, mean, out, (acc, mu, lanes, v) => {
      const ops = lanes === 'vector' ? f.f64x2 : f.f64;
      const muOf = lanes === 'vector' ? mu.v : mu.s;
      // vector: v = [g01, g23, x01, x23]; scalar: v = [g, x]
      const halves: [Local, Local, Local, Local][] = lanes === 'vector'
        ? [[acc.a01, acc.b01, v[0]!, v[2]!], [acc.a23, acc.b23, v[1]!, v[3]!]]
        : [[acc.a01, acc.b01, v[0]!, v[1]!]];
      for (const [a, b, gv, xv] of halves) {
        accumulate(f, a, lanes, () => f.get(gv)); // s += g
        accumulate(f, b, lanes, () => { f.get(gv); f.get(xv); f.get(muOf); ops.sub(); ops.mul(); }); // t += g·(x − mean)
      }
    });
  });
  emitPlaneSums(m);
  return m.bytes();
}

/**
 * Emits `plane_sums(x, planes, inner, out)`: out[p] (float64) = kernels/channel-reduce.ts
 * `planeSum32` of the p-th plane of `inner` float32 values at x — eight float64 accumulators a0…a7
 * (the lanes of four f64x2) taking x[i … i + 7] for i = inner − 8, inner − 16, … ≥ 0, then the first
 * inner mod 8 values from the top down into a0, merged ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)).
 * Measured through channelSum (the conv bias gradient; node micro-bench, load 3.5, JS → wasm):
 * [32, 8, 784] 77–81 → 43–51 µs, [32, 16, 196] 41–43 → 21 µs.
 */
function emitPlaneSums(m: ModuleBuilder): void {
  m.func('plane_sums', ['i32', 'i32', 'i32', 'i32'], [], (f, args) => {
    const [x, planes, inner, out] = args as [Local, Local, Local, Local];
    const [p, base, i] = [f.local('i32'), f.local('i32'), f.local('i32')];
    const acc = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
    const lane = (a: number, l: number): void => { f.get(acc[a]!); f.f64x2.extract_lane(l); };
    f.forRange(p, 0, planes, 1, () => {
      f.get(x); f.get(p); f.get(inner); f.i32.mul(); f.i32.const(2); f.i32.shl(); f.i32.add(); f.set(base);
      for (const a of acc) { f.v128.zero(); f.set(a); }
      f.get(inner); f.i32.const(8); f.i32.sub(); f.set(i);
      f.block(() => f.loop(() => {
        f.get(i); f.i32.const(0); f.i32.lt_s(); f.br_if(1);
        acc.forEach((a, k) => {
          f.get(a); f.get(base); f.get(i); f.i32.const(2); f.i32.shl(); f.i32.add();
          f.v128.load64_zero(8 * k, 0); f.f64x2.promote_low_f32x4(); f.f64x2.add(); f.set(a);
        });
        f.addTo(i, -8);
        f.br(0);
      }));
      f.addTo(i, 7);
      f.block(() => f.loop(() => {
        f.get(i); f.i32.const(0); f.i32.lt_s(); f.br_if(1);
        f.get(acc[0]!); lane(0, 0);
        f.get(base); f.get(i); f.i32.const(2); f.i32.shl(); f.i32.add(); f.f32.load(); f.f64.promote_f32();
        f.f64.add(); f.f64x2.replace_lane(0); f.set(acc[0]!);
        f.addTo(i, -1);
        f.br(0);
      }));
      f.get(out); f.get(p); f.i32.const(3); f.i32.shl(); f.i32.add();
      lane(0, 0); lane(0, 1); f.f64.add(); lane(1, 0); lane(1, 1); f.f64.add(); f.f64.add();
      lane(2, 0); lane(2, 1); f.f64.add(); lane(3, 0); lane(3, 1); f.f64.add(); f.f64.add();
      f.f64.add();
      f.f64.store();
    });
  });
}

type PlaneSumsFn = (x: number, planes: number, inner: number, out: number) => void;

type SumsFn = (x: number, nb: number, nc: number, inner: number, shift: number, out: number) => void;
type GradFn = (g: number, x: number, nb: number, nc: number, inner: number, mean: number, out: number) => void;

interface ReduceKernels {
  planeSums: PlaneSumsFn;
  sums: SumsFn;
  grad: GradFn;
  f32: Float32Array;
  f64: Float64Array;
}

const reduceKernels = threadModule('channel-reduce', channelReduceModuleBytes, ({ exports, f32, f64 }): ReduceKernels => ({
  planeSums: exports['plane_sums'] as PlaneSumsFn,
  sums: exports['channel_sums'] as SumsFn,
  grad: exports['channel_grad_sums'] as GradFn,
  f32,
  f64,
}));

/** Byte addresses: region 1 (x, or g), region 2 (x of the gradient sums), constants, accumulators. */
function regions(): { first: number; second: number; consts: number; out: number } {
  const base = wasmScratchRegion().byteOffset;
  const consts = base + 2 * REGION_BYTES;
  return { first: base, second: base + REGION_BYTES, consts, out: consts + 8 * WASM_REDUCE_MAX_CHANNELS };
}

/** Whether a chunk of `nc` channels × `nb` samples of `inner` elements fits the scratch regions. */
export function wasmChunkFits(nb: number, nc: number, inner: number): boolean {
  return nb * nc * inner <= WASM_REDUCE_MAX && nc <= WASM_REDUCE_MAX_CHANNELS;
}

/** The 8 accumulators per channel after a kernel: a0…a3, b0…b3 at f64 index 8·ch. */
function accumulators(k: ReduceKernels, out: number, nc: number): Float64Array {
  return k.f64.subarray(out / 8, out / 8 + 8 * nc);
}

/**
 * Σx and Σ(x − shift[ch])² of the chunk at `from` of float32 x, laid out [nb][nc][inner]; shift
 * holds nc values from `shiftOffset` (null: 0). Returns the accumulators of every channel,
 * (s0 s1 s2 s3 q0 q1 q2 q3) at 8·ch, valid until the next wasm call. Check {@link wasmChunkFits}.
 *
 * @example
 * ```ts
 * const acc = wasmChannelSumsChunk(new Float32Array([1, 2, 3, 4, 5]), 0, 1, 1, 5, null, 0);
 * // acc[0..8] = [1 + 5, 2, 3, 4, 1 + 25, 4, 9, 16]
 * ```
 */
export function wasmChannelSumsChunk(
  x: Float32Array, from: number, nb: number, nc: number, inner: number, shift: Float64Array | null, shiftOffset: number,
): Float64Array {
  const k = reduceKernels();
  const at = regions();
  const size = nb * nc * inner;
  k.f32.set(x.subarray(from, from + size), at.first / 4);
  if (shift === null) k.f64.fill(0, at.consts / 8, at.consts / 8 + nc);
  else k.f64.set(shift.subarray(shiftOffset, shiftOffset + nc), at.consts / 8);
  k.sums(at.first, nb, nc, inner, at.consts, at.out);
  return accumulators(k, at.out, nc);
}

/**
 * Σg and Σg·(x − mean[ch]) of the chunk of float32 g at `gFrom` and x at `xFrom`, laid out
 * [nb][nc][inner]; mean holds nc values from `meanOffset` (null: 0). Returns the accumulators
 * (s0 s1 s2 s3 t0 t1 t2 t3) at 8·ch, valid until the next wasm call. Check {@link wasmChunkFits}.
 *
 * @example
 * ```ts
 * const acc = wasmChannelGradSumsChunk(new Float32Array([1, 1, 1, 1]), 0, new Float32Array([1, 2, 3, 4]), 0, 1, 1, 4, null, 0);
 * // acc[0..8] = [1, 1, 1, 1, 1, 2, 3, 4]
 * ```
 */
export function wasmChannelGradSumsChunk(
  g: Float32Array, gFrom: number, x: Float32Array, xFrom: number, nb: number, nc: number, inner: number,
  mean: Float64Array | null, meanOffset: number,
): Float64Array {
  const k = reduceKernels();
  const at = regions();
  const size = nb * nc * inner;
  k.f32.set(g.subarray(gFrom, gFrom + size), at.first / 4);
  k.f32.set(x.subarray(xFrom, xFrom + size), at.second / 4);
  if (mean === null) k.f64.fill(0, at.consts / 8, at.consts / 8 + nc);
  else k.f64.set(mean.subarray(meanOffset, meanOffset + nc), at.consts / 8);
  k.grad(at.first, at.second, nb, nc, inner, at.consts, at.out);
  return accumulators(k, at.out, nc);
}

/** Whether `planes` plane sums of `inner` elements fit {@link wasmPlaneSums}'s regions. */
export function wasmPlaneSumsFit(planes: number, inner: number): boolean {
  return planes * inner <= WASM_REDUCE_MAX && planes <= WASM_REDUCE_MAX_CHANNELS;
}

/**
 * kernels/channel-reduce.ts `planeSum32` of each of the `planes` planes of `inner` float32 values
 * from x[from] (one contiguous run), in wasm, the same bits. Returns the sums (float64, one per
 * plane), valid until the next wasm call. Check {@link wasmPlaneSumsFit}.
 *
 * @example
 * ```ts
 * wasmPlaneSums(new Float32Array([1, 2, 3, 4]), 0, 2, 2); // [3, 7]
 * ```
 */
export function wasmPlaneSums(x: Float32Array, from: number, planes: number, inner: number): Float64Array {
  const k = reduceKernels();
  const at = regions();
  k.f32.set(x.subarray(from, from + planes * inner), at.first / 4);
  k.planeSums(at.first, planes, inner, at.consts);
  return k.f64.subarray(at.consts / 8, at.consts / 8 + planes);
}
