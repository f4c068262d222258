/**
 * A small WebAssembly emitter: builds the bytes of a module (types, one imported memory,
 * functions with typed locals, exports) from TypeScript calls, one call per instruction.
 *
 * Written for tsgrad's kernels (wasm/gemm-module.ts), in the manner of jax-js's `wasmblr`
 * (itself a port of bwasti/wasmblr): a kernel reads as the loop it computes, e.g.
 *
 * ```ts
 * const m = new ModuleBuilder();
 * m.importMemory('env', 'memory', 1);
 * m.func('sum', ['i32', 'i32'], ['f32'], (f, [ptr, n]) => {
 *   const s = f.local('f32');
 *   const i = f.local('i32');
 *   f.forRange(i, 0, n, 1, () => {            // for (i = 0; i < n; i++)
 *     f.get(s);                               //   s += mem[ptr + 4·i]
 *     f.get(ptr); f.get(i); f.i32.const(2); f.i32.shl(); f.i32.add(); f.f32.load();
 *     f.f32.add(); f.set(s);
 *   });
 *   f.get(s);
 * });
 * const bytes = m.bytes(); // WebAssembly.validate(bytes) === true
 * ```
 *
 * Encoding reference: the WebAssembly core specification 2.0, chapter 5 (binary format), and the
 * fixed-width SIMD proposal (opcodes prefixed by 0xfd). Only what the kernels use is here; the
 * engine's validator (`WebAssembly.validate`) checks the stack discipline, so the emitter does not
 * track operand types itself.
 */

/** The value types of WebAssembly 2.0 with SIMD (no reference types). */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const VALTYPE_CODE: Readonly<Record<ValType, number>> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** The empty block type (a block that takes and leaves nothing). */
const BLOCK_VOID = 0x40;

/** A local variable (parameters are locals 0…n−1) of a function being built. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

// ---- LEB128 -------------------------------------------------------------------------------------

/** Unsigned LEB128: 7 bits per byte, low bits first, high bit set on every byte but the last. */
export function encodeU32(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`wasm emitter: ${value} is not an unsigned 32-bit integer`);
  }
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer: stops once the rest is all sign bits of the last byte. */
export function encodeS32(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new Error(`wasm emitter: ${value} is not a signed 32-bit integer`);
  }
  const out: number[] = [];
  let v = value;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7; // arithmetic shift keeps the sign
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0 && !signBit) || (v === -1 && signBit)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function encodeName(name: string): number[] {
  const utf8 = new TextEncoder().encode(name);
  return [...encodeU32(utf8.length), ...utf8];
}

/** A section: its id, then its byte length, then its bytes. */
function section(id: number, body: number[]): number[] {
  return [id, ...encodeU32(body.length), ...body];
}

/** A vector: its element count, then the elements' bytes. */
function vector(items: number[][]): number[] {
  const out = encodeU32(items.length);
  for (const item of items) for (const b of item) out.push(b);
  return out;
}

// ---- instructions --------------------------------------------------------------------------------

/** The bytes of one function body, written by the instruction methods. */
class Code {
  readonly bytes: number[] = [];

  op(...bytes: number[]): void {
    for (const b of bytes) this.bytes.push(b);
  }

  /** A SIMD instruction: prefix 0xfd, then the opcode as unsigned LEB128. */
  simd(opcode: number, ...immediates: number[]): void {
    this.op(0xfd, ...encodeU32(opcode), ...immediates);
  }

  /** A memory instruction's immediate: log2 of the alignment, then the constant byte offset. */
  memarg(alignLog2: number, offset: number): number[] {
    return [...encodeU32(alignLog2), ...encodeU32(offset)];
  }
}

