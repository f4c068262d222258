/**
 * Learning-rate schedulers, as `torch.optim.lr_scheduler`: each `step()` (once per epoch, after
 * `optimizer.step()`) sets every group's `lr`. Like PyTorch's `step()`, they use the *recursive*
 * ("chainable") form — the new lr is computed from the group's current lr — so another change to
 * the lr between steps is kept; `closedFormLr()` gives the textbook formula for comparison.
 *
 * This file holds the base class and StepLR, MultiStepLR, CosineAnnealingLR; LambdaLR, LinearLR
 * and ExponentialLR are in lr-scheduler-factor.ts, OneCycleLR, ReduceLROnPlateau and SequentialLR
 * in files of their own.
 */
import { checkRequiredOptions, type OptionNames } from '../tensor/options.js';

/** What a scheduler needs of an optimizer: its groups' learning rates. */
export interface SchedulableOptimizer {
  /**
   * The parameter groups, whose `lr` the scheduler sets (`initialLr` is recorded on the first
   * step).
   */
  readonly paramGroups: readonly { lr: number; initialLr?: number }[];
}

/**
 * One setting in a scheduler's state dict: plain data (SequentialLR nests its schedulers' state
 * dicts). Note that `JSON.stringify` writes ±Infinity (ReduceLROnPlateau's `best` before its first
 * step) as null.
 */
export type SchedulerSetting = number | string | boolean | null | readonly number[] | readonly LRSchedulerStateDict[];

/** A scheduler's state: the common fields plus each scheduler's own settings. */
export interface LRSchedulerStateDict {
  /** The index of the last epoch stepped to. */
  lastEpoch: number;
  /** Each group's lr at epoch 0. */
  baseLrs: number[];
  /** Each group's lr after the last step. */
  lastLr: number[];
  /** How many times `step()` has run (the initial step included). */
  stepCount: number;
  [setting: string]: SchedulerSetting;
}

/**
 * The base of the schedulers. A subclass sets its own fields, then calls `_initialStep()` at the
 * end of its constructor (PyTorch's `_initial_step`), which makes epoch 0's lr current.
 *
 * @example
 * ```ts
 * import { optim, zeros } from 'tsgrad';
 * const w = zeros([2], { requiresGrad: true });
 * const opt = new optim.SGD([w], { lr: 0.1 });
 * const sched = new optim.StepLR(opt, { stepSize: 10, gamma: 0.5 });
 * sched.getLastLr(); // [0.1]
 * ```
 */
export abstract class LRScheduler {
  /** The optimizer whose learning rates this scheduler sets. */
  readonly optimizer: SchedulableOptimizer;
  /** Each group's lr at epoch 0 (its `initialLr`). */
  baseLrs: number[];
  /** The index of the last epoch stepped to (−1 before the initial step). */
  lastEpoch: number;
  /** How many times `step()` was called, the initial step included. */
  protected stepCount = 0;
  /** Each group's lr after the last step. */
  protected lastLr: number[] = [];

