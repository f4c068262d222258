/**
 * The schedulers that multiply the base lr by a factor of the epoch: LambdaLR (any function),
 * LinearLR (a linear ramp, the usual warm-up) and ExponentialLR (γ^epoch), as
 * `torch.optim.lr_scheduler`. LinearLR and ExponentialLR step in PyTorch's recursive form.
 */
import { checkOptions, checkRequiredOptions, type OptionNames } from '../tensor/options.js';
import { LRScheduler, finiteNumber, positiveInteger, type LRSchedulerStateDict, type SchedulableOptimizer, type SchedulerSetting } from './lr-scheduler.js';

/** A function of the epoch giving the factor that multiplies a group's base lr. */
export type LrLambda = (epoch: number) => number;

/** LambdaLR's options. */
export interface LambdaLROptions {
  /** The factor as a function of the epoch: one for all groups, or one per group. */
  lrLambda: LrLambda | readonly LrLambda[];
  /** −1 (default) to start, or the epoch to resume from. */
  lastEpoch?: number;
}

const LAMBDA_LR_OPTIONS: OptionNames<LambdaLROptions> = { lrLambda: true, lastEpoch: true };

/**
 * Sets each group's lr to its base lr times a function of the epoch, lr = base·λ(epoch), as
 * `torch.optim.lr_scheduler.LambdaLR`. λ must return a finite number (tsgrad checks; PyTorch
 * would pass a NaN on to the optimizer).
 *
 * The functions are not part of the state dict (PyTorch saves only the attributes of callable
 * objects, never plain functions): `loadStateDict` keeps the functions given to the constructor.
 *
 * @example
 * ```ts
 * import { optim, zeros } from 'tsgrad';
 * const opt = new optim.SGD([zeros([1], { requiresGrad: true })], { lr: 0.1 });
 * // Linear warm-up over 5 epochs, then 0.95 per epoch.
 * const sched = new optim.LambdaLR(opt, { lrLambda: (e) => (e < 5 ? (e + 1) / 5 : 0.95 ** (e - 4)) });
 * sched.getLastLr(); // [0.020000000000000004]: 0.1·(0 + 1)/5
 * ```
 */
export class LambdaLR extends LRScheduler {
  /** One function per parameter group. */
  readonly lrLambdas: LrLambda[];

  constructor(optimizer: SchedulableOptimizer, options: LambdaLROptions) {
    checkRequiredOptions(options, LAMBDA_LR_OPTIONS, 'LambdaLR');
    const lambdas = perGroupLambdas(options.lrLambda, optimizer.paramGroups?.length ?? 0);
    super(optimizer, options.lastEpoch ?? -1, 'LambdaLR');
    this.lrLambdas = lambdas;
    this._initialStep();
  }

  protected getLr(): number[] {
    return this.closedFormLr();
  }

  closedFormLr(): number[] {
    return this.baseLrs.map((base, i) => {
      const factor = this.lrLambdas[i]!(this.lastEpoch);
      if (typeof factor !== 'number' || !Number.isFinite(factor)) {
        throw new Error(`LambdaLR: lrLambda for parameter group ${i} returned ${String(factor)} at epoch ${this.lastEpoch} (expected a finite number)`);
      }
      return base * factor;
    });
  }

  protected settings(): Record<string, SchedulerSetting> {
    return {};
  }

  protected loadSettings(): void {
    // Nothing to restore: the functions are code, kept from the constructor.
  }
}

/** One function per group, checked (before the scheduler touches the optimizer). */
function perGroupLambdas(given: LrLambda | readonly LrLambda[], groups: number): LrLambda[] {
  const isList = Array.isArray(given);
  if (isList && given.length !== groups) throw new Error(`LambdaLR: expected ${groups} lrLambdas (one per parameter group), but got ${given.length}`);
  const lambdas = isList ? [...(given as readonly LrLambda[])] : new Array<LrLambda>(groups).fill(given as LrLambda);
  lambdas.forEach((fn, i) => {
    if (typeof fn !== 'function') throw new Error(`LambdaLR: lrLambda${isList ? `[${i}]` : ''} must be a function of the epoch, got ${typeof fn}`);
  });
  return lambdas;
}

/** LinearLR's options. */
export interface LinearLROptions {
  /** The factor at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** The factor from epoch totalIters on, in [0, 1] (default 1). */
  endFactor?: number;
  /** The number of epochs of the ramp (default 5). */
  totalIters?: number;
  /** −1 (default) to start, or the epoch to resume from. */
  lastEpoch?: number;
}

const LINEAR_LR_OPTIONS: OptionNames<LinearLROptions> = { startFactor: true, endFactor: true, totalIters: true, lastEpoch: true };

