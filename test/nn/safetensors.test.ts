// nn.saveSafetensors / nn.loadSafetensors: exact round trips, the byte layout the format specifies,
// atomic writes (a failure or a crash never leaves a partial file under the target name), and one
// test per kind of corrupt file, each written by hand to a temp dir.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import {
  loadSafetensors, parseSafetensors, readSafetensors, saveSafetensors, serializeSafetensors, writeFileAtomic,
} from '../../src/nn/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgrad-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const tempPath = (name: string): string => join(dir, `${counter++}-${name}`);

/** Writes a file from a header (object or raw JSON text) and a data section, with an optional fake length. */
function craft(name: string, header: unknown, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): string {
  const json = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  const path = tempPath(name);
  writeFileSync(path, bytes);
  return path;
}

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

function headerOf(bytes: Uint8Array): Record<string, unknown> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
}

function sampleState(): Map<string, Tensor> {
  return new Map<string, Tensor>([
    ['0.weight', tensor([[0.1, -2.5, 3], [1e-30, 7e20, -0]], { dtype: 'float32' })],
    ['0.bias', tensor([Math.PI, -Math.E], { dtype: 'float64' })],
    ['1.running_mean', tensor([1, 2, 3], { dtype: 'float32' })],
    ['1.num_batches_tracked', tensor(new Float64Array([12345]), { shape: [] })],
    ['empty', tensor(new Float32Array(0), { shape: [0, 3] })],
    ['scalar', tensor(new Float64Array([-1.5]), { shape: [] })],
  ]);
}

