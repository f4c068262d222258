/**
 * ReduceLROnPlateau, as `torch.optim.lr_scheduler.ReduceLROnPlateau`: the one scheduler driven by a
 * measured quantity (a validation loss, an accuracy) instead of the epoch count, so it is not an
 * LRScheduler — its `step` takes the metric.
 */
import { Tensor } from '../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { finiteNumber, type SchedulableOptimizer } from './lr-scheduler.js';

/** ReduceLROnPlateau's options. */
export interface ReduceLROnPlateauOptions {
  /** 'min' (default): reduce when the metric stops decreasing; 'max': when it stops increasing. */
  mode?: 'min' | 'max';
  /** new lr = lr·factor, with 0 ≤ factor < 1 (default 0.1). */
  factor?: number;
  /** The number of epochs without improvement tolerated before a reduction (default 10). */
  patience?: number;
  /** How much better than the best a metric must be to count as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): better than best·(1 ∓ threshold); 'abs': better than best ∓ threshold. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** A lower bound on the lr: one for all groups or one per group (default 0). */
  minLr?: number | readonly number[];
  /** A reduction smaller than eps is skipped (default 1e-8). */
  eps?: number;
}

const REDUCE_LR_ON_PLATEAU_OPTIONS: OptionNames<ReduceLROnPlateauOptions> = {
  mode: true, factor: true, patience: true, threshold: true, thresholdMode: true, cooldown: true, minLr: true, eps: true,
};

/** ReduceLROnPlateau's state: its settings and counters (`best` is ±Infinity before the first step). */
export interface ReduceLROnPlateauStateDict {
  /** 'min' or 'max'. */
  mode: 'min' | 'max';
  /** The reduction factor. */
  factor: number;
  /** Bad epochs tolerated. */
  patience: number;
  /** The improvement threshold. */
  threshold: number;
  /** 'rel' or 'abs'. */
  thresholdMode: 'rel' | 'abs';
  /** Epochs of cooldown after a reduction. */
  cooldown: number;
  /** Epochs of cooldown left. */
  cooldownCounter: number;
  /** Each group's lower bound on the lr. */
  minLrs: number[];
  /** The smallest reduction applied. */
  eps: number;
  /** The best metric so far. */
  best: number;
  /** Epochs since the last improvement (reset by a reduction and during cooldown). */
  numBadEpochs: number;
  /** The number of `step` calls. */
  lastEpoch: number;
  /** Each group's lr after the last step. */
  lastLr: number[];
}

/**
 * Reduces the lr by `factor` once a metric has not improved for more than `patience` epochs,
 * exactly as `torch.optim.lr_scheduler.ReduceLROnPlateau` in PyTorch 1.13. Each `step(metric)`:
 *
 * ```text
 * improved (mode min, rel):  metric < best·(1 − threshold)      (abs: metric < best − threshold;
 * improved (mode max, rel):  metric > best·(1 + threshold)       max/abs: metric > best + threshold)
 * improved → best ← metric, bad ← 0;  else bad ← bad + 1
 * in cooldown → cooldown counter − 1, bad ← 0
 * bad > patience → lr ← max(lr·factor, minLr) for each group (skipped if the change is ≤ eps),
 *                  cooldown counter ← cooldown, bad ← 0
 * ```
 * A NaN metric never improves (it counts as a bad epoch, as in PyTorch). Unlike PyTorch 1.13
 * (which has no `get_last_lr` on this class), `getLastLr()` exists and before the first step gives
 * the optimizer's current lrs.
 *
 * @example
 * ```ts
 * import { optim, zeros } from 'tsgrad';
 * const opt = new optim.SGD([zeros([1], { requiresGrad: true })], { lr: 0.1 });
 * const sched = new optim.ReduceLROnPlateau(opt, { patience: 2, factor: 0.5 });
 * for (const valLoss of [1.0, 0.9, 0.95, 0.93, 0.91]) sched.step(valLoss);
 * sched.getLastLr(); // [0.05]: three epochs without beating 0.9
 * ```
 */
