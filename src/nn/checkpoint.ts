// Checkpoints: a model, an optimizer, a scheduler, the random stream and user metadata in one
// safetensors file, written atomically, loaded back all-or-nothing, so a resumed run continues bit
// for bit. Tensors: `model.<key>` (the state dict, PyTorch's names) and
// `optimizer.<param index>.<name>` (momentum buffers, moments); everything else is JSON under the
// `tsgrad.checkpoint` metadata key. Optimizer and scheduler are typed by what they can do
// (stateDict/loadStateDict), so nn/ does not depend on optim/.
import { Tensor } from '../autograd/tensor.js';
import { defaultGenerator, type Generator } from '../tensor/rng.js';
import type { Module } from './module.js';
import { readSafetensors, saveSafetensors } from './safetensors.js';

/** JSON values a checkpoint's `meta` may hold (numbers may be non-finite: they are encoded). */
export type CheckpointJson = null | boolean | number | string | CheckpointJson[] | { [key: string]: CheckpointJson };

/** What a checkpoint needs of an optimizer (tsgrad's optimizers all fit). */
export interface CheckpointOptimizer {
  /** The per-parameter state (tensors and numbers) and the groups' hyperparameters. */
  stateDict(): { state: Record<number, Record<string, Tensor | number | undefined>>; paramGroups: object[] };
  /** Restores a `stateDict()`; throws without changing anything when it does not fit. */
  loadStateDict(stateDict: never): void;
}

/** What a checkpoint needs of a learning-rate scheduler (tsgrad's schedulers all fit). */
export interface CheckpointScheduler {
  /** The scheduler's state (JSON-able). */
  stateDict(): object;
  /** Restores a `stateDict()`. */
  loadStateDict(stateDict: never): void;
}

/** What `saveCheckpoint` saves and `loadCheckpoint` restores. */
export interface CheckpointParts {
  /** The model: its state dict (parameters and buffers). */
  model: Module;
  /** The optimizer: its per-parameter state and hyperparameters. */
  optimizer?: CheckpointOptimizer;
  /** The learning-rate scheduler. */
  scheduler?: CheckpointScheduler;
  /** The random stream to save (default: the global one that `manualSeed` seeds). */
  generator?: Generator;
}

const META_KEY = 'tsgrad.checkpoint';
const FORMAT = 1;

interface CheckpointHeader {
  format: number;
  optimizer: { class: string; paramGroups: object[]; numbers: Record<string, Record<string, number>> } | null;
  scheduler: { class: string; state: object } | null;
  rng: number[];
  meta: CheckpointJson;
}

/**
 * Saves a training state to one safetensors file, atomically (a temporary file renamed over the
 * target: a crash leaves the old file or the new one, never a partial one). The model's tensors
 * keep PyTorch's state-dict names under `model.`.
 *
 * @example
 * ```ts
 * import { nn, optim } from 'tsgrad';
 * const model = new nn.Linear(2, 1);
 * const optimizer = new optim.Adam(model.parameters());
 * nn.saveCheckpoint('/tmp/run.safetensors', { model, optimizer }, { epoch: 3 });
 * ```
 */
export function saveCheckpoint(path: string, parts: CheckpointParts, meta: CheckpointJson = null): void {
  const where = 'saveCheckpoint';
  checkParts(parts, where);
  const tensors = new Map<string, Tensor>();
  for (const [key, t] of parts.model.stateDict()) tensors.set(`model.${key}`, t);
  let optimizer: CheckpointHeader['optimizer'] = null;
  if (parts.optimizer !== undefined) {
    const sd = parts.optimizer.stateDict();
    const numbers: Record<string, Record<string, number>> = {};
    for (const [index, state] of Object.entries(sd.state)) {
      for (const [name, value] of Object.entries(state)) {
        if (value instanceof Tensor) tensors.set(`optimizer.${index}.${name}`, value);
        else if (typeof value === 'number') (numbers[index] ??= {})[name] = value;
      }
    }
    optimizer = { class: className(parts.optimizer), paramGroups: sd.paramGroups, numbers };
  }
  const scheduler = parts.scheduler === undefined ? null : { class: className(parts.scheduler), state: parts.scheduler.stateDict() };
  const header: CheckpointHeader = { format: FORMAT, optimizer, scheduler, rng: (parts.generator ?? defaultGenerator).getState(), meta };
  saveSafetensors(path, tensors, { metadata: { [META_KEY]: encodeJson(header) } });
}