describe('safetensors round trip', () => {
  it('gives back every tensor bit for bit, with shape, dtype and key order', () => {
    const path = tempPath('round.safetensors');
    const state = sampleState();
    saveSafetensors(path, state, { metadata: { format: 'pt', note: 'ü' } });
    const { tensors, metadata } = readSafetensors(path);
    expect(metadata).toEqual({ format: 'pt', note: 'ü' });
    expect([...tensors.keys()]).toEqual([...state.keys()]);
    for (const [key, t] of state) {
      const back = tensors.get(key)!;
      expect(back.shape, key).toEqual(t.shape);
      // I64 is read into float64; the float types keep their dtype.
      expect(back.dtype, key).toBe(key.endsWith('num_batches_tracked') ? 'int32' : t.dtype);
      expect(Array.from(back.toArray()), key).toEqual(Array.from(t.toArray()));
    }
    expect(Object.is(tensors.get('0.weight')!.toArray()[5], -0)).toBe(true);
  });

  it('writes the layout of the format: u64 LE header length (multiple of 8), JSON, packed LE data', () => {
    const bytes = serializeSafetensors(sampleState());
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = headerOf(bytes) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    expect(header['0.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['0.bias']).toEqual({ dtype: 'F64', shape: [2], data_offsets: [24, 40] });
    expect(header['1.num_batches_tracked']).toEqual({ dtype: 'I64', shape: [], data_offsets: [52, 60] });
    const data = new DataView(bytes.buffer, 8 + n);
    expect(data.getFloat32(4, true)).toBe(Math.fround(-2.5));
    expect(data.getFloat64(24, true)).toBe(Math.PI);
    expect(data.getBigInt64(52, true)).toBe(12345n);
    expect(bytes.length).toBe(8 + n + 68);
  });

  it('saves a non-contiguous view in row-major order of its logical shape', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]).transpose(0, 1);
    const back = parseSafetensors(serializeSafetensors({ t })).tensors.get('t')!;
    expect(back.shape).toEqual([3, 2]);
    expect(Array.from(back.toArray())).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('is deterministic (same state, same bytes)', () => {
    expect(Buffer.from(serializeSafetensors(sampleState())).equals(Buffer.from(serializeSafetensors(sampleState())))).toBe(true);
  });

  it('refuses a non-integer num_batches_tracked (it must be stored as I64) and writes nothing', () => {
    const path = tempPath('nbt.safetensors');
    expect(() => saveSafetensors(path, { 'bn.num_batches_tracked': tensor([1.5]) })).toThrow(/bn\.num_batches_tracked.*non-integer value 1\.5/);
    expect(existsSync(path)).toBe(false);
  });
});

describe('atomic writes', () => {
  const leftovers = (d: string): string[] => readdirSync(d).filter((f) => f.endsWith('.tmp'));

  it('a failure before the rename leaves the old file untouched and removes the temp file', () => {
    const sub = join(dir, 'atomic-1');
    mkdirSync(sub);
    const path = join(sub, 'model.safetensors');
    saveSafetensors(path, { w: tensor([1, 2, 3]) });
    const before = readFileSync(path);
    let sawTemp = false;
    expect(() =>
      writeFileAtomic(path, serializeSafetensors({ w: tensor([9, 9, 9, 9]) }), {
        beforeRename: (temp) => {
          sawTemp = existsSync(temp) && readFileSync(temp).length > 0;
          throw new Error('simulated crash');
        },
      }),
    ).toThrow('simulated crash');
    expect(sawTemp).toBe(true);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(leftovers(sub)).toEqual([]);
  });

  it('a failing rename (the target is a directory) removes the temp file', () => {
    const sub = join(dir, 'atomic-2');
    mkdirSync(join(sub, 'model.safetensors'), { recursive: true });
    writeFileSync(join(sub, 'model.safetensors', 'keep'), 'x');
    expect(() => saveSafetensors(join(sub, 'model.safetensors'), { w: tensor([1]) })).toThrow();
    expect(readdirSync(sub)).toEqual(['model.safetensors']);
    expect(readFileSync(join(sub, 'model.safetensors', 'keep'), 'utf8')).toBe('x');
  });

  it('a process killed while saving leaves under the target name a complete file (old or new)', async () => {
    const sub = join(dir, 'atomic-3');
    mkdirSync(sub);
    const target = join(sub, 'model.safetensors');
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../helpers/safetensors-crash-child.ts', import.meta.url)), target, '500000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolveSaved, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('saved')) resolveSaved();
      });
      child.on('exit', (code) => reject(new Error(`the child exited early with code ${code}`)));
    });
    await new Promise((r) => setTimeout(r, 250)); // let it run several saves, then kill it mid-stream
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const state = loadSafetensors(target);
    const fill = state.get('a.num_batches_tracked')!.item();
    expect([1, 2]).toContain(fill);
    const w = state.get('a.weight')!.toArray();
    expect(w.length).toBe(500000);
    expect(w.every((v) => v === fill)).toBe(true);
    // Whatever temp file the kill left behind (its process is gone) goes with the next save.
    saveSafetensors(target, { w: tensor([1]) });
    expect(leftovers(sub)).toEqual([]);
  });

  /** The id of a process that has exited (spawned and waited for). */
  const deadPid = (): number => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    expect(child.status).toBe(0);
    return child.pid!;
  };

  it('the next save of a target removes the temp files of dead processes, keeps those of live ones and of other targets', () => {
    const sub = join(dir, 'atomic-stale');
    mkdirSync(sub);
    const target = join(sub, 'x.safetensors');
    const dead = deadPid();
    const stale = [`.x.safetensors.${dead}.a1b2c3d4e5f6.tmp`, `.x.safetensors.${dead}.0123456789ab.tmp`];
    // process.ppid (the test runner) is alive; another target's temp file and a look-alike name stay.
    const kept = [`.x.safetensors.${process.ppid}.a1b2c3d4e5f6.tmp`, `.y.safetensors.${dead}.a1b2c3d4e5f6.tmp`, `.x.safetensors.${dead}.tmp`, 'x.safetensors.bak'];
    for (const name of [...stale, ...kept]) writeFileSync(join(sub, name), 'partial');
    saveSafetensors(target, { w: tensor([1, 2]) });
    expect(readdirSync(sub).sort()).toEqual([...kept, 'x.safetensors'].sort());
    expect(Array.from(loadSafetensors(target).get('w')!.toArray())).toEqual([1, 2]);
  });

  it('a process killed (-9) between writing its temp file and the rename: the next save removes that file', async () => {
    const sub = join(dir, 'atomic-killed');
    mkdirSync(sub);
    const target = join(sub, 'x.safetensors');
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../helpers/safetensors-stuck-child.ts', import.meta.url)), target], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const temp = await new Promise<string>((resolveTemp, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.endsWith('\n')) resolveTemp(out.trim());
      });
      child.on('exit', (code) => reject(new Error(`the child exited early with code ${code}`)));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(temp)).toBe(true);
    expect(temp).toContain(`.x.safetensors.${child.pid}.`);
    expect(existsSync(target)).toBe(false);
    saveSafetensors(target, { w: tensor([4]) });
    expect(existsSync(temp)).toBe(false);
    expect(readdirSync(sub)).toEqual(['x.safetensors']);
  });

  it('a save that fails names saveSafetensors and the target path, not only the temp file', () => {
    const target = join(dir, 'no-such-dir', 'model.safetensors');
    let error: Error | null = null;
    try {
      saveSafetensors(target, { w: tensor([1]) });
    } catch (e) {
      error = e as Error;
    }
    expect(error, 'saving should throw').not.toBeNull();
    expect(error!.message).toContain(`saveSafetensors: cannot save '${target}'`);
    expect(error!.message).toContain('ENOENT');
    expect(() => saveSafetensors('', { w: tensor([1]) })).toThrow(/saveSafetensors: path must be a non-empty string, got ""/);
    expect(() => saveSafetensors(undefined as unknown as string, { w: tensor([1]) })).toThrow(/saveSafetensors: path must be a non-empty string, got undefined/);
  });
});