  /**
   * `lastEpoch` = −1 (the default) starts a schedule: each group's current lr becomes its
   * `initialLr`. Any other value resumes one, and needs every group to have `initialLr` already.
   */
  protected constructor(optimizer: SchedulableOptimizer, lastEpoch: number, name: string) {
    if (typeof optimizer !== 'object' || optimizer === null || !Array.isArray(optimizer.paramGroups)) {
      throw new Error(`${name}: expected an optimizer (an object with paramGroups)`);
    }
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) throw new Error(`${name}: lastEpoch must be an integer >= -1, got ${lastEpoch}`);
    this.optimizer = optimizer;
    optimizer.paramGroups.forEach((g, i) => {
      if (lastEpoch === -1) {
        g.initialLr ??= g.lr;
      } else if (g.initialLr === undefined) {
        throw new Error(`${name}: paramGroups[${i}] has no initialLr; resuming with lastEpoch ${lastEpoch} needs an optimizer that a scheduler already ran on`);
      }
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /**
   * The first step, which makes epoch lastEpoch + 1's lr current (PyTorch's `_initial_step`).
   * Subclass constructors call it last; SequentialLR calls it again on its first scheduler.
   */
  _initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /**
   * Jumps to `epoch` and sets the lr from the closed form (PyTorch's deprecated `step(epoch)`),
   * which SequentialLR does with epoch 0 when it hands over to the next scheduler at a milestone.
   */
  _stepTo(epoch: number): void {
    this.stepCount += 1;
    this.lastEpoch = epoch;
    this.setLrs(this.lrAtExplicitEpoch());
  }

  /**
   * Advances one epoch and sets every group's lr.
   *
   * @example
   * ```ts
   * for (let epoch = 0; epoch < 30; epoch++) {
   *   trainOneEpoch(opt);
   *   sched.step();
   * }
   * ```
   */
  step(): void {
    this.stepCount += 1;
    this.lastEpoch += 1;
    this.setLrs(this.getLr());
  }

  /** Writes one lr per group and records them as the last lrs. */
  protected setLrs(values: readonly number[]): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * The learning rates the last `step()` set, one per group.
   *
   * @example
   * ```ts
   * sched.getLastLr(); // e.g. [0.05]
   * ```
   */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /**
   * The scheduler's state (everything but the optimizer), for `loadStateDict`.
   *
   * @example
   * ```ts
   * const saved = { optimizer: opt.stateDict(), scheduler: sched.stateDict() };
   * ```
   */
  stateDict(): LRSchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr], stepCount: this.stepCount, ...this.settings() };
  }

  /**
   * Restores a `stateDict()` (settings included, as PyTorch's `load_state_dict` does), all or
   * nothing: on a bad value it throws and keeps its state. Restore the optimizer's state dict
   * too: the groups' current lr lives there.
   *
   * @example
   * ```ts
   * opt.loadStateDict(saved.optimizer);
   * sched.loadStateDict(saved.scheduler);
   * ```
   */
  loadStateDict(stateDict: LRSchedulerStateDict): void {
    const where = `${this.constructor.name}.loadStateDict`;
    const groups = this.optimizer.paramGroups.length;
    const { lastEpoch, baseLrs, lastLr, stepCount } = stateDict;
    if (!Number.isInteger(lastEpoch) || !Number.isInteger(stepCount)) {
      throw new Error(`${where}: lastEpoch and stepCount must be integers`);
    }
    for (const [key, list] of [['baseLrs', baseLrs], ['lastLr', lastLr]] as const) {
      if (!Array.isArray(list) || list.length !== groups || !list.every((v) => typeof v === 'number')) {
        throw new Error(`${where}: ${key} must hold one number per parameter group (${groups})`);
      }
    }
    const before = this.settings();
    try {
      this.loadSettings(stateDict, where);
    } catch (error) {
      this.loadSettings({ ...this.stateDict(), ...before }, where); // nothing half-loaded
      throw error;
    }
    this.lastEpoch = lastEpoch;
    this.stepCount = stepCount;
    this.baseLrs = [...baseLrs];
    this.lastLr = [...lastLr];
  }

  /**
   * The learning rates at `lastEpoch` from the closed form (the schedule's formula of the epoch
   * and `baseLrs` alone), whatever else changed the lr.
   */
  abstract closedFormLr(): number[];

  /** The new lr of every group at `lastEpoch`, from the current lrs (the recursive form). */
  protected abstract getLr(): number[];

  /**
   * The lrs `_stepTo` sets: the closed form, as PyTorch's `step(epoch)` uses `_get_closed_form_lr`
   * where a scheduler has one (schedulers without one override this with `getLr()`).
   */
  protected lrAtExplicitEpoch(): number[] {
    return this.closedFormLr();
  }

  /** This scheduler's own settings, for the state dict. */
  protected abstract settings(): Record<string, SchedulerSetting>;

  /** Restores `settings()` from a state dict (throws naming `where` on a bad value). */
  protected abstract loadSettings(stateDict: LRSchedulerStateDict, where: string): void;

  /** The groups' current learning rates. */
  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/** `value` if it is an integer > 0, else a clear error naming `where` and `name`. */
