import type { Tensor } from '../autograd/tensor.js';
import { Module, Parameter } from './module.js';

/**
 * The hook through which a layer learns its place in a `Sequential`. After registering its
 * children ('0', '1', …), `Sequential`'s constructor calls `attachToSequence(children, index)` on
 * every child that has the method, once, with the full list of children (in order) and that
 * child's index in it. A layer that needs to know its neighbours — Batch Kalman Normalization links
 * each normalization layer to the previous one of its kind in the chain — implements it; it must
 * keep such links in properties whose names start with `_`, so the neighbours are not registered
 * as its children (and do not appear twice in the state dict).
 *
 * @example
 * ```ts
 * import { nn, Tensor } from 'tsgrad';
 * class Tagged extends nn.Module implements nn.SequenceAware {
 *   _position = -1;
 *   attachToSequence(_modules: readonly nn.Module[], index: number): void {
 *     this._position = index;
 *   }
 *   forward(x: Tensor): Tensor { return x; }
 * }
 * const t = new Tagged();
 * new nn.Sequential(new nn.ReLU(), t);
 * t._position; // 1
 * ```
 */
export interface SequenceAware {
  /** Called by `Sequential` with all its modules and this module's index in them. */
  attachToSequence(modules: readonly Module[], index: number): void;
}

/**
 * Whether a module implements the `SequenceAware` hook.
 *
 * @example
 * ```ts
 * import { nn } from 'tsgrad';
 * nn.isSequenceAware(new nn.ReLU()); // false
 * ```
 */
export function isSequenceAware(module: Module): module is Module & SequenceAware {
  return typeof (module as Partial<SequenceAware>).attachToSequence === 'function';
}

/**
 * Modules applied one after another, as `torch.nn.Sequential`: children are registered as '0',
 * '1', …, so the state-dict keys are PyTorch's (`0.weight`, `1.running_mean`). After registering
 * them, the constructor calls the `SequenceAware` hook of every child that has one.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
 * const y = model.call(randn([5, 4])); // shape [5, 2]
 * model.at(-1);                        // the last Linear
 * ```
 */
export class Sequential extends Module {
  private readonly _layers: readonly Module[];

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new Error(`Sequential: argument ${i} is not a Module`);
      this.registerModule(String(i), m);
    });
    this._layers = Object.freeze([...modules]);
    this._layers.forEach((m, i) => {
      if (isSequenceAware(m)) m.attachToSequence(this._layers, i);
    });
  }

  /** The number of children. */
  get length(): number {
    return this._layers.length;
  }

  /** The child at `index` (negative counts from the end). */
  at(index: number): Module {
    const i = index < 0 ? index + this._layers.length : index;
    const m = this._layers[i];
    if (!Number.isInteger(index) || m === undefined) {
      throw new Error(`Sequential.at: index ${index} is out of range for a Sequential of ${this._layers.length} modules`);
    }
    return m;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this._layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let out = x;
    for (const m of this._layers) out = m.call(out);
    return out;
  }
}

/**
 * A list of modules registered as children ('0', '1', …), as `torch.nn.ModuleList`: use it when a
 * module holds a variable number of layers and runs them in its own `forward`. It is not callable.
 *
 * @example
 * ```ts
 * import { nn, Tensor } from 'tsgrad';
 * class Tower extends nn.Module {
 *   layers = new nn.ModuleList([1, 2, 3].map(() => new nn.Linear(8, 8)));
 *   forward(x: Tensor): Tensor {
 *     for (const layer of this.layers) x = layer.call(x).relu();
 *     return x;
 *   }
 * }
 * [...new Tower().stateDict().keys()][0]; // 'layers.0.weight'
 * ```
 */
export class ModuleList extends Module {
  private readonly _items: Module[] = [];

  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Adds a module at the end (registered under the next index). Returns this list. */
  append(module: Module): this {
    if (!(module instanceof Module)) throw new Error(`ModuleList.append: argument is not a Module`);
    this.registerModule(String(this._items.length), module);
    this._items.push(module);
    return this;
  }

  /** Appends every module of `modules`. */
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** The number of modules held. */
  get length(): number {
    return this._items.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const i = index < 0 ? index + this._items.length : index;
    const m = this._items[i];
    if (!Number.isInteger(index) || m === undefined) {
      throw new Error(`ModuleList.at: index ${index} is out of range for a ModuleList of ${this._items.length} modules`);
    }
    return m;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this._items[Symbol.iterator]();
  }