export class ReduceLROnPlateau {
  /** The optimizer whose learning rates this scheduler reduces. */
  readonly optimizer: SchedulableOptimizer;
  /** 'min' or 'max'. */
  mode: 'min' | 'max';
  /** new lr = lr·factor. */
  factor: number;
  /** Bad epochs tolerated before a reduction. */
  patience: number;
  /** How much better than the best counts as an improvement. */
  threshold: number;
  /** 'rel' or 'abs'. */
  thresholdMode: 'rel' | 'abs';
  /** Epochs of cooldown after a reduction. */
  cooldown: number;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** Each group's lower bound on the lr. */
  minLrs: number[];
  /** The smallest reduction applied. */
  eps: number;
  /** The best metric so far (+Infinity in mode 'min', −Infinity in 'max' before the first step). */
  best: number;
  /** Epochs since the last improvement. */
  numBadEpochs = 0;
  /** The number of `step` calls. */
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const where = 'ReduceLROnPlateau';
    checkOptions(options, REDUCE_LR_ON_PLATEAU_OPTIONS, where);
    if (typeof optimizer !== 'object' || optimizer === null || !Array.isArray(optimizer.paramGroups)) {
      throw new Error(`${where}: expected an optimizer (an object with paramGroups)`);
    }
    const settings = checkSettings({
      mode: options.mode ?? 'min', factor: options.factor ?? 0.1, patience: options.patience ?? 10, threshold: options.threshold ?? 1e-4,
      thresholdMode: options.thresholdMode ?? 'rel', cooldown: options.cooldown ?? 0, eps: options.eps ?? 1e-8,
      minLrs: Array.isArray(options.minLr) ? [...(options.minLr as readonly number[])] : new Array<unknown>(optimizer.paramGroups.length).fill(options.minLr ?? 0),
    }, optimizer.paramGroups.length, where);
    this.optimizer = optimizer;
    this.mode = settings.mode;
    this.factor = settings.factor;
    this.patience = settings.patience;
    this.threshold = settings.threshold;
    this.thresholdMode = settings.thresholdMode;
    this.cooldown = settings.cooldown;
    this.eps = settings.eps;
    this.minLrs = settings.minLrs;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  /** Whether a reduction happened less than `cooldown` epochs ago. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /**
   * Records one epoch's metric (a number or a one-element tensor) and reduces the lr if it has
   * stopped improving.
   *
   * @example
   * ```ts
   * const valLoss = evaluate(model);
   * sched.step(valLoss);
   * ```
   */
  step(metric: number | Tensor): void {
    const current = metricValue(metric);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs during cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * The learning rates after the last `step`, one per group (before it: the current ones).
   *
   * @example
   * ```ts
   * sched.getLastLr(); // e.g. [0.01]
   * ```
   */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Whether `a` improves on `best` under the mode and threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]!);
      if (oldLr - newLr > this.eps) g.lr = newLr;
    });
  }

  /**
   * The scheduler's settings and counters, for `loadStateDict`.
   *
   * @example
   * ```ts
   * const saved = { optimizer: opt.stateDict(), scheduler: sched.stateDict() };
   * ```
   */
  stateDict(): ReduceLROnPlateauStateDict {
    return {
      mode: this.mode, factor: this.factor, patience: this.patience, threshold: this.threshold, thresholdMode: this.thresholdMode,
      cooldown: this.cooldown, cooldownCounter: this.cooldownCounter, minLrs: [...this.minLrs], eps: this.eps, best: this.best,
      numBadEpochs: this.numBadEpochs, lastEpoch: this.lastEpoch, lastLr: [...this.lastLr],
    };
  }

  /**
   * Restores a `stateDict()`, all or nothing (every value is checked first). Restore the
   * optimizer's state dict too: the groups' current lr lives there.
   *
   * @example
   * ```ts
   * opt.loadStateDict(saved.optimizer);
   * sched.loadStateDict(saved.scheduler);
   * ```
   */
  loadStateDict(stateDict: ReduceLROnPlateauStateDict): void {
    const where = 'ReduceLROnPlateau.loadStateDict';
    const groups = this.optimizer.paramGroups.length;
    const s = checkSettings(stateDict, groups, where);
    const { best, cooldownCounter, numBadEpochs, lastEpoch, lastLr } = stateDict;
    if (typeof best !== 'number' || Number.isNaN(best)) {
      throw new Error(`${where}: best must be a number (±Infinity before the first step; JSON writes Infinity as null), got ${String(best)}`);
    }
    for (const [key, value] of [['cooldownCounter', cooldownCounter], ['numBadEpochs', numBadEpochs], ['lastEpoch', lastEpoch]] as const) {
      if (!Number.isInteger(value) || value < 0) throw new Error(`${where}: ${key} must be a non-negative integer, got ${String(value)}`);
    }
    if (!Array.isArray(lastLr) || lastLr.length !== groups || !lastLr.every((v) => typeof v === 'number')) {
      throw new Error(`${where}: lastLr must hold one number per parameter group (${groups})`);
    }
    Object.assign(this, s);
    this.best = best;
    this.cooldownCounter = cooldownCounter;
    this.numBadEpochs = numBadEpochs;
    this.lastEpoch = lastEpoch;
    this.lastLr = [...lastLr];
  }
}