/** Scalar integer instructions (i32). */
class I32Ops {
  constructor(private readonly c: Code) {}
  const(v: number): void { this.c.op(0x41, ...encodeS32(v)); }
  /** mem[addr + offset] as i32 (4-byte aligned). */
  load(offset = 0): void { this.c.op(0x28, ...this.c.memarg(2, offset)); }
  store(offset = 0): void { this.c.op(0x36, ...this.c.memarg(2, offset)); }
  eqz(): void { this.c.op(0x45); }
  eq(): void { this.c.op(0x46); }
  ne(): void { this.c.op(0x47); }
  lt_s(): void { this.c.op(0x48); }
  lt_u(): void { this.c.op(0x49); }
  gt_s(): void { this.c.op(0x4a); }
  le_s(): void { this.c.op(0x4c); }
  ge_s(): void { this.c.op(0x4e); }
  add(): void { this.c.op(0x6a); }
  sub(): void { this.c.op(0x6b); }
  mul(): void { this.c.op(0x6c); }
  /** Signed division, rounding toward zero (traps on division by 0). */
  div_s(): void { this.c.op(0x6d); }
  rem_u(): void { this.c.op(0x70); }
  and(): void { this.c.op(0x71); }
  or(): void { this.c.op(0x72); }
  shl(): void { this.c.op(0x74); }
  shr_s(): void { this.c.op(0x75); }
  shr_u(): void { this.c.op(0x76); }
}

/** Scalar float instructions, for f32 (`width` 4) or f64 (`width` 8). */
class FloatOps {
  /** Opcode of `add` in this type; sub, mul, div, min, max follow it. */
  private readonly arith: number;
  constructor(private readonly c: Code, private readonly width: 4 | 8) {
    this.arith = width === 4 ? 0x92 : 0xa0;
  }
  const(v: number): void {
    const bytes = new Uint8Array(this.width);
    const view = new DataView(bytes.buffer);
    if (this.width === 4) view.setFloat32(0, v, true);
    else view.setFloat64(0, v, true);
    this.c.op(this.width === 4 ? 0x43 : 0x44, ...bytes);
  }
  load(offset = 0): void { this.c.op(this.width === 4 ? 0x2a : 0x2b, ...this.c.memarg(this.width === 4 ? 2 : 3, offset)); }
  store(offset = 0): void { this.c.op(this.width === 4 ? 0x38 : 0x39, ...this.c.memarg(this.width === 4 ? 2 : 3, offset)); }
  add(): void { this.c.op(this.arith); }
  sub(): void { this.c.op(this.arith + 1); }
  mul(): void { this.c.op(this.arith + 2); }
  div(): void { this.c.op(this.arith + 3); }
  min(): void { this.c.op(this.arith + 4); }
  max(): void { this.c.op(this.arith + 5); }
  sqrt(): void { this.c.op(this.width === 4 ? 0x91 : 0x9f); }
  /** f32.demote_f64 (rounds to nearest, ties to even); only on the f32 ops. */
  demote_f64(): void {
    if (this.width !== 4) throw new Error('wasm emitter: demote_f64 is an f32 instruction');
    this.c.op(0xb6);
  }
  /** f64.promote_f32 (exact); only on the f64 ops. */
  promote_f32(): void {
    if (this.width !== 8) throw new Error('wasm emitter: promote_f32 is an f64 instruction');
    this.c.op(0xbb);
  }
}

