/**
 * Weights files in the safetensors format (https://github.com/huggingface/safetensors), so a state
 * dict moves between tsgrad and PyTorch (or anything else that reads the format):
 *
 * ```
 * [8 bytes]  N, the header length: an unsigned 64-bit little-endian integer
 * [N bytes]  the header: UTF-8 JSON, {"__metadata__": {str: str}?, name: {dtype, shape, data_offsets}},
 *            padded with spaces to a multiple of 8 bytes
 * [rest]     the data: every tensor's elements, row-major, little-endian, at data_offsets [begin, end)
 *            relative to the start of this section; the tensors cover it exactly, without gaps
 * ```
 *
 * Dtypes: tsgrad writes float32 as `F32`, float64 as `F64`, int32 as `I32`, bool as `BOOL`, and
 * every key whose last part is `num_batches_tracked` as `I64` (how PyTorch stores it). It reads
 * `F32` → float32, `F64` → float64, `I32` and `I64` → int32 (an I64 value outside int32 is an error
 * naming the tensor), `BOOL` → bool, and `U8`, `F16`, `BF16` → float32 (exact: every such value is
 * a float32). Every other dtype is a clear error naming the tensor, and so is anything
 * inconsistent in a file.
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { Tensor } from '../autograd/tensor.js';
import { allocate, type DType } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { shapeString, sizeOf } from '../tensor/shape.js';
import type { StateDict } from './module.js';

/** The safetensors dtypes tsgrad reads (it writes F32 F64 I32 I64 BOOL). */
export type SafetensorsDtype = 'F32' | 'F64' | 'I32' | 'I64' | 'BOOL' | 'U8' | 'F16' | 'BF16';

const ITEM_SIZE: Record<SafetensorsDtype, number> = { F32: 4, F64: 8, I32: 4, I64: 8, BOOL: 1, U8: 1, F16: 2, BF16: 2 };

/** The tsgrad dtype each file dtype is read into. */
const READ_AS: Record<SafetensorsDtype, DType> = {
  F32: 'float32', F64: 'float64', I32: 'int32', I64: 'int32', BOOL: 'bool', U8: 'float32', F16: 'float32', BF16: 'float32',
};

/** The largest header accepted, as the reference implementation (100 MB): guards against garbage lengths. */
const MAX_HEADER_BYTES = 100_000_000;

/** Options of `saveSafetensors` / `serializeSafetensors`. */
export interface SaveSafetensorsOptions {
  /** Free-form string pairs stored under `__metadata__` (e.g. `{ format: 'pt' }`). */
  metadata?: Record<string, string>;
}

const SAVE_SAFETENSORS_OPTIONS: OptionNames<SaveSafetensorsOptions> = { metadata: true };

/** A safetensors file read back: its tensors (in file order) and its metadata. */
export interface SafetensorsContents {
  /** The tensors by name, in the order of the file's data. */
  tensors: StateDict;
  /** The `__metadata__` entries (empty when the file has none). */
  metadata: Record<string, string>;
}

/** How a key is stored: `num_batches_tracked` buffers as I64 (PyTorch's int64), the rest by dtype. */
function fileDtype(key: string, dtype: DType): SafetensorsDtype {
  const last = key.slice(key.lastIndexOf('.') + 1);
  if (last === 'num_batches_tracked') return 'I64';
  const byDtype: Record<DType, SafetensorsDtype> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };
  return byDtype[dtype];
}

/**
 * Encodes a state dict as the bytes of a safetensors file: tensors in the state dict's order, data
 * packed in that order, compact JSON header padded with spaces to 8 bytes. Deterministic: the same
 * state dict always gives the same bytes.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * const bytes = nn.serializeSafetensors(new Map([['w', tensor([1, 2])]]));
 * const back = nn.parseSafetensors(bytes).tensors.get('w'); // float32 [1, 2]
 * ```
 */
export function serializeSafetensors(state: StateDict | Record<string, Tensor>, options: SaveSafetensorsOptions = {}): Uint8Array {
  checkOptions(options, SAVE_SAFETENSORS_OPTIONS, 'serializeSafetensors');
  return encode(state, options, 'serializeSafetensors');
}