  forward(): Tensor {
    throw new Error('ModuleList is not callable: iterate over it in the forward of the module that holds it');
  }
}

/**
 * Modules under string keys, registered as children, as `torch.nn.ModuleDict`: state-dict keys are
 * `key.weight`. It is not callable.
 *
 * @example
 * ```ts
 * import { nn, zeros } from 'tsgrad';
 * const heads = new nn.ModuleDict({ digit: new nn.Linear(8, 10), parity: new nn.Linear(8, 2) });
 * heads.get('parity').call(zeros([1, 8])).shape; // [1, 2]
 * [...heads.stateDict().keys()]; // ['digit.weight', 'digit.bias', 'parity.weight', 'parity.bias']
 * ```
 */
export class ModuleDict extends Module {
  private readonly _entries = new Map<string, Module>();

  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    const pairs = Symbol.iterator in Object(modules) ? (modules as Iterable<[string, Module]>) : Object.entries(modules);
    for (const [key, m] of pairs) this.set(key, m);
  }

  /** Adds (or replaces) the module under `key`. Returns this dict. */
  set(key: string, module: Module): this {
    if (typeof key !== 'string' || key === '' || key.includes('.')) {
      throw new Error(`ModuleDict.set: the key must be a non-empty string without '.', got ${JSON.stringify(key)}`);
    }
    if (!(module instanceof Module)) throw new Error(`ModuleDict.set: the value for '${key}' is not a Module`);
    this.registerModule(key, module);
    this._entries.set(key, module);
    return this;
  }

  /** The module under `key` (a clear error when there is none). */
  get(key: string): Module {
    const m = this._entries.get(key);
    if (m === undefined) throw new Error(`ModuleDict.get: no module under '${key}' (keys: ${[...this._entries.keys()].join(', ')})`);
    return m;
  }

  /** Whether a module is registered under `key`. */
  has(key: string): boolean {
    return this._entries.has(key);
  }

  /** The number of modules held. */
  get size(): number {
    return this._entries.size;
  }

  /** The keys, in insertion order. */
  keys(): string[] {
    return [...this._entries.keys()];
  }

  /** The [key, module] pairs, in insertion order. */
  entries(): [string, Module][] {
    return [...this._entries.entries()];
  }

  forward(): Tensor {
    throw new Error('ModuleDict is not callable: call its modules in the forward of the module that holds it');
  }
}

/**
 * Parameters registered as '0', '1', …, as `torch.nn.ParameterList`. It is not callable.
 *
 * @example
 * ```ts
 * import { nn, zeros } from 'tsgrad';
 * const scales = new nn.ParameterList([new nn.Parameter(zeros([3])), new nn.Parameter(zeros([3]))]);
 * scales.length;                     // 2
 * [...scales.stateDict().keys()];    // ['0', '1']
 * ```
 */
export class ParameterList extends Module {
  private readonly _items: Parameter[] = [];

  constructor(params: Iterable<Parameter> = []) {
    super();
    for (const p of params) this.append(p);
  }

  /** Adds a parameter at the end (registered under the next index). Returns this list. */
  append(param: Parameter): this {
    if (!(param instanceof Parameter)) throw new Error('ParameterList.append: argument is not a Parameter (wrap a tensor in new nn.Parameter(t))');
    this.registerParameter(String(this._items.length), param);
    this._items.push(param);
    return this;
  }

  /** The number of parameters held. */
  get length(): number {
    return this._items.length;
  }

  /** The parameter at `index` (negative counts from the end). */
  at(index: number): Parameter {
    const i = index < 0 ? index + this._items.length : index;
    const p = this._items[i];
    if (!Number.isInteger(index) || p === undefined) {
      throw new Error(`ParameterList.at: index ${index} is out of range for a ParameterList of ${this._items.length} parameters`);
    }
    return p;
  }

  [Symbol.iterator](): Iterator<Parameter> {
    return this._items[Symbol.iterator]();
  }

  forward(): Tensor {
    throw new Error('ParameterList is not callable: use its parameters in the forward of the module that holds it');
  }
}