/** Instructions on a whole 128-bit vector. */
class V128Ops {
  constructor(private readonly c: Code) {}
  /** 16 bytes from mem[addr + offset]; `alignLog2` is a hint (4 = 16-byte aligned). */
  load(offset = 0, alignLog2 = 4): void { this.c.simd(0x00, ...this.c.memarg(alignLog2, offset)); }
  /** One 32-bit value from memory, copied into all four lanes. */
  load32_splat(offset = 0): void { this.c.simd(0x09, ...this.c.memarg(2, offset)); }
  /** One 64-bit value from memory, copied into both lanes. */
  load64_splat(offset = 0): void { this.c.simd(0x0a, ...this.c.memarg(3, offset)); }
  store(offset = 0, alignLog2 = 4): void { this.c.simd(0x0b, ...this.c.memarg(alignLog2, offset)); }
  /** Stores lane `lane` (0 or 1) of the vector as 8 bytes. */
  store64_lane(lane: number, offset = 0, alignLog2 = 3): void { this.c.simd(0x5b, ...this.c.memarg(alignLog2, offset), lane); }
  /** 8 bytes from memory into the low half, the high half zero. */
  load64_zero(offset = 0, alignLog2 = 3): void { this.c.simd(0x5d, ...this.c.memarg(alignLog2, offset)); }
  /** The all-zero vector. */
  zero(): void { this.c.simd(0x0c, ...new Array<number>(16).fill(0)); }
  /** A constant vector of 16 bytes (lane 0 first, little-endian). */
  const(bytes: readonly number[]): void {
    if (bytes.length !== 16) throw new Error('wasm emitter: v128.const takes 16 bytes');
    this.c.simd(0x0c, ...bytes);
  }
  /** v128.bitselect(a, b, mask): the bits of a where mask is 1, of b where 0. */
  bitselect(): void { this.c.simd(0x52); }
  /** Bitwise not, and, a & ~b, or of whole vectors. */
  not(): void { this.c.simd(0x4d); }
  and(): void { this.c.simd(0x4e); }
  andnot(): void { this.c.simd(0x4f); }
  or(): void { this.c.simd(0x50); }
  /**
   * i8x16.shuffle: byte i of the result is byte `bytes[i]` of the two vectors on the stack taken
   * as one 32-byte array (0–15 the first, 16–31 the second).
   */
  shuffle(bytes: readonly number[]): void {
    if (bytes.length !== 16 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 31)) {
      throw new Error(`wasm emitter: i8x16.shuffle needs 16 byte indices in 0…31, got [${bytes.join(', ')}]`);
    }
    this.c.simd(0x0d, ...bytes);
  }
}

/** Lane-wise instructions on four 32-bit integers. */
class I32VectorOps {
  constructor(private readonly c: Code) {}
  splat(): void { this.c.simd(0x11); }
  /** Arithmetic shift right of every lane by the i32 on top of the stack (mod 32). */
  shr_s(): void { this.c.simd(0xac); }
  add(): void { this.c.simd(0xae); }
  sub(): void { this.c.simd(0xb1); }
  /** Signed a > b per lane: all ones where true, else 0. */
  gt_s(): void { this.c.simd(0x3b); }
}

/**
 * Lane-wise float instructions: f32x4 (`lanes` 4) or f64x2 (`lanes` 2). No fused multiply-add:
 * it exists only in relaxed SIMD, which is not deterministic across CPUs.
 */
class FloatVectorOps {
  /** Opcode of `add` for this shape; sub, mul, div, min, max follow it. */
  private readonly arith: number;
  constructor(private readonly c: Code, private readonly lanes: 4 | 2) {
    this.arith = lanes === 4 ? 0xe4 : 0xf0;
  }
  splat(): void { this.c.simd(this.lanes === 4 ? 0x13 : 0x14); }
  extract_lane(lane: number): void { this.c.simd(this.lanes === 4 ? 0x1f : 0x21, lane); }
  /** Lane-wise comparisons: all ones where true (no NaN is equal to anything). */
  ne(): void { this.c.simd(this.lanes === 4 ? 0x42 : 0x48); }
  gt(): void { this.c.simd(this.lanes === 4 ? 0x44 : 0x4a); }
  /** Replaces lane `lane` of the vector (below) by the scalar (on top). */
  replace_lane(lane: number): void { this.c.simd(this.lanes === 4 ? 0x20 : 0x22, lane); }
  add(): void { this.c.simd(this.arith); }
  sub(): void { this.c.simd(this.arith + 1); }
  mul(): void { this.c.simd(this.arith + 2); }
  div(): void { this.c.simd(this.arith + 3); }
  min(): void { this.c.simd(this.arith + 4); }
  max(): void { this.c.simd(this.arith + 5); }
  /** f32x4.demote_f64x2_zero: the two float64 lanes rounded to float32 (nearest, ties to even) in lanes 0–1, zeros above; only on f32x4. */
  demote_f64x2_zero(): void {
    if (this.lanes !== 4) throw new Error('wasm emitter: demote_f64x2_zero is an f32x4 instruction');
    this.c.simd(0x5e);
  }
  /** f64x2.promote_low_f32x4: the two low float32 lanes as float64 (exact); only on f64x2. */
  promote_low_f32x4(): void {
    if (this.lanes !== 2) throw new Error('wasm emitter: promote_low_f32x4 is an f64x2 instruction');
    this.c.simd(0x5f);
  }
}