/** The bytes of a safetensors file; errors name `where`, the function the caller called. */
function encode(state: StateDict | Record<string, Tensor>, options: SaveSafetensorsOptions, where: string): Uint8Array {
  const entries = state instanceof Map ? [...state] : Object.entries(state);
  const header: Record<string, unknown> = {};
  if (options.metadata !== undefined) {
    for (const [k, v] of Object.entries(options.metadata)) {
      if (typeof v !== 'string') throw new Error(`${where}: metadata value for '${k}' must be a string, got ${typeof v}`);
    }
    header.__metadata__ = options.metadata;
  }
  let offset = 0;
  const plan: { key: string; array: NDArray; dtype: SafetensorsDtype; begin: number }[] = [];
  for (const [key, t] of entries) {
    if (key === '__metadata__') throw new Error(`${where}: '__metadata__' is reserved and cannot name a tensor`);
    if (!(t instanceof Tensor)) throw new Error(`${where}: the value of '${key}' is not a Tensor`);
    const dtype = fileDtype(key, t.dtype);
    const bytes = t.numel * ITEM_SIZE[dtype];
    header[key] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    plan.push({ key, array: t.array, dtype, begin: offset });
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  const dataStart = 8 + headerLength;
  for (const { key, array, dtype, begin } of plan) {
    const values = array.flat();
    let pos = dataStart + begin;
    if (dtype === 'F32') {
      for (let i = 0; i < values.length; i++, pos += 4) view.setFloat32(pos, values[i]!, true);
    } else if (dtype === 'F64') {
      for (let i = 0; i < values.length; i++, pos += 8) view.setFloat64(pos, values[i]!, true);
    } else if (dtype === 'I32') {
      for (let i = 0; i < values.length; i++, pos += 4) view.setInt32(pos, values[i]!, true);
    } else if (dtype === 'BOOL') {
      for (let i = 0; i < values.length; i++, pos += 1) view.setUint8(pos, values[i]!);
    } else {
      for (let i = 0; i < values.length; i++, pos += 8) {
        const v = values[i]!;
        if (!Number.isSafeInteger(v)) throw new Error(`${where}: '${key}' is stored as I64 but holds the non-integer value ${v}`);
        view.setBigInt64(pos, BigInt(v), true);
      }
    }
  }
  return out;
}

/**
 * Saves a state dict (e.g. `model.stateDict()`) as a safetensors file that PyTorch can load with
 * `safetensors.torch.load_file` (or by hand). The write is atomic: the bytes go to a temporary
 * file in the same directory, which is flushed to disk (fsync) and then renamed over `path`, so a
 * crash never leaves a half-written file under the target name; on an error the temporary file is
 * removed, an existing file at `path` is left as it was, and the error names `saveSafetensors` and
 * `path`. Temporary files that earlier saves of the same `path` left behind when their process was
 * killed (`.<name>.<pid>.<hex>.tmp`, the process gone) are removed first.
 *
 * @example
 * ```ts
 * import { nn } from 'tsgrad';
 * const model = new nn.Sequential(new nn.Linear(4, 2));
 * nn.saveSafetensors('model.safetensors', model.stateDict());
 * model.loadStateDict(nn.loadSafetensors('model.safetensors'));
 * ```
 */
export function saveSafetensors(path: string, state: StateDict | Record<string, Tensor>, options: SaveSafetensorsOptions = {}): void {
  // Before any file is touched (a bad call loses nothing), and under this function's name.
  checkOptions(options, SAVE_SAFETENSORS_OPTIONS, 'saveSafetensors');
  if (typeof path !== 'string' || path === '') {
    throw new Error(`saveSafetensors: path must be a non-empty string, got ${JSON.stringify(path) ?? String(path)}`);
  }
  const bytes = encode(state, options, 'saveSafetensors');
  try {
    writeFileAtomic(path, bytes);
  } catch (error) {
    // The underlying message names only the hidden temporary file (e.g. ENOSPC on
    // '.model.safetensors.123.ab12.tmp'): say which call and which target failed.
    throw new Error(`saveSafetensors: cannot save '${path}': ${(error as Error).message}`, { cause: error });
  }
}

/** Test hooks for `writeFileAtomic` (simulate a crash between writing and renaming). */
export interface AtomicWriteHooks {
  /** Called after the temporary file is written and synced, before the rename. */
  beforeRename?: (tempPath: string) => void;
}

/**
 * Writes `bytes` to `path` atomically: temporary file in the same directory (so the rename stays on
 * one file system), fsync, rename, then a best-effort fsync of the directory so the rename itself
 * is durable. The temporary file is removed if anything fails.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, hooks: AtomicWriteHooks = {}): void {
  const target = resolve(path);
  removeStaleTempFiles(target);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(temp, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    hooks.beforeRename?.(temp);
    renameSync(temp, target);
  } catch (error) {
    if (fd !== null) {
      try { closeSync(fd); } catch { /* already failing: report the original error */ }
    }
    try { unlinkSync(temp); } catch { /* it may not exist */ }
    throw error;
  }
  syncDirectory(dirname(target));
}