export function positiveInteger(value: unknown, name: string, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`${where}: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** `value` if it is a finite number, else a clear error naming `where` and `name`. */
export function finiteNumber(value: unknown, name: string, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: ${name} must be a finite number, got ${String(value)}`);
  return value;
}

/** StepLR's options. */
export interface StepLROptions {
  /** Decay every `stepSize` epochs. */
  stepSize: number;
  /** The factor (default 0.1). */
  gamma?: number;
  /** −1 (default) to start, or the epoch to resume from. */
  lastEpoch?: number;
}

const STEP_LR_OPTIONS: OptionNames<StepLROptions> = { stepSize: true, gamma: true, lastEpoch: true };

/**
 * Multiplies the lr by `gamma` every `stepSize` epochs: lr = base·γ^⌊epoch / stepSize⌋, as
 * `torch.optim.lr_scheduler.StepLR`.
 *
 * @example
 * ```ts
 * import { optim, zeros } from 'tsgrad';
 * const opt = new optim.SGD([zeros([1], { requiresGrad: true })], { lr: 0.1 });
 * const sched = new optim.StepLR(opt, { stepSize: 2, gamma: 0.5 });
 * // epochs 0,1: 0.1; epochs 2,3: 0.05; epochs 4,5: 0.025 …
 * ```
 */
export class StepLR extends LRScheduler {
  /** Epochs between two decays. */
  stepSize: number;
  /** The factor the lr is multiplied by at each decay. */
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: StepLROptions) {
    checkRequiredOptions(options, STEP_LR_OPTIONS, 'StepLR');
    super(optimizer, options.lastEpoch ?? -1, 'StepLR');
    this.stepSize = positiveInteger(options.stepSize, 'stepSize', 'StepLR');
    this.gamma = finiteNumber(options.gamma ?? 0.1, 'gamma', 'StepLR');
    this._initialStep();
  }

  protected getLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }

  closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }

  protected settings(): Record<string, SchedulerSetting> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  protected loadSettings(sd: LRSchedulerStateDict, where: string): void {
    this.stepSize = positiveInteger(sd.stepSize, 'stepSize', where);
    this.gamma = finiteNumber(sd.gamma, 'gamma', where);
  }
}

/** MultiStepLR's options. */
export interface MultiStepLROptions {
  /** The epochs at which to decay (a milestone listed k times decays by γᵏ there, as PyTorch's Counter). */
  milestones: readonly number[];
  /** The factor (default 0.1). */
  gamma?: number;
  /** −1 (default) to start, or the epoch to resume from. */
  lastEpoch?: number;
}

const MULTI_STEP_LR_OPTIONS: OptionNames<MultiStepLROptions> = { milestones: true, gamma: true, lastEpoch: true };

/**
 * Multiplies the lr by `gamma` at each milestone epoch: lr = base·γ^(milestones ≤ epoch), as
 * `torch.optim.lr_scheduler.MultiStepLR`.
 *
 * @example
 * ```ts
 * import { optim, zeros } from 'tsgrad';
 * const opt = new optim.SGD([zeros([1], { requiresGrad: true })], { lr: 0.1 });
 * const sched = new optim.MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 });
 * // epochs 0–29: 0.1; 30–79: 0.01; from 80: 0.001
 * ```
 */
