/**
 * The optimizer base class, shaped like `torch.optim.Optimizer`: parameter groups (each with its own
 * hyperparameters), per-parameter state, `zeroGrad`, `step`, and a state dict that restores a run
 * exactly. Subclasses implement one update for one parameter; the base walks the groups, skips
 * parameters whose gradient is null, and checks that every parameter can be updated in place.
 *
 * NOTE: parameters are updated IN PLACE in their storage (`param.array.data`), as PyTorch does, so
 * views and modules holding the same tensor see the new values. That needs leaf tensors laid out
 * contiguously; anything else is a clear error rather than a silent copy nobody would see.
 */
import { noGrad, enableGrad } from '../autograd/grad-mode.js';
import { Tensor } from '../autograd/tensor.js';
import type { Storage } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkFlag, checkOptions, type OptionNames } from '../tensor/options.js';
import { sameShape, shapeString } from '../tensor/shape.js';

/** The hyperparameters every optimizer's groups have. */
export interface BaseHyper {
  /** The learning rate (schedulers change it between steps). */
  lr: number;
}

/**
 * One parameter group: its tensors and its (fully resolved) hyperparameters. `initialLr` is set by
 * the first LR scheduler attached to the optimizer, as PyTorch's `initial_lr`.
 */
export type ParamGroup<H> = H & { params: Tensor[]; initialLr?: number };

/** A group as the user passes it: tensors plus the hyperparameters that differ from the defaults. */
export type ParamGroupInput<H> = Partial<H> & { params: Iterable<Tensor> };

/** What optimizers accept: tensors (one group), or a list of groups with per-group overrides. */
export type ParamsInput<H> = Iterable<Tensor> | readonly ParamGroupInput<H>[];

/** Per-parameter optimizer state: tensors (moment buffers) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number | undefined>;

/**
 * A snapshot of an optimizer: its per-parameter state keyed by the parameter's index (counted over
 * all groups in order, as in PyTorch) and its groups' hyperparameters with `params` as those
 * indices. Tensors in it are copies: later steps do not change a saved state dict.
 */
export interface OptimizerStateDict<H, S extends ParamState> {
  /** Each parameter's state (momentum buffers, Adam's moments), by index over all groups. */
  state: Record<number, S>;
  /** Each group's hyperparameters, with `params` as parameter indices. */
  paramGroups: (H & { params: number[]; initialLr?: number })[];
}

/**
 * The base of `SGD`, `Adam`, `AdamW`, `RMSprop` and `Adagrad`. `H` is a group's hyperparameters, `S` one parameter's state.
 *
 * @example
 * ```ts
 * import { optim, tensor } from 'tsgrad';
 * const w = tensor([1, 2], { requiresGrad: true });
 * const opt = new optim.SGD([w], { lr: 0.1 });
 * w.mul(w).sum().backward();
 * opt.step();       // w ← w − 0.1 · 2w
 * opt.zeroGrad();   // w.grad = null
 * ```
 */
export abstract class Optimizer<H extends BaseHyper = BaseHyper, S extends ParamState = ParamState> {
  /** The groups, in order. Their hyperparameters may be changed between steps (schedulers do). */
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state, created on a parameter's first update. */
  readonly state = new Map<Tensor, S>();
  /** The hyperparameters a group gets when it does not set them. */
  readonly defaults: Partial<H>;
  /** The class name used in error messages (`SGD`, `Adam`, …). */
  protected abstract readonly name: string;

  /**
   * `defaults` may leave out hyperparameters that every group then has to give (PyTorch's
   * "required", e.g. SGD's lr); `options` (the user's) may only hold hyperparameter names.
   * Subclasses call `addParams(params)` at the end of their constructor, once `name` is set.
   */
  protected constructor(defaults: Partial<H>, options: object, name: string) {
    this.defaults = defaults;
    // tsgrad's optimizers have checked `options` already, before reading them; this is for subclasses
    // written elsewhere.
    checkOptions<Record<string, unknown>>(options as Record<string, unknown>, this.hyperNames([]), name);
  }

