import type { Tensor } from '../autograd/tensor.js';
import { Module } from './module.js';

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