/**
 * Restores a `saveCheckpoint` file into the given model (and optimizer, scheduler, random stream);
 * returns the saved `meta`. All or nothing: a file that does not fit (another model, another
 * optimizer class, missing state) throws and leaves everything as it was.
 *
 * @example
 * ```ts
 * import { nn, optim } from 'tsgrad';
 * const model = new nn.Linear(2, 1);
 * const optimizer = new optim.Adam(model.parameters());
 * nn.saveCheckpoint('/tmp/run.safetensors', { model, optimizer }, { epoch: 3 });
 * const meta = nn.loadCheckpoint('/tmp/run.safetensors', { model, optimizer }); // { epoch: 3 }
 * ```
 */
export function loadCheckpoint(path: string, parts: CheckpointParts): CheckpointJson {
  const where = 'loadCheckpoint';
  checkParts(parts, where);
  const { tensors, metadata } = readSafetensors(path);
  const text = metadata[META_KEY];
  if (text === undefined) throw new Error(`${where}: '${path}' is a safetensors file but not a tsgrad checkpoint (no '${META_KEY}' metadata)`);
  const header = decodeJson(text, path) as unknown as CheckpointHeader;
  if (header.format !== FORMAT) throw new Error(`${where}: '${path}' has checkpoint format ${String(header.format)}; this tsgrad reads format ${FORMAT}`);
  checkMatch('optimizer', parts.optimizer, header.optimizer, path);
  checkMatch('scheduler', parts.scheduler, header.scheduler, path);

  const modelState = new Map<string, Tensor>();
  const optimizerState: Record<number, Record<string, Tensor | number>> = {};
  for (const [key, t] of tensors) {
    if (key.startsWith('model.')) modelState.set(key.slice('model.'.length), t);
    else if (key.startsWith('optimizer.')) {
      const [, index, name] = /^optimizer\.(\d+)\.(.+)$/.exec(key) ?? [];
      if (index === undefined || name === undefined) throw new Error(`${where}: '${path}' holds an unexpected tensor '${key}'`);
      (optimizerState[Number(index)] ??= {})[name] = t;
    }
  }
  for (const [index, numbers] of Object.entries(header.optimizer?.numbers ?? {})) Object.assign(optimizerState[Number(index)] ??= {}, numbers);

  // Snapshot, apply, and on any failure put everything back: nothing is ever half-loaded.
  const generator = parts.generator ?? defaultGenerator;
  const before = {
    model: new Map([...parts.model.stateDict()].map(([k, t]) => [k, new Tensor(t.array.copy())])),
    optimizer: parts.optimizer?.stateDict(),
    scheduler: parts.scheduler?.stateDict(),
    rng: generator.getState(),
  };
  try {
    parts.model.loadStateDict(modelState);
    if (parts.optimizer !== undefined) {
      parts.optimizer.loadStateDict({ state: optimizerState, paramGroups: header.optimizer!.paramGroups } as never);
    }
    if (parts.scheduler !== undefined) parts.scheduler.loadStateDict(header.scheduler!.state as never);
    generator.setState(header.rng);
  } catch (error) {
    parts.model.loadStateDict(before.model);
    if (parts.optimizer !== undefined) parts.optimizer.loadStateDict(before.optimizer as never);
    if (parts.scheduler !== undefined) parts.scheduler.loadStateDict(before.scheduler as never);
    generator.setState(before.rng);
    throw new Error(`${where}: '${path}' does not fit (nothing was loaded): ${(error as Error).message}`);
  }
  return header.meta;
}

function checkParts(parts: CheckpointParts, where: string): void {
  if (typeof parts !== 'object' || parts === null || typeof parts.model?.stateDict !== 'function') {
    throw new Error(`${where}: expected { model, optimizer?, scheduler? } with model an nn.Module`);
  }
}

function className(x: object): string {
  return x.constructor.name;
}

function checkMatch(what: string, given: object | undefined, saved: { class: string } | null, path: string): void {
  if (given !== undefined && saved === null) throw new Error(`loadCheckpoint: '${path}' holds no ${what} state, but an ${what} was given`);
  if (given !== undefined && saved !== null && className(given) !== saved.class) {
    throw new Error(`loadCheckpoint: '${path}' holds the state of a ${saved.class} ${what}, not of a ${className(given)} (nothing was loaded)`);
  }
}

/** JSON with non-finite numbers kept ({"$number": "Infinity"}), e.g. ReduceLROnPlateau's best. */
function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v));
}

function decodeJson(text: string, path: string): Record<string, unknown> {
  try {
    return JSON.parse(text, (_key, v: unknown) => {
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { $number?: unknown }).$number === 'string') {
        return Number((v as { $number: string }).$number);
      }
      return v;
    }) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`loadCheckpoint: '${path}' has unreadable checkpoint metadata: ${(error as Error).message}`);
  }
}