  /** The hyperparameter names (from the defaults, and lr) plus `extra`, for `checkOptions`. */
  private hyperNames(extra: readonly string[]): OptionNames<Record<string, unknown>> {
    const names: Record<string, true> = {};
    for (const key of [...Object.keys(this.defaults), 'lr', ...extra]) names[key] = true;
    return names;
  }

  /** Splits the constructor's `params` into groups and adds them. */
  protected addParams(params: ParamsInput<H>): void {
    if (params instanceof Tensor || params === null || typeof params !== 'object' || !(Symbol.iterator in params)) {
      throw new Error(`${this.name}: params must be an iterable of Tensors or an array of { params, …options } groups, got ${describe(params)}`);
    }
    const items: unknown[] = [...(params as Iterable<unknown>)];
    if (items.length === 0) throw new Error(`${this.name}: got an empty parameter list`);
    if (items.every((p) => p instanceof Tensor)) {
      this.addParamGroup({ params: items as Tensor[] } as unknown as ParamGroupInput<H>);
    } else if (items.every((g) => !(g instanceof Tensor) && typeof g === 'object' && g !== null && 'params' in g)) {
      for (const g of items as ParamGroupInput<H>[]) this.addParamGroup(g);
    } else {
      throw new Error(`${this.name}: params must be all Tensors or all { params, …options } groups, not a mix`);
    }
  }