/**
 * Ramps the factor on the base lr linearly from `startFactor` to `endFactor` over `totalIters`
 * epochs, then keeps it: lr = base·(s + (e − s)·min(epoch, T)/T), as
 * `torch.optim.lr_scheduler.LinearLR` (the usual warm-up). `step()` uses PyTorch's recursive form.
 * NOTE: PyTorch 1.13 accepts startFactor 0 and then divides by zero at epoch 1; tsgrad rejects it
 * up front (later PyTorch versions do too).
 *
 * @example
 * ```ts
 * import { optim, zeros } from 'tsgrad';
 * const opt = new optim.SGD([zeros([1], { requiresGrad: true })], { lr: 0.05 });
 * const sched = new optim.LinearLR(opt, { startFactor: 0.5, totalIters: 4 });
 * // epochs 0, 1, 2, 3, 4+: 0.025, 0.03125, 0.0375, 0.04375 (0.043750000000000004), 0.05
 * ```
 */
export class LinearLR extends LRScheduler {
  /** The factor at epoch 0. */
  startFactor: number;
  /** The factor reached at epoch totalIters. */
  endFactor: number;
  /** The length of the ramp in epochs. */
  totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: LinearLROptions = {}) {
    checkOptions(options, LINEAR_LR_OPTIONS, 'LinearLR');
    const startFactor = checkStartFactor(options.startFactor ?? 1 / 3, 'LinearLR');
    const endFactor = checkEndFactor(options.endFactor ?? 1, 'LinearLR');
    const totalIters = positiveInteger(options.totalIters ?? 5, 'totalIters', 'LinearLR');
    super(optimizer, options.lastEpoch ?? -1, 'LinearLR');
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this._initialStep();
  }

  protected getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: t, lastEpoch } = this;
    const lrs = this.currentLrs();
    if (lastEpoch === 0) return lrs.map((lr) => lr * s);
    if (lastEpoch > t) return lrs;
    // The ratio of the factors at lastEpoch and lastEpoch − 1.
    return lrs.map((lr) => lr * (1 + (e - s) / (t * s + (lastEpoch - 1) * (e - s))));
  }

  closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: t } = this;
    return this.baseLrs.map((base) => base * (s + ((e - s) * Math.min(t, this.lastEpoch)) / t));
  }

  protected settings(): Record<string, SchedulerSetting> {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters };
  }

  protected loadSettings(sd: LRSchedulerStateDict, where: string): void {
    this.startFactor = checkStartFactor(sd.startFactor, where);
    this.endFactor = checkEndFactor(sd.endFactor, where);
    this.totalIters = positiveInteger(sd.totalIters, 'totalIters', where);
  }
}

function checkStartFactor(value: unknown, where: string): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new Error(`${where}: startFactor must be in (0, 1], got ${String(value)} (the factor on the base lr at epoch 0; 0 would make the recursive form divide by zero)`);
  }
  return value;
}

function checkEndFactor(value: unknown, where: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new Error(`${where}: endFactor must be in [0, 1], got ${String(value)}`);
  return value;
}

/** ExponentialLR's options. */
export interface ExponentialLROptions {
  /** The factor applied every epoch. */
  gamma: number;
  /** −1 (default) to start, or the epoch to resume from. */
  lastEpoch?: number;
}

const EXPONENTIAL_LR_OPTIONS: OptionNames<ExponentialLROptions> = { gamma: true, lastEpoch: true };

/**
 * Multiplies the lr by `gamma` every epoch: lr = base·γ^epoch, as
 * `torch.optim.lr_scheduler.ExponentialLR` (recursive form in `step()`).
 *
 * @example
 * ```ts
 * import { optim, zeros } from 'tsgrad';
 * const opt = new optim.SGD([zeros([1], { requiresGrad: true })], { lr: 0.1 });
 * const sched = new optim.ExponentialLR(opt, { gamma: 0.9 });
 * sched.step();
 * sched.getLastLr(); // [0.09000000000000001]
 * ```
 */
export class ExponentialLR extends LRScheduler {
  /** The factor applied every epoch. */
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: ExponentialLROptions) {
    checkRequiredOptions(options, EXPONENTIAL_LR_OPTIONS, 'ExponentialLR');
    const gamma = finiteNumber(options.gamma, 'gamma', 'ExponentialLR');
    super(optimizer, options.lastEpoch ?? -1, 'ExponentialLR');
    this.gamma = gamma;
    this._initialStep();
  }

  protected getLr(): number[] {
    const lrs = this.currentLrs();
    return this.lastEpoch === 0 ? lrs : lrs.map((lr) => lr * this.gamma);
  }

  closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }

  protected settings(): Record<string, SchedulerSetting> {
    return { gamma: this.gamma };
  }

  protected loadSettings(sd: LRSchedulerStateDict, where: string): void {
    this.gamma = finiteNumber(sd.gamma, 'gamma', where);
  }
}