/** The names `writeFileAtomic` gives its temporary files for `target`: `.<name>.<pid>.<hex>.tmp`. */
function tempFilePattern(target: string): RegExp {
  const name = basename(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.${name}\\.(\\d+)\\.[0-9a-f]+\\.tmp$`);
}

/** True when a process with this id exists (also one of another user: EPERM means it exists). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files of earlier saves of `target` whose process is gone (killed between
 * creating the file and the rename), so repeated crashes do not pile up hidden copies of a model.
 * Files of live processes (a save running right now elsewhere) are kept. Best effort: a directory
 * that cannot be listed, or a file that another process removes first, is not an error.
 */
function removeStaleTempFiles(target: string): string[] {
  const dir = dirname(target);
  const pattern = tempFilePattern(target);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // Gone already (another save cleaned it up) or not ours to remove: leave it.
    }
  }
  return removed;
}

function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or sync a directory; the rename has happened either way.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Loads a safetensors file into a state dict (for `module.loadStateDict`), tensors in file order.
 * Everything is validated before a tensor is made: the header length against the file size, the
 * JSON (a key named twice, which JSON.parse would silently collapse, is an error), each entry's
 * dtype, shape and offsets, that byte sizes agree with shape × dtype, and that
 * the tensors cover the data section exactly without overlapping. A problem is an error naming the
 * file and the tensor, never a wrong tensor.
 *
 * @example
 * ```ts
 * import { nn } from 'tsgrad';
 * const state = nn.loadSafetensors('model.safetensors');
 * [...state.keys()]; // ['0.weight', '0.bias', …]
 * ```
 */
export function loadSafetensors(path: string): StateDict {
  return readSafetensors(path).tensors;
}

/**
 * Like `loadSafetensors`, also returning the `__metadata__` entries.
 *
 * @example
 * ```ts
 * import { nn } from 'tsgrad';
 * const { tensors, metadata } = nn.readSafetensors('model.safetensors');
 * ```
 */
export function readSafetensors(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`loadSafetensors: cannot read '${path}': ${(error as Error).message}`);
  }
  return parseSafetensors(bytes, path);
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Decodes the bytes of a safetensors file (validated as `loadSafetensors` describes). `source`
 * names the file in error messages.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * const bytes = nn.serializeSafetensors({ w: tensor([1, 2]) });
 * nn.parseSafetensors(bytes).tensors.get('w')!.toArray(); // Float32Array [1, 2]
 * ```
 */
export function parseSafetensors(bytes: Uint8Array, source = '<bytes>'): SafetensorsContents {
  const fail = (what: string): never => {
    throw new Error(`loadSafetensors: '${source}' is not a valid safetensors file: ${what}`);
  };
  if (bytes.length < 8) fail(`it has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) {
    fail(`the header length ${declared} goes beyond the end of the file (${bytes.length - 8} bytes after the length field)`);
  }
  const headerLength = Number(declared);
  if (headerLength > MAX_HEADER_BYTES) fail(`the header length ${headerLength} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  if (headerLength < 2 || bytes[8] !== 0x7b /* '{' */) fail('the header does not start with a JSON object');

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    return fail(`the header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  // JSON.parse keeps only the last of two equal keys: a file naming a tensor twice would load one of
  // them silently (or fail later on "bytes … belong to no tensor"). Look at the text itself.
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== null) {
    fail(duplicate.path.length === 0
      ? `the header names ${duplicate.key === '__metadata__' ? '__metadata__' : `tensor '${duplicate.key}'`} twice`
      : `the header repeats the key '${duplicate.key}' inside '${duplicate.path.join("' → '")}'`);
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ value for '${k}' is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    entries.push(parseEntry(name, raw, dataLength, fail));
  }

  // The tensors must tile the data section: sorted by start, each begins where the previous ends.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < covered) {
      fail(`tensor '${e.name}' (bytes ${e.begin}–${e.end}) overlaps tensor '${previous!.name}' (bytes ${previous!.begin}–${previous!.end})`);
    }
    if (e.begin > covered) {
      fail(`bytes ${covered}–${e.begin} of the data section belong to no tensor (before tensor '${e.name}')`);
    }
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength) {
    fail(`the tensors cover ${covered} bytes of data, but the file has ${dataLength} bytes after the header`);
  }

  const tensors: StateDict = new Map();
  for (const e of sorted) tensors.set(e.name, decodeTensor(e, view, dataStart, fail));
  return { tensors, metadata };
}

/**
 * The first key that appears twice in one object of a JSON text (already known to be valid JSON),
 * with the keys of the objects around it (empty at the top level); null when there is none. Keys
 * are compared decoded, so "a" and "\u0061" are the same key.
 */
function firstDuplicateKey(text: string): { key: string; path: string[] } | null {
  // One frame per open object or array: the keys seen so far (null for an array) and the object's key.
  const stack: { keys: Set<string> | null; name: string | null }[] = [];
  let pendingKey: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const value = JSON.parse(text.slice(i, end + 1)) as string;
      let next = end + 1;
      while (/\s/.test(text[next] ?? '')) next++;
      const frame = stack[stack.length - 1];
      if (text[next] === ':' && frame !== undefined && frame.keys !== null) {
        if (frame.keys.has(value)) {
          return { key: value, path: stack.slice(1).map((f) => f.name ?? '[…]') };
        }
        frame.keys.add(value);
        pendingKey = value;
      }
      i = end;
    } else if (ch === '{' || ch === '[') {
      stack.push({ keys: ch === '{' ? new Set() : null, name: pendingKey });
      pendingKey = null;
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',') {
      pendingKey = null;
    }
  }
  return null;
}

function parseEntry(name: string, raw: unknown, dataLength: number, fail: (what: string) => never): Entry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`the entry of tensor '${name}' is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string') return fail(`tensor '${name}' has no dtype string`);
  if (!(dtype in ITEM_SIZE)) {
    return fail(`tensor '${name}' has dtype ${dtype}, which tsgrad does not support (supported: ${Object.keys(ITEM_SIZE).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    return fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)} (expected a list of non-negative integers)`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)) {
    return fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end], non-negative integers)`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`tensor '${name}' has data_offsets [${begin}, ${end}] with begin after end`);
  if (end > dataLength) {
    fail(`tensor '${name}' has data_offsets [${begin}, ${end}] beyond the data section of ${dataLength} bytes`);
  }
  const d = dtype as SafetensorsDtype;
  const expected = sizeOf(shape as number[]) * ITEM_SIZE[d];
  if (end - begin !== expected) {
    fail(`tensor '${name}' has ${end - begin} bytes of data, but shape ${shapeString(shape as number[])} of ${d} needs ${expected}`);
  }
  return { name, dtype: d, shape: shape as number[], begin, end };
}

function decodeTensor(e: Entry, view: DataView, dataStart: number, fail: (what: string) => never): Tensor {
  const count = sizeOf(e.shape);
  const out = allocate(READ_AS[e.dtype], count);
  const size = ITEM_SIZE[e.dtype];
  const read = readers(view, e, fail);
  for (let i = 0, pos = dataStart + e.begin; i < count; i++, pos += size) out[i] = read(pos);
  return new Tensor(new NDArray(out, [...e.shape]));
}

/** Reads one element of the entry's file dtype at a byte position. */
function readers(view: DataView, e: Entry, fail: (what: string) => never): (pos: number) => number {
  switch (e.dtype) {
    case 'F32': return (pos) => view.getFloat32(pos, true);
    case 'F64': return (pos) => view.getFloat64(pos, true);
    case 'I32': return (pos) => view.getInt32(pos, true);
    case 'I64': return (pos) => {
      const v = view.getBigInt64(pos, true);
      if (v > 2147483647n || v < -2147483648n) fail(`tensor '${e.name}' (I64) holds ${v}, which is outside int32 (tsgrad reads I64 into int32)`);
      return Number(v);
    };
    case 'BOOL': return (pos) => (view.getUint8(pos) !== 0 ? 1 : 0);
    case 'U8': return (pos) => view.getUint8(pos);
    case 'F16': return (pos) => halfToNumber(view.getUint16(pos, true));
    // bfloat16 is the top half of a float32's bits.
    case 'BF16': return (pos) => new Float32Array(new Uint32Array([view.getUint16(pos, true) << 16]).buffer)[0]!;
  }
}

/** IEEE 754 binary16 bits → the number (exact: subnormals, ±Infinity and NaN included). */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