  /**
   * Adds a group (for example layers unfrozen during fine-tuning). Missing hyperparameters come
   * from the defaults; a parameter may belong to one group only.
   *
   * @example
   * ```ts
   * import { optim, zeros } from 'tsgrad';
   * const a = zeros([2], { requiresGrad: true });
   * const b = zeros([2], { requiresGrad: true });
   * const opt = new optim.SGD([a], { lr: 0.1 });
   * opt.addParamGroup({ params: [b], lr: 0.01 });
   * ```
   */
  addParamGroup(group: ParamGroupInput<H>): void {
    const where = `${this.name}: parameter group ${this.paramGroups.length}`;
    if (typeof group !== 'object' || group === null || !('params' in group)) {
      throw new Error(`${where} must be an object { params, …options }, got ${describe(group)}`);
    }
    checkOptions<Record<string, unknown>>(group as Record<string, unknown>, this.hyperNames(['params', 'initialLr']), where);
    const raw = group.params;
    const params: unknown[] = raw instanceof Tensor ? [raw] : [...raw];
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new Error(`${where}: params[${i}] is not a Tensor (${describe(p)})`);
      if (!p.isLeaf) {
        throw new Error(`${where}: params[${i}] is not a leaf tensor (it was computed by an op); optimizers update leaves in place — pass the tensor created with requiresGrad, or its detach()`);
      }
      if (seen.has(p)) throw new Error(`${where}: params[${i}] appears more than once (a parameter may be in one group only, once)`);
      seen.add(p);
    });
    const resolved = { ...this.defaults, ...withoutUndefined(group), params } as ParamGroup<H>;
    if (typeof resolved.lr !== 'number') {
      throw new Error(`${where} has no lr: pass { lr } in the options or in the group`);
    }
    this.validateHyper(resolved, where);
    this.paramGroups.push(resolved);
  }

  /**
   * Clears the gradients of all parameters: sets them to null (PyTorch's default `set_to_none`), or
   * to fresh zeros with `setToNone = false`.
   *
   * @example
   * ```ts
   * opt.zeroGrad(); // before the next forward/backward
   * ```
   */
  zeroGrad(setToNone = true): void {
    checkFlag(setToNone, 'setToNone', `${this.name}.zeroGrad`);
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        p.grad = setToNone ? null : new Tensor(NDArray.zeros(p.shape, p.dtype));
      }
    }
  }

  /**
   * Updates every parameter that has a gradient (parameters with `grad === null` are skipped and
   * keep their state), under `noGrad`, in place. With a `closure` (which recomputes the loss and
   * calls backward), calls it first with gradients on and returns its value.
   *
   * @example
   * ```ts
   * loss.backward();
   * opt.step();
   * ```
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    const result = closure === undefined ? undefined : enableGrad(closure);
    noGrad(() => {
      let index = 0;
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const i = index++;
          if (p.grad === null) continue;
          // Built only for an error message (a string per parameter per step measurably costs).
          const where = (): string => `${this.name}.step: parameter ${i} (shape ${shapeString(p.shape)})`;
          const data = paramStorage(p, where);
          const grad = gradStorage(p, where);
          let state = this.state.get(p);
          if (state === undefined) {
            state = this.initState(p, group);
            this.state.set(p, state);
          }
          this.update(p, data, grad, state, group);
          p.markModified(); // a backward that saved p must not silently use the new values
        }
      }
    });
    return result;
  }

  /**
   * A snapshot of the optimizer (state tensors are copied), for `loadStateDict` on an optimizer
   * built over the same parameters in the same order.
   *
   * @example
   * ```ts
   * const saved = opt.stateDict();
   * // … later, a fresh optimizer over the same model:
   * opt2.loadStateDict(saved); // continues exactly where opt was
   * ```
   */
  stateDict(): OptimizerStateDict<H, S> {
    const state: Record<number, S> = {};
    const paramGroups: (H & { params: number[]; initialLr?: number })[] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const ids: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p);
        if (s !== undefined) state[index] = copyState(s, null);
        ids.push(index++);
      }
      paramGroups.push({ ...copyHyper(group), params: ids } as H & { params: number[]; initialLr?: number });
    }
    return { state, paramGroups };
  }

  /**
   * Restores a `stateDict()`: the groups' hyperparameters (lr included) and every parameter's
   * state, copied and cast to the parameter's dtype. The number of groups and of parameters per
   * group must match, and every state tensor must have its parameter's shape.
   *
   * @example
   * ```ts
   * opt.loadStateDict(saved);
   * ```
   */
  loadStateDict(stateDict: OptimizerStateDict<H, S>): void {
    const where = `${this.name}.loadStateDict`;
    const saved = stateDict.paramGroups;
    if (!Array.isArray(saved) || typeof stateDict.state !== 'object' || stateDict.state === null) {
      throw new Error(`${where}: expected { state, paramGroups } as returned by stateDict()`);
    }
    if (saved.length !== this.paramGroups.length) {
      throw new Error(`${where}: the state dict has ${saved.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    saved.forEach((g, k) => {
      const have = this.paramGroups[k]!.params.length;
      if (!Array.isArray(g.params) || g.params.length !== have) {
        throw new Error(`${where}: parameter group ${k} of the state dict has ${Array.isArray(g.params) ? g.params.length : 'no'} parameters, this optimizer's has ${have}`);
      }
    });
    // Map saved parameter ids onto this optimizer's tensors, group by group, in order.
    const byId = new Map<number, Tensor>();
    saved.forEach((g, k) => g.params.forEach((id, j) => byId.set(id, this.paramGroups[k]!.params[j]!)));
    const newState = new Map<Tensor, S>();
    for (const [key, s] of Object.entries(stateDict.state)) {
      const p = byId.get(Number(key));
      if (p === undefined) throw new Error(`${where}: state for parameter ${key}, which no group of the state dict lists`);
      newState.set(p, copyState(s, p, `${where}: state of parameter ${key}`));
    }
    const newGroups = saved.map((g, k) => {
      const { params: _ids, ...hyper } = g;
      const group = { ...copyHyper(hyper as H), params: this.paramGroups[k]!.params } as ParamGroup<H>;
      this.validateHyper(group, `${where}: parameter group ${k}`);
      return group;
    });
    for (const [p, s] of newState) {
      const group = newGroups.find((g) => g.params.includes(p))!;
      this.checkState(s, group, `${where}: state of parameter ${this.paramIndex(p)}`);
    }
    this.paramGroups.splice(0, this.paramGroups.length, ...newGroups);
    this.state.clear();
    for (const [p, s] of newState) this.state.set(p, s);
  }

  /** Throws a clear error for invalid hyperparameters (`where` names the optimizer and group). */
  protected abstract validateHyper(group: ParamGroup<H>, where: string): void;

  /** The state of a parameter on its first update. */
  protected abstract initState(param: Tensor, group: ParamGroup<H>): S;

  /** Throws unless loaded `state` has every entry `update` needs for this group. */
  protected abstract checkState(state: S, group: ParamGroup<H>, where: string): void;

  /**
   * One update of one parameter, in place. `data` and `grad` are flat row-major arrays of the same
   * length and dtype (`data` is `param`'s own storage).
   */
  protected abstract update(param: Tensor, data: Storage, grad: Storage, state: S, group: ParamGroup<H>): void;

  private paramIndex(p: Tensor): number {
    let index = 0;
    for (const g of this.paramGroups) {
      for (const q of g.params) {
        if (q === p) return index;
        index++;
      }
    }
    return -1;
  }
}

