import type { RemovableHandle } from '../autograd/hooks.js';
import { Tensor } from '../autograd/tensor.js';
import { assertDtype, type DType } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkFlag, checkOptions, type OptionNames } from '../tensor/options.js';
import { sameShape, shapeString } from '../tensor/shape.js';
import { describe } from './functional/args.js';

/**
 * A tensor that a Module trains: a leaf with `requiresGrad` on.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const w = new nn.Parameter(randn([3, 2]));
 * w.requiresGrad; // true
 * ```
 */
export class Parameter extends Tensor {
  constructor(value: Tensor | NDArray, requiresGrad = true) {
    checkFlag(requiresGrad, 'requiresGrad', 'Parameter');
    super(value instanceof Tensor ? value.array : value, { requiresGrad });
  }
}

/** Parameter and buffer values by PyTorch-style dotted name (`0.weight`, `1.running_mean`). */
export type StateDict = Map<string, Tensor>;

/** A forward pre-hook: sees the module and its inputs; may return replacement inputs. */
export type ForwardPreHook = (module: Module, inputs: Tensor[]) => Tensor | Tensor[] | void;

/** A forward hook: sees the module, its inputs and its output; may return a replacement output. */
export type ForwardHook = (module: Module, inputs: Tensor[], output: Tensor) => Tensor | void;

function addHook<H>(list: H[], hook: H, where: string): RemovableHandle {
  if (typeof hook !== 'function') throw new Error(`${where}: expected a function, got ${describe(hook)}`);
  list.push(hook);
  return {
    remove: () => {
      const i = list.indexOf(hook);
      if (i >= 0) list.splice(i, 1);
    },
  };
}

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Throw on missing or unexpected keys and on values that are not Tensors (default true, as PyTorch). */
  strict?: boolean;
}

const LOAD_STATE_DICT_OPTIONS: OptionNames<LoadStateDictOptions> = { strict: 'flag' };

/** What `loadStateDict` reports (with `strict: false`; a strict load throws instead). */
export interface LoadStateDictResult {
  /** Keys the module has that the state dict lacks (left unchanged). */
  missingKeys: string[];
  /** Keys of the state dict that the module does not have (ignored). */
  unexpectedKeys: string[];
}

/**
 * The base of every layer, as `torch.nn.Module`:
 * - **parameters** and **child modules** are found by assignment: any own property holding a
 *   `Parameter` or a `Module` is registered under the property's name, in assignment order
 *   (properties whose name starts with `_` are skipped — use that for references that are not
 *   children, such as a link to another layer). `registerParameter`/`registerModule` register
 *   under an explicit name (Sequential uses '0', '1', …).
 * - **buffers** (running statistics and other state that is saved but not trained) are registered
 *   explicitly with `registerBuffer`, under their PyTorch names (`running_mean`).
 *
 * @example
 * ```ts
 * import { nn, Tensor } from 'tsgrad';
 * class TwoLayer extends nn.Module {
 *   fc1 = new nn.Linear(4, 8);
 *   fc2 = new nn.Linear(8, 2);
 *   forward(x: Tensor): Tensor {
 *     return this.fc2.call(this.fc1.call(x).relu());
 *   }
 * }
 * const model = new TwoLayer();
 * [...model.stateDict().keys()]; // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 * ```
 */
export abstract class Module {
  /** Training mode (batch statistics, dropout on) or evaluation mode. */
  training = true;
  private readonly _explicitParameters = new Map<string, Parameter | null>();
  private readonly _explicitModules = new Map<string, Module>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _forwardPreHooks: ForwardPreHook[] = [];
  private readonly _forwardHooks: ForwardHook[] = [];

  /** The computation. Call modules through `call()` (the analogue of `module(x)`). */
  abstract forward(...inputs: Tensor[]): Tensor;

  /** Runs `forward`. */
  call(...inputs: Tensor[]): Tensor {
    if (this._forwardPreHooks.length === 0 && this._forwardHooks.length === 0) return this.forward(...inputs);
    let args = inputs;
    for (const hook of [...this._forwardPreHooks]) {
      const replaced: unknown = hook(this, args);
      if (replaced === undefined) continue;
      if (replaced instanceof Tensor) args = [replaced];
      else if (Array.isArray(replaced) && replaced.every((t) => t instanceof Tensor)) args = replaced as Tensor[];
      else throw new Error(`${this.constructor.name}: a forward pre-hook returned ${describe(replaced)}; return the inputs (a Tensor or an array of Tensors), or nothing`);
    }
    let out = this.forward(...args);
    for (const hook of [...this._forwardHooks]) {
      const replaced: unknown = hook(this, args, out);
      if (replaced === undefined) continue;
      if (!(replaced instanceof Tensor)) throw new Error(`${this.constructor.name}: a forward hook returned ${describe(replaced)}; return the output (a Tensor), or nothing`);
      out = replaced;
    }
    return out;
  }