type Settings = Pick<ReduceLROnPlateauStateDict, 'mode' | 'factor' | 'patience' | 'threshold' | 'thresholdMode' | 'cooldown' | 'eps' | 'minLrs'>;

/** The settings, checked; throws naming `where` and the setting. */
function checkSettings(s: { [K in keyof Settings]: unknown }, groups: number, where: string): Settings {
  if (s.mode !== 'min' && s.mode !== 'max') throw new Error(`${where}: mode must be 'min' or 'max', got ${String(s.mode)}`);
  if (s.thresholdMode !== 'rel' && s.thresholdMode !== 'abs') throw new Error(`${where}: thresholdMode must be 'rel' or 'abs', got ${String(s.thresholdMode)}`);
  const factor = finiteNumber(s.factor, 'factor', where);
  if (factor < 0 || factor >= 1) throw new Error(`${where}: factor must be in [0, 1) (new lr = lr·factor), got ${factor}`);
  const threshold = finiteNumber(s.threshold, 'threshold', where);
  if (threshold < 0) throw new Error(`${where}: threshold must be >= 0, got ${threshold}`);
  const eps = finiteNumber(s.eps, 'eps', where);
  if (eps < 0) throw new Error(`${where}: eps must be >= 0, got ${eps}`);
  for (const key of ['patience', 'cooldown'] as const) {
    if (!Number.isInteger(s[key]) || (s[key] as number) < 0) throw new Error(`${where}: ${key} must be a non-negative integer, got ${String(s[key])}`);
  }
  const minLrs = s.minLrs;
  if (!Array.isArray(minLrs) || minLrs.length !== groups) {
    throw new Error(`${where}: expected ${groups} minLr values (one per parameter group), got ${Array.isArray(minLrs) ? minLrs.length : String(minLrs)}`);
  }
  minLrs.forEach((v, i) => {
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new Error(`${where}: minLr[${i}] must be a finite number >= 0, got ${String(v)}`);
  });
  return { mode: s.mode, thresholdMode: s.thresholdMode, factor, threshold, eps, patience: s.patience as number, cooldown: s.cooldown as number, minLrs: [...(minLrs as number[])] };
}

function metricValue(metric: number | Tensor): number {
  if (typeof metric === 'number') return metric;
  if (metric instanceof Tensor) {
    if (metric.numel !== 1) throw new Error(`ReduceLROnPlateau.step: the metric must be a number or a one-element tensor, got a tensor of shape [${metric.shape.join(', ')}]`);
    return metric.item();
  }
  throw new Error(`ReduceLROnPlateau.step: the metric must be a number or a one-element tensor, got ${typeof metric}`);
}