describe('corrupt files: a clear error naming the file and the problem, never a tensor', () => {
  const okHeader = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const okData = f32Bytes([1, 2]);

  it('the well-formed base file loads (so each case below fails for its own reason)', () => {
    const t = loadSafetensors(craft('ok.safetensors', okHeader, okData)).get('w')!;
    expect(Array.from(t.toArray())).toEqual([1, 2]);
  });

  const cases: [string, () => string, RegExp][] = [
    ['shorter than the length field', () => { const p = tempPath('short'); writeFileSync(p, new Uint8Array(5)); return p; }, /5 bytes, fewer than the 8-byte header length/],
    ['header length beyond the file', () => craft('len', okHeader, okData, 1000n), /header length 1000 goes beyond the end of the file/],
    ['header length near 2^64', () => craft('len64', okHeader, okData, 0xffffffffffffff00n), /goes beyond the end of the file/],
    ['invalid JSON', () => craft('json', '{"w": {"dtype": "F32",', okData), /not valid JSON/],
    ['header not an object', () => craft('array', '[1, 2]'), /does not start with a JSON object/],
    ['invalid UTF-8', () => craft('utf8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /the header is not valid UTF-8/],
    ['unsupported dtype', () => craft('c64', { w: { dtype: 'C64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array(16)), /tensor 'w' has dtype C64, which tsgrad does not support/],
    ['I64 outside int32', () => craft('i64', { w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(new BigInt64Array([2147483648n]).buffer)), /tensor 'w' \(I64\) holds 2147483648, which is outside int32/],
    ['missing dtype', () => craft('nodtype', { w: { shape: [2], data_offsets: [0, 8] } }, okData), /tensor 'w' has no dtype/],
    ['negative shape', () => craft('shape', { w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, okData), /tensor 'w' has an invalid shape \[-2\]/],
    ['fractional shape', () => craft('shape2', { w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 8] } }, okData), /tensor 'w' has an invalid shape/],
    ['bad data_offsets', () => craft('offs', { w: { dtype: 'F32', shape: [2], data_offsets: [0] } }, okData), /tensor 'w' has invalid data_offsets \[0\]/],
    ['offsets beyond the data', () => craft('range', { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, okData), /tensor 'w' has data_offsets \[0, 16\] beyond the data section of 8 bytes/],
    ['truncated data', () => craft('trunc', okHeader, okData.subarray(0, 6)), /tensor 'w' has data_offsets \[0, 8\] beyond the data section of 6 bytes/],
    ['begin after end', () => craft('rev', { w: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, okData), /begin after end/],
    ['size disagrees with shape', () => craft('size', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, okData), /tensor 'w' has 8 bytes of data, but shape \[3\] of F32 needs 12/],
    ['size disagrees with dtype', () => craft('size2', { w: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, okData), /shape \[2\] of F64 needs 16/],
    [
      'overlapping tensors',
      () => craft('overlap', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32Bytes([1, 2, 3])),
      /tensor 'b' \(bytes 4–12\) overlaps tensor 'a' \(bytes 0–8\)/,
    ],
    [
      'a gap between tensors',
      () => craft('gap', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32Bytes([1, 2, 3])),
      /bytes 4–8 of the data section belong to no tensor \(before tensor 'b'\)/,
    ],
    ['trailing bytes', () => craft('trail', okHeader, f32Bytes([1, 2, 3])), /the tensors cover 8 bytes of data, but the file has 12/],
    ['entry not an object', () => craft('entry', { w: 3 }), /the entry of tensor 'w' is not an object/],
    // JSON.parse keeps the last of two equal keys; the file must be refused, naming the key.
    [
      'a tensor named twice (same bytes)',
      () => craft('dup1', '{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', okData),
      /the header names tensor 'w' twice/,
    ],
    [
      'a tensor named twice (the first entry would be dropped, its bytes orphaned)',
      () => craft('dup2', '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"v":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', okData),
      /the header names tensor 'w' twice/,
    ],
    [
      'a tensor named twice, once with a JSON escape',
      () => craft('dup3', '{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},\n "\\u0077" : {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}', okData),
      /the header names tensor 'w' twice/,
    ],
    ['__metadata__ twice', () => craft('dup4', `{"__metadata__": {"a": "1"}, "__metadata__": {"b": "2"}, ${JSON.stringify(okHeader).slice(1)}`, okData), /the header names __metadata__ twice/],
    [
      'a key repeated inside an entry',
      () => craft('dup5', '{"w": {"dtype": "F64", "shape": [2], "dtype": "F32", "data_offsets": [0, 8]}}', okData),
      /the header repeats the key 'dtype' inside 'w'/,
    ],
    ['metadata not strings', () => craft('meta', { __metadata__: { a: 1 }, ...okHeader }, okData), /__metadata__ value for 'a' is not a string/],
    [
      'I64 beyond 2^53',
      () => {
        const data = new Uint8Array(8);
        new DataView(data.buffer).setBigInt64(0, 2n ** 60n, true);
        return craft('i64', { n: { dtype: 'I64', shape: [], data_offsets: [0, 8] } }, data);
      },
      /tensor 'n' \(I64\) holds 1152921504606846976/,
    ],
  ];

  for (const [name, make, message] of cases) {
    it(name, () => {
      const path = make();
      let error: Error | null = null;
      try {
        loadSafetensors(path);
      } catch (e) {
        error = e as Error;
      }
      expect(error, 'loading should throw').not.toBeNull();
      expect(error!.message).toContain(path);
      expect(error!.message).toMatch(message);
    });
  }

  it('equal keys in different objects, and braces or quotes inside strings, are not duplicates', () => {
    const header = '{"__metadata__": {"note": "a \\"{w}\\": [1, 2]", "w": "x"}, "dtype": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}';
    const { tensors, metadata } = readSafetensors(craft('nodup', header, okData));
    expect([...tensors.keys()]).toEqual(['dtype', 'w']);
    expect(metadata).toEqual({ note: 'a "{w}": [1, 2]', w: 'x' });
  });

  it('a missing file is an error naming it', () => {
    const path = join(dir, 'does-not-exist.safetensors');
    expect(() => loadSafetensors(path)).toThrow(/cannot read '.*does-not-exist\.safetensors'/);
  });
});

describe('safetensors dtypes beyond float (issue 13)', () => {
  it('int32 and bool tensors round-trip as I32 and BOOL, bit for bit', () => {
    const state = { i: tensor([-2147483648, 0, 7, 2147483647], { dtype: 'int32' }), b: tensor([1, 0, 1], { dtype: 'bool' }) };
    const bytes = serializeSafetensors(state);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { dtype: string }>;
    expect(header.i!.dtype).toBe('I32');
    expect(header.b!.dtype).toBe('BOOL');
    const back = parseSafetensors(bytes).tensors;
    expect(back.get('i')!.dtype).toBe('int32');
    expect(Array.from(back.get('i')!.toArray())).toEqual([-2147483648, 0, 7, 2147483647]);
    expect(back.get('b')!.dtype).toBe('bool');
    expect(Array.from(back.get('b')!.toArray())).toEqual([1, 0, 1]);
  });

  it('reads I32, I64 (into int32), BOOL, U8, F16 and BF16 (into float32) with their exact values', () => {
    // Hand-encoded bytes: F16 0x3c00 = 1, 0xc000 = −2, 0x0001 = 2⁻²⁴ (subnormal), 0x7c00 = +Infinity;
    // BF16 0x3f80 = 1, 0xc040 = −3; BOOL byte 2 is true.
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00]).buffer);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer);
    const i64 = new Uint8Array(new BigInt64Array([-5n, 2147483647n]).buffer);
    const i32 = new Uint8Array(new Int32Array([-1, 9]).buffer);
    const data = new Uint8Array([...f16, ...bf16, ...i64, ...i32, 0, 2, 255, 3]);
    const file = craft('mixed', {
      h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
      bh: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
      l: { dtype: 'I64', shape: [2], data_offsets: [12, 28] },
      i: { dtype: 'I32', shape: [2], data_offsets: [28, 36] },
      b: { dtype: 'BOOL', shape: [2], data_offsets: [36, 38] },
      u: { dtype: 'U8', shape: [2], data_offsets: [38, 40] },
    }, data);
    const state = loadSafetensors(file);
    const read = (k: string): [string, number[]] => [state.get(k)!.dtype, Array.from(state.get(k)!.toArray())];
    expect(read('h')).toEqual(['float32', [1, -2, 2 ** -24, Infinity]]);
    expect(read('bh')).toEqual(['float32', [1, -3]]);
    expect(read('l')).toEqual(['int32', [-5, 2147483647]]);
    expect(read('i')).toEqual(['int32', [-1, 9]]);
    expect(read('b')).toEqual(['bool', [0, 1]]);
    expect(read('u')).toEqual(['float32', [255, 3]]);
  });
});

describe('errors name the function called', () => {
  it('serializeSafetensors says serializeSafetensors, saveSafetensors says saveSafetensors (the same checks)', () => {
    const bad = new Map([['__metadata__', tensor([1])]]);
    const notTensor = { w: [1, 2] } as unknown as Record<string, Tensor>;
    expect(() => serializeSafetensors(bad)).toThrow(/^serializeSafetensors: '__metadata__' is reserved and cannot name a tensor$/);
    expect(() => serializeSafetensors(notTensor)).toThrow(/^serializeSafetensors: the value of 'w' is not a Tensor$/);
    expect(() => serializeSafetensors(new Map(), { metadata: { a: 1 as never } })).toThrow(/^serializeSafetensors: metadata value for 'a' must be a string, got number$/);
    const target = tempPath('rejected.safetensors');
    expect(() => saveSafetensors(target, bad)).toThrow(/^saveSafetensors: '__metadata__' is reserved/);
    expect(existsSync(target)).toBe(false);
  });
});