  /**
   * Registers `hook(module, inputs)`, called before every `call` of this module; it may return
   * replacement inputs (a Tensor or an array). As PyTorch's `register_forward_pre_hook`.
   *
   * @example
   * ```ts
   * import { nn, ones } from 'tsgrad';
   * const layer = new nn.Linear(2, 1);
   * const handle = layer.registerForwardPreHook((_m, [x]) => x!.mul(0)); // zero the input
   * layer.call(ones([1, 2]));
   * handle.remove();
   * ```
   */
  registerForwardPreHook(hook: ForwardPreHook): RemovableHandle {
    return addHook(this._forwardPreHooks, hook, 'registerForwardPreHook');
  }

  /**
   * Registers `hook(module, inputs, output)`, called after every `call` of this module; it may
   * return a replacement output. As PyTorch's `register_forward_hook` (e.g. to record activations).
   *
   * @example
   * ```ts
   * import { nn, ones, type Tensor } from 'tsgrad';
   * const seen: Tensor[] = [];
   * const layer = new nn.Linear(2, 3);
   * const handle = layer.registerForwardHook((_m, _inputs, out) => { seen.push(out.detach()); });
   * layer.call(ones([1, 2]));
   * seen[0]!.shape; // [1, 3]
   * handle.remove();
   * ```
   */
  registerForwardHook(hook: ForwardHook): RemovableHandle {
    return addHook(this._forwardHooks, hook, 'registerForwardHook');
  }

  /**
   * Calls `fn` on every submodule (children first) and then on this module; returns this. As
   * PyTorch's `Module.apply`, e.g. for a custom initialisation.
   *
   * @example
   * ```ts
   * import { nn } from 'tsgrad';
   * const model = new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Linear(4, 1));
   * model.apply((m) => { if (m instanceof nn.Linear) nn.init.zeros(m.weight); });
   * ```
   */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Sets `requiresGrad` on every parameter (freezing with `false`); returns this. As PyTorch's
   * `Module.requires_grad_`.
   *
   * @example
   * ```ts
   * import { nn } from 'tsgrad';
   * const frozen = new nn.Linear(4, 2).requiresGrad_(false);
   * frozen.weight.requiresGrad; // false
   * ```
   */
  requiresGrad_(requiresGrad = true): this {
    if (typeof requiresGrad !== 'boolean') throw new Error(`${this.constructor.name}.requiresGrad_: expected a boolean, got ${describe(requiresGrad)}`);
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }


  /** Registers a parameter under `name` (null records an absent optional parameter). */
  registerParameter(name: string, param: Parameter | null): void {
    this._explicitParameters.set(name, param);
  }

  /** Registers a child module under `name`. */
  registerModule(name: string, module: Module): void {
    this._explicitModules.set(name, module);
  }

  /** Registers (or replaces) a buffer: state saved in the state dict but not trained. */
  registerBuffer(name: string, value: Tensor | null): void {
    this._buffers.set(name, value === null ? null : value.detach());
  }

  /** A registered buffer by name; throws if there is none. */
  getBuffer(name: string): Tensor {
    const b = this._buffers.get(name);
    if (b === undefined || b === null) throw new Error(`${this.constructor.name}: no buffer named '${name}'`);
    return b;
  }

