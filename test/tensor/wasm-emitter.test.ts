// The WebAssembly emitter (src/tensor/wasm/emitter.ts): LEB128 against the encodings worked out
// in the WebAssembly spec and Wikipedia's LEB128 article, and emitted modules that the engine
// validates and runs, checked against plain JavaScript computing the same.
import { describe, expect, it } from 'vitest';
import { ModuleBuilder, encodeS32, encodeU32 } from '../../src/tensor/wasm/emitter.js';
import { wasmApi, type WasmMemory } from '../../src/tensor/wasm/runtime.js';

const WebAssembly = wasmApi()!;

function instantiate(m: ModuleBuilder, memory: WasmMemory): Record<string, unknown> {
  const bytes = m.bytes();
  expect(WebAssembly.validate(bytes)).toBe(true);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
}

describe('LEB128', () => {
  it('encodes unsigned values as in the LEB128 article (624485 → e5 8e 26)', () => {
    expect(encodeU32(0)).toEqual([0x00]);
    expect(encodeU32(127)).toEqual([0x7f]);
    expect(encodeU32(128)).toEqual([0x80, 0x01]);
    expect(encodeU32(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(encodeU32(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('encodes signed values with the sign in the last byte (−123456 → c0 bb 78)', () => {
    expect(encodeS32(0)).toEqual([0x00]);
    expect(encodeS32(63)).toEqual([0x3f]);
    expect(encodeS32(64)).toEqual([0xc0, 0x00]);
    expect(encodeS32(-1)).toEqual([0x7f]);
    expect(encodeS32(-64)).toEqual([0x40]);
    expect(encodeS32(-65)).toEqual([0xbf, 0x7f]);
    expect(encodeS32(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(encodeS32(-0x80000000)).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });

  it('rejects values outside 32 bits with a clear error', () => {
    expect(() => encodeU32(-1)).toThrow(/not an unsigned 32-bit integer/);
    expect(() => encodeU32(2 ** 32)).toThrow(/not an unsigned 32-bit integer/);
    expect(() => encodeS32(2 ** 31)).toThrow(/not a signed 32-bit integer/);
    expect(() => encodeS32(1.5)).toThrow(/not a signed 32-bit integer/);
  });
});

describe('emitted modules', () => {
  it('a scalar loop over memory (the header example) sums like JavaScript in float32', () => {
    const m = new ModuleBuilder();
    m.importMemory('env', 'memory', 1);
    m.func('sum', ['i32', 'i32'], ['f32'], (f, [ptr, n]) => {
      const s = f.local('f32');
      const i = f.local('i32');
      f.forRange(i, 0, n!, 1, () => {
        f.get(s);
        f.get(ptr!); f.get(i); f.i32.const(2); f.i32.shl(); f.i32.add(); f.f32.load();
        f.f32.add(); f.set(s);
      });
      f.get(s);
    });
    const memory = new WebAssembly.Memory({ initial: 1 });
    const sum = instantiate(m, memory)['sum'] as (ptr: number, n: number) => number;
    const data = new Float32Array(memory.buffer, 64, 37);
    data.forEach((_, i) => { data[i] = Math.sin(i) * 3; });
    let expected = 0;
    for (const v of data) expected = Math.fround(expected + v);
    expect(sum(64, 37)).toBe(expected);
    expect(sum(64, 0)).toBe(0);
  });

  it('f32x4 and f64x2 lane arithmetic matches scalar JavaScript lane by lane', () => {
    const m = new ModuleBuilder();
    m.importMemory('env', 'memory', 1);
    // out[0..3] = (x·y + x − y) / y per f32 lane; out64[0..1] likewise per f64 lane, then min/max.
    for (const [name, vec, bytes] of [['lanes32', 'f32x4', 16], ['lanes64', 'f64x2', 16]] as const) {
      m.func(name, ['i32', 'i32', 'i32'], [], (f, [x, y, out]) => {
        const ops = vec === 'f32x4' ? f.f32x4 : f.f64x2;
        f.get(out!);
        f.get(x!); f.v128.load(); f.get(y!); f.v128.load(); ops.mul();
        f.get(x!); f.v128.load(); ops.add();
        f.get(y!); f.v128.load(); ops.sub();
        f.get(y!); f.v128.load(); ops.div();
        f.v128.store();
        f.get(out!);
        f.get(x!); f.v128.load(); f.get(y!); f.v128.load(); ops.min();
        f.v128.store(bytes);
        f.get(out!);
        f.get(x!); f.v128.load(); f.get(y!); f.v128.load(); ops.max();
        f.v128.store(2 * bytes);
      });
    }
    const memory = new WebAssembly.Memory({ initial: 1 });
    const exp = instantiate(m, memory);
    const xs = [1.5, -2.25, 1e-3, 7];
    const ys = [0.3, 4, -5.5, 1 / 3];
    const f32 = new Float32Array(memory.buffer);
    f32.set(xs, 0); f32.set(ys, 4);
    (exp['lanes32'] as (x: number, y: number, o: number) => void)(0, 16, 64);
    const fr = Math.fround;
    for (let l = 0; l < 4; l++) {
      const [x, y] = [fr(xs[l]!), fr(ys[l]!)];
      expect(f32[16 + l]).toBe(fr(fr(fr(fr(x * y) + x) - y) / y));
      expect(f32[20 + l]).toBe(Math.min(x, y));
      expect(f32[24 + l]).toBe(Math.max(x, y));
    }
    const f64 = new Float64Array(memory.buffer);
    f64.set(xs.slice(0, 2), 0); f64.set(ys.slice(0, 2), 2);
    (exp['lanes64'] as (x: number, y: number, o: number) => void)(0, 16, 64);
    for (let l = 0; l < 2; l++) {
      const [x, y] = [xs[l]!, ys[l]!];
      expect(f64[8 + l]).toBe((x * y + x - y) / y);
      expect(f64[10 + l]).toBe(Math.min(x, y));
      expect(f64[12 + l]).toBe(Math.max(x, y));
    }
  });

  it('constants, splats, lane extraction and if/else branch as written', () => {
    const m = new ModuleBuilder();
    m.func('pick', ['i32'], ['f64'], (f, [flag]) => {
      f.get(flag!);
      f.ifElse(() => {
        f.f64.const(0.1); f.f64x2.splat(); f.f64x2.extract_lane(1); f.f64.const(2); f.f64.mul();
        f.br(1); // return from the function's body block with the value on the stack
      }, () => {
        f.f32.const(0.1); f.f32x4.splat(); f.f32x4.extract_lane(3); f.drop();
      });
      f.i32.const(-123456); f.drop();
      f.f64.const(-1);
    });
    const exp = instantiate(m, new WebAssembly.Memory({ initial: 1 }));
    const pick = exp['pick'] as (flag: number) => number;
    expect(pick(1)).toBe(0.2);
    expect(pick(0)).toBe(-1);
  });

  it('i8x16.shuffle picks bytes of the two vectors as indexed, and rejects bad indices', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const m = new ModuleBuilder();
    m.importMemory('env', 'memory', 1);
    // out (at 32) = bytes [31, 0, 17, 2, …] of a (at 0) and b (at 16) taken as one 32-byte array.
    const picks = [31, 0, 17, 2, 16, 15, 8, 24, 1, 30, 3, 29, 4, 28, 5, 27];
    m.func('shuffle', [], [], (f) => {
      f.i32.const(32);
      f.i32.const(0); f.v128.load(0);
      f.i32.const(0); f.v128.load(16);
      f.v128.shuffle(picks);
      f.v128.store(0);
    });
    const run = instantiate(m, memory)['shuffle'] as () => void;
    const bytes = new Uint8Array(memory.buffer);
    for (let i = 0; i < 32; i++) bytes[i] = 100 + i;
    run();
    expect(Array.from(bytes.subarray(32, 48))).toEqual(picks.map((i) => 100 + i));
    const f = new ModuleBuilder();
    expect(() => f.func('bad', [], [], (b) => b.v128.shuffle([32, ...new Array<number>(15).fill(0)]))).toThrow(/16 byte indices in 0…31/);
    expect(() => f.func('short', [], [], (b) => b.v128.shuffle([0, 1]))).toThrow(/16 byte indices/);
  });

  it('declaring a function twice is an error naming it', () => {
    const m = new ModuleBuilder();
    m.func('f', [], [], () => undefined);
    expect(() => m.func('f', [], [], () => undefined)).toThrow(/function 'f' declared twice/);
  });
});