// ---- helpers shared by the optimizers ------------------------------------------------------------

/** The flat storage of a state tensor (always contiguous: the optimizer allocated it). */
export function stateStorage(t: Tensor): Storage {
  return t.array.flat();
}

/** A zero state tensor shaped like `param`. */
export function zerosLikeParam(param: Tensor): Tensor {
  return new Tensor(NDArray.zeros(param.shape, param.dtype));
}

/** Throws `${where}: ${name} must be …` unless `value` is a finite number ≥ 0 (or in [0, 1) with `unit`). */
export function checkNonNegative(value: unknown, name: string, where: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${where}: invalid ${name} ${String(value)} (expected a finite number >= 0)`);
  }
}

/** Throws `${where}: step must be a non-negative integer` unless `step` is one (a loaded state's step count). */
export function checkStepCount(step: unknown, where: string): void {
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) {
    throw new Error(`${where}: step must be a non-negative integer, got ${String(step)}`);
  }
}

/** The parameter's own storage as a flat row-major array (a subarray view, so writes land in place). */
function paramStorage(p: Tensor, where: () => string): Storage {
  if (!p.isLeaf) throw new Error(`${where()} is no longer a leaf tensor; optimizers update leaves in place`);
  const a = p.array;
  if (!a.isContiguous()) {
    throw new Error(`${where()} is a non-contiguous view (strides [${a.strides.join(', ')}]); the optimizer updates parameters in place and needs contiguous storage — use a contiguous tensor as the parameter`);
  }
  return a.offset === 0 && a.data.length === a.size ? a.data : a.data.subarray(a.offset, a.offset + a.size);
}

/** The gradient as a flat row-major array of the parameter's dtype, checked against its shape. */
function gradStorage(p: Tensor, where: () => string): Storage {
  const g = p.grad!;
  if (!(g instanceof Tensor)) throw new Error(`${where()}: .grad is not a Tensor (${describe(g)})`);
  if (!sameShape(g.shape, p.shape)) {
    throw new Error(`${where()}: the gradient has shape ${shapeString(g.shape)}, which does not match the parameter`);
  }
  return g.array.astype(p.dtype).flat();
}

/** A copy of per-parameter state; with `param`, tensors are checked against its shape and cast to its dtype. */
function copyState<S extends ParamState>(s: S, param: Tensor | null, where = ''): S {
  if (typeof s !== 'object' || s === null) throw new Error(`${where}: expected an object, got ${describe(s)}`);
  const out: ParamState = {};
  for (const [key, value] of Object.entries(s)) {
    if (value === undefined) {
      continue;
    } else if (value instanceof Tensor) {
      if (param !== null && !sameShape(value.shape, param.shape)) {
        throw new Error(`${where}: ${key} has shape ${shapeString(value.shape)}, but the parameter has shape ${shapeString(param.shape)}`);
      }
      const arr = param === null ? value.array : value.array.astype(param.dtype);
      out[key] = new Tensor(arr === value.array ? arr.copy() : arr.contiguous());
    } else if (typeof value === 'number') {
      out[key] = value;
    } else {
      throw new Error(`${where}: ${key} is neither a Tensor nor a number (${describe(value)})`);
    }
  }
  return out as S;
}

/** A copy of a group's hyperparameters without `params` (arrays such as betas are copied too). */
function copyHyper<H>(group: H & { params?: unknown }): H {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(group as Record<string, unknown>)) {
    if (key === 'params') continue;
    out[key] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  return out as H;
}

function withoutUndefined<T extends object>(obj: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) if (value !== undefined && key !== 'params') out[key] = value;
  return out as Partial<T>;
}

function describe(x: unknown): string {
  if (x instanceof Tensor) return x.toString();
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  return typeof x === 'object' ? `an object (${Object.keys(x).join(', ')})` : `${typeof x} ${String(x)}`;
}