  /** This module's own parameters (not its children's), by name. */
  ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [name, value] of Object.entries(this)) {
      if (!name.startsWith('_') && value instanceof Parameter) out.push([name, value]);
    }
    for (const [name, p] of this._explicitParameters) if (p !== null) out.push([name, p]);
    return out;
  }

  /** This module's direct children, by name. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [name, value] of Object.entries(this)) {
      if (!name.startsWith('_') && value instanceof Module) out.push([name, value]);
    }
    for (const entry of this._explicitModules) out.push(entry);
    return out;
  }

  /** The direct child modules, in registration order. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * This module and all its descendants, depth-first, with dotted names ('' for this one). A
   * module reachable by several paths is listed once, under the first (as PyTorch).
   */
  namedModules(prefix = '', seen: Set<Module> = new Set()): [string, Module][] {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) out.push(...child.namedModules(join(prefix, name), seen));
    return out;
  }

  /** This module and all its descendants, depth-first (each once). */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Every parameter of this module and its descendants, with dotted names (each once). */
  namedParameters(): [string, Parameter][] {
    const seen = new Set<Parameter>();
    const out: [string, Parameter][] = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, p] of module.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([join(prefix, name), p]);
      }
    }
    return out;
  }

  /** Every parameter of this module and its descendants (each once) — what an optimizer takes. */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer of this module and its descendants, with dotted names. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, b] of module._buffers) if (b !== null) out.push([join(prefix, name), b]);
    }
    return out;
  }

  /**
   * Every buffer (running statistics and other saved, untrained state) of this module and its
   * descendants.
   */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    // As PyTorch ("training mode is expected to be boolean"): train('eval') would train.
    checkFlag(mode, 'mode', `${this.constructor.name}.train`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Sets evaluation mode (same as `train(false)`). */
  eval(): this {
    return this.train(false);
  }

  /**
   * Converts every parameter and buffer to `dtype` in place (PyTorch's `module.to(dtype)`,
   * `.double()`, `.float()`): the Parameter objects stay the same, so an optimizer built before
   * still holds them; their gradients are dropped.
   *
   * @example
   * ```ts
   * import { nn } from 'tsgrad';
   * const layer = new nn.Linear(3, 2).to('float64');
   * layer.weight.dtype; // 'float64'
   * ```
   */
  to(dtype: DType): this {
    assertDtype(dtype, `${this.constructor.name}.to`);
    // As PyTorch's Module.to: parameters must stay floating point (they carry gradients).
    if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`${this.constructor.name}.to: modules take only float dtypes ('float32' or 'float64'), got '${dtype}'`);
    for (const p of this.parameters()) {
      if (p.dtype !== dtype) p.array = p.array.astype(dtype);
      p.grad = null;
    }
    for (const b of this.buffers()) if (b.dtype !== dtype) b.array = b.array.astype(dtype);
    return this;
  }

  /**
   * The layer's settings for `toString()` (PyTorch's `extra_repr`), e.g. `in=4, out=2, bias=true`.
   * Layers override it; the default is empty.
   */
  extraRepr(): string {
    return '';
  }

  /**
   * A PyTorch-style description: the class name with `extraRepr()`, and the children indented
   * below it, e.g. `Sequential(\n  (0): Linear(inFeatures=4, outFeatures=2, bias=true)\n)`.
   */
  toString(): string {
    const children = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(([name, m]) => `  (${name}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}${this.extraRepr() === '' ? '' : ','}\n${lines.join('\n')}\n)`;
  }

  /** Drops every parameter's gradient (sets it to null, as PyTorch's default set_to_none). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Parameters and buffers by PyTorch key, in PyTorch's order (a module's parameters, then its
   * buffers, then its children). The tensors share storage with the module.
   */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    const visit = (module: Module, prefix: string): void => {
      for (const [name, p] of module.ownParameters()) out.set(join(prefix, name), p.detach());
      for (const [name, b] of module._buffers) if (b !== null) out.set(join(prefix, name), b);
      for (const [name, child] of module.namedChildren()) visit(child, join(prefix, name));
    };
    visit(this, '');
    return out;
  }

  /**
   * Copies values from `state` into this module's parameters and buffers (converting dtype).
   * Shape mismatches always throw; with `strict` (the default) missing and unexpected keys throw
   * too, and so does a value that is not a Tensor (`null` included). The error lists every problem
   * at once. Nothing is written unless every check passes.
   */
  loadStateDict(state: StateDict | Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    checkOptions(options, LOAD_STATE_DICT_OPTIONS, 'loadStateDict');
    const strict = options.strict ?? true;
    if (!(state instanceof Map) && (typeof state !== 'object' || state === null || Array.isArray(state))) {
      throw new Error(`loadStateDict: expected a state dict (a Map or an object of Tensors, e.g. from stateDict() or loadSafetensors()), got ${describe(state)}`);
    }
    const given: Map<string, unknown> = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !given.has(k));
    const unexpectedKeys = [...given.keys()].filter((k) => !own.has(k));
    // Every check runs before the first write, so a bad state dict leaves the module as it was.
    const problems: string[] = [];
    for (const [key, target] of own) {
      if (!given.has(key)) continue;
      const source = given.get(key);
      if (!(source instanceof Tensor)) {
        problems.push(`  the value of ${key} is not a Tensor: got ${describe(source)}`);
      } else if (!sameShape(source.shape, target.shape)) {
        problems.push(`  size mismatch for ${key}: the state dict has shape ${shapeString(source.shape)}, the model has ${shapeString(target.shape)}`);
      } else if (!target.array.isContiguous()) {
        problems.push(`  ${key} is not contiguous in the model`);
      }
    }
    if (strict && missingKeys.length > 0) problems.push(`  missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length > 0) problems.push(`  unexpected keys: ${unexpectedKeys.join(', ')}`);
    if (problems.length > 0) {
      throw new Error(`loadStateDict: error(s) loading state dict into ${this.constructor.name} (nothing was loaded):\n${problems.join('\n')}`);
    }
    for (const [key, target] of own) {
      const source = given.get(key);
      if (!(source instanceof Tensor)) continue;
      const values = source.array.astype(target.dtype).flat();
      const dst = target.array;
      dst.data.set(values, dst.offset);
      target.markModified();
    }
    return { missingKeys, unexpectedKeys };
  }
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