export class MultiStepLR extends LRScheduler {
  /** The milestones, sorted (repeats kept). */
  milestones: number[];
  /** The factor the lr is multiplied by at each milestone. */
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: MultiStepLROptions) {
    checkRequiredOptions(options, MULTI_STEP_LR_OPTIONS, 'MultiStepLR');
    super(optimizer, options.lastEpoch ?? -1, 'MultiStepLR');
    this.milestones = checkMilestones(options.milestones, 'MultiStepLR');
    this.gamma = finiteNumber(options.gamma ?? 0.1, 'gamma', 'MultiStepLR');
    this._initialStep();
  }

  protected getLr(): number[] {
    const lrs = this.currentLrs();
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return lrs;
    return lrs.map((lr) => lr * this.gamma ** count);
  }

  closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }

  protected settings(): Record<string, SchedulerSetting> {
    return { milestones: [...this.milestones], gamma: this.gamma };
  }

  protected loadSettings(sd: LRSchedulerStateDict, where: string): void {
    if (!Array.isArray(sd.milestones)) throw new Error(`${where}: milestones must be an array of epochs`);
    this.milestones = checkMilestones(sd.milestones, where);
    this.gamma = finiteNumber(sd.gamma, 'gamma', where);
  }
}

function checkMilestones(milestones: unknown, where: string): number[] {
  if (!Array.isArray(milestones) || !milestones.every((m) => Number.isInteger(m) && (m as number) >= 0)) {
    throw new Error(`${where}: milestones must be an array of non-negative integer epochs, got ${JSON.stringify(milestones)}`);
  }
  return [...(milestones as number[])].sort((a, b) => a - b);
}

/** CosineAnnealingLR's options. */
export interface CosineAnnealingLROptions {
  /** The half period in epochs: the lr goes from base to etaMin over tMax epochs (and back). */
  tMax: number;
  /** The minimum lr (default 0). */
  etaMin?: number;
  /** −1 (default) to start, or the epoch to resume from. */
  lastEpoch?: number;
}

const COSINE_ANNEALING_LR_OPTIONS: OptionNames<CosineAnnealingLROptions> = { tMax: true, etaMin: true, lastEpoch: true };

/**
 * Cosine annealing (Loshchilov & Hutter, SGDR, arXiv 1608.03983, without restarts), as
 * `torch.optim.lr_scheduler.CosineAnnealingLR`:
 * lr = η_min + (base − η_min)·(1 + cos(π·epoch / tMax)) / 2. After tMax epochs the lr rises again
 * along the same cosine. `step()` uses PyTorch's recursive form, equal to that formula when
 * nothing else changes the lr.
 *
 * @example
 * ```ts
 * import { optim, zeros } from 'tsgrad';
 * const opt = new optim.SGD([zeros([1], { requiresGrad: true })], { lr: 0.1 });
 * const sched = new optim.CosineAnnealingLR(opt, { tMax: 50, etaMin: 1e-4 });
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Epochs of the half cosine from the base lr down to `etaMin`. */
  tMax: number;
  /** The smallest lr, reached at epoch `tMax`. */
  etaMin: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingLROptions) {
    checkRequiredOptions(options, COSINE_ANNEALING_LR_OPTIONS, 'CosineAnnealingLR');
    super(optimizer, options.lastEpoch ?? -1, 'CosineAnnealingLR');
    this.tMax = positiveInteger(options.tMax, 'tMax', 'CosineAnnealingLR');
    this.etaMin = finiteNumber(options.etaMin ?? 0, 'etaMin', 'CosineAnnealingLR');
    this._initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: t, tMax, etaMin } = this;
    const lrs = this.currentLrs();
    if (t === 0) return lrs;
    // Resuming (first step at an epoch > 0): the closed form.
    if (this.stepCount === 1 && t > 0) return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((t * Math.PI) / tMax))) / 2);
    // Just past a minimum (t − 1 = tMax, 3·tMax, …) the ratio below would divide by 0: step up directly.
    if ((t - 1 - tMax) % (2 * tMax) === 0) {
      return lrs.map((lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return lrs.map((lr) => ((1 + Math.cos((Math.PI * t) / tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / tMax))) * (lr - etaMin) + etaMin);
  }

  closedFormLr(): number[] {
    return this.baseLrs.map((base) => this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }

  protected settings(): Record<string, SchedulerSetting> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  protected loadSettings(sd: LRSchedulerStateDict, where: string): void {
    this.tMax = positiveInteger(sd.tMax, 'tMax', where);
    this.etaMin = finiteNumber(sd.etaMin, 'etaMin', where);
  }
}