// ---- functions -----------------------------------------------------------------------------------

/**
 * The body of one function: declare locals with {@link local}, then emit instructions in order.
 * Structured control (block, loop, if) takes a callback for the inside, so nesting in the emitting
 * code mirrors nesting in the module and every block is closed.
 */
export class FunctionBuilder {
  private readonly code = new Code();
  private readonly locals: ValType[] = [];
  private readonly paramCount: number;
  readonly i32: I32Ops;
  readonly f32: FloatOps;
  readonly f64: FloatOps;
  readonly v128: V128Ops;
  readonly f32x4: FloatVectorOps;
  readonly f64x2: FloatVectorOps;
  readonly i32x4: I32VectorOps;

  constructor(readonly params: readonly ValType[]) {
    this.paramCount = params.length;
    this.i32 = new I32Ops(this.code);
    this.f32 = new FloatOps(this.code, 4);
    this.f64 = new FloatOps(this.code, 8);
    this.v128 = new V128Ops(this.code);
    this.f32x4 = new FloatVectorOps(this.code, 4);
    this.f64x2 = new FloatVectorOps(this.code, 2);
    this.i32x4 = new I32VectorOps(this.code);
  }

  /** The parameters as locals. */
  paramLocals(): Local[] {
    return this.params.map((type, index) => ({ index, type }));
  }

  /** A new local of type `type` (zero-initialized, as WebAssembly defines). */
  local(type: ValType): Local {
    this.locals.push(type);
    return { index: this.paramCount + this.locals.length - 1, type };
  }

  get(l: Local): void { this.code.op(0x20, ...encodeU32(l.index)); }
  set(l: Local): void { this.code.op(0x21, ...encodeU32(l.index)); }
  tee(l: Local): void { this.code.op(0x22, ...encodeU32(l.index)); }

  /** local = local + delta (i32). */
  addTo(l: Local, delta: number | Local): void {
    this.get(l);
    this.push(delta);
    this.i32.add();
    this.set(l);
  }

  /** Pushes an i32 constant or the value of an i32 local. */
  push(v: number | Local): void {
    if (typeof v === 'number') this.i32.const(v);
    else this.get(v);
  }

  /** `block … end`: `br(depth)` to it continues after its end. */
  block(body: () => void): void {
    this.code.op(0x02, BLOCK_VOID);
    body();
    this.end();
  }

  /** `loop … end`: `br(depth)` to it goes back to its start. */
  loop(body: () => void): void {
    this.code.op(0x03, BLOCK_VOID);
    body();
    this.end();
  }

  /** `if … else … end`, on the i32 on top of the stack (non-zero: then). */
  ifElse(then: () => void, otherwise?: () => void): void {
    this.code.op(0x04, BLOCK_VOID);
    then();
    if (otherwise !== undefined) {
      this.code.op(0x05);
      otherwise();
    }
    this.end();
  }

  br(depth: number): void { this.code.op(0x0c, ...encodeU32(depth)); }
  br_if(depth: number): void { this.code.op(0x0d, ...encodeU32(depth)); }
  drop(): void { this.code.op(0x1a); }
  /**
   * memory.copy (bulk memory, WebAssembly 2.0): pops dst, src, byte count (pushed in that order)
   * and copies with memmove semantics (the ranges may overlap).
   */
  memoryCopy(): void { this.code.op(0xfc, ...encodeU32(10), 0, 0); }
  private end(): void { this.code.op(0x0b); }

  /**
   * `for (i = from; i < to; i += step) body()` over i32 values (signed compare):
   * block { i = from; loop { if (i >= to) break; body; i += step; continue } }.
   */
  forRange(i: Local, from: number | Local, to: number | Local, step: number | Local, body: () => void): void {
    this.push(from);
    this.set(i);
    this.block(() => {
      this.loop(() => {
        this.get(i);
        this.push(to);
        this.i32.ge_s();
        this.br_if(1);
        body();
        this.addTo(i, step);
        this.br(0);
      });
    });
  }

  /** The function's code entry: size, locals (one run per declared local), body, end. */
  encode(): number[] {
    const locals = vector(this.locals.map((t) => [1, VALTYPE_CODE[t]]));
    const body = [...locals, ...this.code.bytes, 0x0b];
    return [...encodeU32(body.length), ...body];
  }
}

// ---- the module ----------------------------------------------------------------------------------

interface FuncEntry {
  name: string;
  typeIndex: number;
  builder: FunctionBuilder;
}

interface MemoryImport {
  module: string;
  name: string;
  minPages: number;
  maxPages: number | null;
}

/** A module: one imported memory and exported functions, built in the order they are declared. */
export class ModuleBuilder {
  private readonly types: string[] = [];
  private readonly typeBytes: number[][] = [];
  private readonly funcs: FuncEntry[] = [];
  private memory: MemoryImport | null = null;

  /** Imports a linear memory (64 KiB pages), so the caller owns it and can grow it. */
  importMemory(module: string, name: string, minPages: number, maxPages: number | null = null): void {
    this.memory = { module, name, minPages, maxPages };
  }

  /**
   * Declares and exports a function `name(params) → results`; `body` emits its instructions,
   * receiving the builder and the parameters as locals. Returns its function index.
   */
  func(name: string, params: readonly ValType[], results: readonly ValType[], body: (f: FunctionBuilder, params: Local[]) => void): number {
    if (this.funcs.some((e) => e.name === name)) throw new Error(`wasm emitter: function '${name}' declared twice`);
    const builder = new FunctionBuilder(params);
    body(builder, builder.paramLocals());
    this.funcs.push({ name, typeIndex: this.typeIndex(params, results), builder });
    return this.funcs.length - 1;
  }

  /** The index of a function type, added on first use (identical signatures share one). */
  private typeIndex(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(',')}->${results.join(',')}`;
    const found = this.types.indexOf(key);
    if (found >= 0) return found;
    this.types.push(key);
    this.typeBytes.push([0x60, ...vector(params.map((t) => [VALTYPE_CODE[t]])), ...vector(results.map((t) => [VALTYPE_CODE[t]]))]);
    return this.types.length - 1;
  }

  /** The module's binary: magic, version, then the type, import, function, export and code sections. */
  bytes(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    out.push(...section(1, vector(this.typeBytes)));
    if (this.memory !== null) {
      const mem = this.memory;
      const limits = mem.maxPages === null ? [0x00, ...encodeU32(mem.minPages)] : [0x01, ...encodeU32(mem.minPages), ...encodeU32(mem.maxPages)];
      out.push(...section(2, vector([[...encodeName(mem.module), ...encodeName(mem.name), 0x02, ...limits]])));
    }
    out.push(...section(3, vector(this.funcs.map((f) => encodeU32(f.typeIndex)))));
    out.push(...section(7, vector(this.funcs.map((f, i) => [...encodeName(f.name), 0x00, ...encodeU32(i)]))));
    out.push(...section(10, vector(this.funcs.map((f) => f.builder.encode()))));
    return new Uint8Array(out);
  }
}
