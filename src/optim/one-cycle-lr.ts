/**
 * The 1cycle policy (Smith & Topin, "Super-Convergence", arXiv 1708.07120), as
 * `torch.optim.lr_scheduler.OneCycleLR`: stepped once per batch, the lr rises from maxLr/divFactor
 * to maxLr and anneals down to a minimum far below the start, while the momentum (or Adam's β₁)
 * moves the opposite way.
 */
import { checkRequiredOptions, type OptionNames } from '../tensor/options.js';
import { LRScheduler, finiteNumber, positiveInteger, type LRSchedulerStateDict, type SchedulableOptimizer, type SchedulerSetting } from './lr-scheduler.js';

/** OneCycleLR's options: `maxLr` and either `totalSteps` or `epochs` and `stepsPerEpoch`. */
export interface OneCycleLROptions {
  /** The peak lr: one for all groups or one per group. */
  maxLr: number | readonly number[];
  /** The number of steps in the cycle (or give `epochs` and `stepsPerEpoch`). */
  totalSteps?: number;
  /** With `stepsPerEpoch`, the cycle has epochs·stepsPerEpoch steps. */
  epochs?: number;
  /** With `epochs`, the cycle has epochs·stepsPerEpoch steps. */
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent increasing the lr, in [0, 1] (default 0.3). */
  pctStart?: number;
  /** How to anneal between the phase ends: 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum (SGD, RMSprop) or β₁ (Adam) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** The lowest momentum, reached at the lr's peak (default 0.85): one for all groups or one per group. */
  baseMomentum?: number | readonly number[];
  /** The highest momentum, at the start and the end (default 0.95): one for all groups or one per group. */
  maxMomentum?: number | readonly number[];
  /** The starting lr is maxLr/divFactor (default 25). */
  divFactor?: number;
  /** The final lr is the starting lr/finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, back down to the start, then down to the minimum) instead of two (default false). */
  threePhase?: boolean;
  /** −1 (default) to start, or the step to resume from. */
  lastEpoch?: number;
}

const ONE_CYCLE_LR_OPTIONS: OptionNames<OneCycleLROptions> = {
  maxLr: true, totalSteps: true, epochs: true, stepsPerEpoch: true, pctStart: true, annealStrategy: true, cycleMomentum: 'flag',
  baseMomentum: true, maxMomentum: true, divFactor: true, finalDivFactor: true, threePhase: 'flag', lastEpoch: true,
};

/** One phase of the cycle: it ends at step `endStep` and anneals between two named per-group values. */
interface Phase {
  endStep: number;
  startLr: 'initial' | 'max' | 'min';
  endLr: 'initial' | 'max' | 'min';
  startMomentum: 'base' | 'max';
  endMomentum: 'base' | 'max';
}

/** A parameter group as OneCycleLR sees it: momentum (SGD, RMSprop) or betas (Adam) may be cycled. */
type MomentumGroup = { lr: number; initialLr?: number; momentum?: number; betas?: readonly [number, number] };

/**
 * The 1cycle learning-rate policy, exactly as `torch.optim.lr_scheduler.OneCycleLR` in PyTorch
 * 1.13 (step it after every batch). With T = totalSteps and p = pctStart, two phases:
 *
 * ```text
 * steps 0 … pT − 1:       lr  maxLr/divFactor → maxLr,       momentum  maxMomentum → baseMomentum
 * steps pT − 1 … T − 1:   lr  maxLr → initialLr/finalDivFactor,  momentum  baseMomentum → maxMomentum
 * ```
 * each annealed by (1 + cos(π·pct))/2 ('cos') or linearly; with `threePhase` the lr first returns
 * to its start by step 2pT − 2, then falls to the minimum. With `cycleMomentum` (the default) the
 * scheduler writes each group's `momentum` — or β₁ of `betas` for Adam — every step, and requires
 * an optimizer that has one (SGD with momentum 0 then gets momentum, as in PyTorch).
 *
 * PyTorch's quirks kept: the first lr is maxLr/divFactor even if the optimizer's lr differs; the
 * step after the last one (step number T) is allowed and extrapolates the last phase; the next
 * throws. Differences: tsgrad keeps maxLr, minLr and the momentum bounds in the scheduler (and its
 * state dict) instead of adding them to the optimizer's param groups, checks for a step past the
 * end before changing anything (PyTorch has already advanced `last_epoch` when it raises), and
 * throws a clear error where PyTorch divides by zero (a phase of zero length, pctStart·T = 1).
 *
 * @example
 * ```ts
 * import { optim, zeros } from 'tsgrad';
 * const w = zeros([2], { requiresGrad: true });
 * const opt = new optim.SGD([w], { lr: 0.1, momentum: 0.9 });
 * const sched = new optim.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 100 });
 * for (let i = 0; i < 100; i++) {
 *   w.sum().backward();
 *   opt.step();
 *   opt.zeroGrad();
 *   sched.step();
 * }
 * ```
 */
export class OneCycleLR extends LRScheduler {
  /** The number of steps in the cycle. */
  totalSteps: number;
  /** The phases' end steps and the values they anneal between. */
  private phases: Phase[];
  /** The fraction of the cycle spent increasing the lr. */
  pctStart: number;
  /** 'cos' or 'linear'. */
  annealStrategy: 'cos' | 'linear';
  /** Whether the momentum (or β₁) is cycled. */
  cycleMomentum: boolean;
  /** Whether the cycled momentum is Adam's β₁ (the optimizer has `betas`). */
  useBeta1: boolean;
  /** Three phases instead of two. */
  threePhase: boolean;
  /** Each group's peak lr. */
  maxLrs: number[];
  /** Each group's final lr, initialLr/finalDivFactor. */
  minLrs: number[];
  /** Each group's highest momentum. */
  maxMomentums: number[];
  /** Each group's lowest momentum. */
  baseMomentums: number[];

  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    const where = 'OneCycleLR';
    checkRequiredOptions(options, ONE_CYCLE_LR_OPTIONS, where);
    const groups = (optimizer.paramGroups ?? []) as readonly MomentumGroup[];
    const totalSteps = cycleLength(options);
    const pctStart = options.pctStart ?? 0.3;
    if (typeof pctStart !== 'number' || !(pctStart >= 0 && pctStart <= 1)) throw new Error(`${where}: expected pctStart between 0 and 1, got ${String(pctStart)}`);
    const annealStrategy = options.annealStrategy ?? 'cos';
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') throw new Error(`${where}: annealStrategy must be 'cos' or 'linear', got ${String(annealStrategy)}`);
    const maxLrs = perGroup(options.maxLr, 'maxLr', groups.length);
    const divFactor = finiteNumber(options.divFactor ?? 25, 'divFactor', where);
    const finalDivFactor = finiteNumber(options.finalDivFactor ?? 1e4, 'finalDivFactor', where);
    const lastEpoch = options.lastEpoch ?? -1;
    const cycleMomentum = options.cycleMomentum ?? true;
    const defaults = (optimizer as { defaults?: object }).defaults ?? groups[0] ?? {};
    if (cycleMomentum && !('momentum' in defaults) && !('betas' in defaults)) {
      throw new Error(`${where}: the optimizer has no momentum or betas to cycle; pass cycleMomentum: false (for example with Adagrad)`);
    }
    const maxMomentums = perGroup(options.maxMomentum ?? 0.95, 'maxMomentum', groups.length);
    const baseMomentums = perGroup(options.baseMomentum ?? 0.85, 'baseMomentum', groups.length);
    const useBeta1 = 'betas' in defaults;
    const threePhase = options.threePhase ?? false;
    const phases = makePhases(totalSteps, pctStart, threePhase);
    findPhase(phases, lastEpoch + 1, pctStart * totalSteps); // a zero-length first phase throws before anything changes
    if (lastEpoch === -1) {
      // As PyTorch: a new cycle starts at maxLr/divFactor whatever the optimizer's lr, and with maximal momentum.
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / divFactor;
        if (cycleMomentum) setMomentum(g, maxMomentums[i]!, useBeta1);
      });
    }
    super(optimizer, lastEpoch, where);
    this.totalSteps = totalSteps;
    this.pctStart = pctStart;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.threePhase = threePhase;
    this.phases = phases;
    this.maxLrs = maxLrs;
    this.minLrs = this.baseLrs.map((initial) => initial / finalDivFactor);
    this.maxMomentums = maxMomentums;
    this.baseMomentums = baseMomentums;
    this._initialStep();
  }

  /**
   * Advances one step (one batch). Throws, changing nothing, past step number totalSteps.
   *
   * @example
   * ```ts
   * opt.step();
   * sched.step();
   * ```
   */
  override step(): void {
    this.checkStepNumber(this.lastEpoch + 1);
    super.step();
  }

  protected getLr(): number[] {
    const { lrs, momenta } = this.schedule(this.lastEpoch);
    if (this.cycleMomentum) {
      (this.optimizer.paramGroups as readonly MomentumGroup[]).forEach((g, i) => setMomentum(g, momenta[i]!, this.useBeta1));
    }
    return lrs;
  }

  protected override lrAtExplicitEpoch(): number[] {
    this.checkStepNumber(this.lastEpoch);
    return this.getLr(); // PyTorch has no closed form here: step(epoch) calls get_lr, momentum included
  }

  closedFormLr(): number[] {
    return this.schedule(this.lastEpoch).lrs;
  }

  private checkStepNumber(stepNum: number): void {
    if (stepNum > this.totalSteps) {
      throw new Error(`OneCycleLR: tried to step ${stepNum + 1} times; the specified number of total steps is ${this.totalSteps} (PyTorch allows one step past the end)`);
    }
  }

  /** The lr and momentum of every group at step `stepNum` (PyTorch's get_lr, without side effects). */
  private schedule(stepNum: number): { lrs: number[]; momenta: number[] } {
    const anneal = this.annealStrategy === 'cos' ? annealCos : annealLinear;
    const lrs: number[] = [];
    const momenta: number[] = [];
    const value = { initial: this.baseLrs, max: this.maxLrs, min: this.minLrs };
    const momentum = { base: this.baseMomentums, max: this.maxMomentums };
    const { phase, pct } = findPhase(this.phases, stepNum, this.pctStart * this.totalSteps);
    for (let i = 0; i < this.baseLrs.length; i++) {
      lrs.push(anneal(value[phase.startLr][i]!, value[phase.endLr][i]!, pct));
      momenta.push(anneal(momentum[phase.startMomentum][i]!, momentum[phase.endMomentum][i]!, pct));
    }
    return { lrs, momenta };
  }

  protected settings(): Record<string, SchedulerSetting> {
    return {
      totalSteps: this.totalSteps, pctStart: this.pctStart, annealStrategy: this.annealStrategy, cycleMomentum: this.cycleMomentum,
      useBeta1: this.useBeta1, threePhase: this.threePhase, maxLrs: [...this.maxLrs], minLrs: [...this.minLrs],
      maxMomentums: [...this.maxMomentums], baseMomentums: [...this.baseMomentums],
    };
  }

  protected loadSettings(sd: LRSchedulerStateDict, where: string): void {
    const groups = this.optimizer.paramGroups.length;
    const totalSteps = positiveInteger(sd.totalSteps, 'totalSteps', where);
    const pctStart = finiteNumber(sd.pctStart, 'pctStart', where);
    if (sd.annealStrategy !== 'cos' && sd.annealStrategy !== 'linear') throw new Error(`${where}: annealStrategy must be 'cos' or 'linear', got ${String(sd.annealStrategy)}`);
    for (const key of ['cycleMomentum', 'useBeta1', 'threePhase']) {
      if (typeof sd[key] !== 'boolean') throw new Error(`${where}: ${key} must be a boolean, got ${String(sd[key])}`);
    }
    const lists = ['maxLrs', 'minLrs', 'maxMomentums', 'baseMomentums'].map((key) => numberList(sd[key], key, groups, where));
    this.totalSteps = totalSteps;
    this.pctStart = pctStart;
    this.annealStrategy = sd.annealStrategy;
    this.cycleMomentum = sd.cycleMomentum as boolean;
    this.useBeta1 = sd.useBeta1 as boolean;
    this.threePhase = sd.threePhase as boolean;
    this.phases = makePhases(totalSteps, pctStart, this.threePhase);
    [this.maxLrs, this.minLrs, this.maxMomentums, this.baseMomentums] = lists as [number[], number[], number[], number[]];
  }
}

/** PyTorch's phase table (end steps are floats: pctStart·totalSteps need not be an integer). */
function makePhases(totalSteps: number, pctStart: number, threePhase: boolean): Phase[] {
  if (threePhase) {
    return [
      { endStep: pctStart * totalSteps - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
      { endStep: 2 * pctStart * totalSteps - 2, startLr: 'max', endLr: 'initial', startMomentum: 'base', endMomentum: 'max' },
      { endStep: totalSteps - 1, startLr: 'initial', endLr: 'min', startMomentum: 'max', endMomentum: 'max' },
    ];
  }
  return [
    { endStep: pctStart * totalSteps - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
    { endStep: totalSteps - 1, startLr: 'max', endLr: 'min', startMomentum: 'base', endMomentum: 'max' },
  ];
}

/**
 * The phase holding step `stepNum` (the last one beyond its end) and how far into it the step is,
 * 0 … 1. A phase of zero length would divide by zero (PyTorch raises ZeroDivisionError): a clear
 * error instead. `rampSteps` (pctStart·totalSteps) is for the message.
 */
function findPhase(phases: readonly Phase[], stepNum: number, rampSteps: number): { phase: Phase; pct: number } {
  let startStep = 0;
  for (let k = 0; k < phases.length; k++) {
    const phase = phases[k]!;
    if (stepNum <= phase.endStep || k === phases.length - 1) {
      if (phase.endStep === startStep) {
        throw new Error(`OneCycleLR: phase ${k + 1} has zero length (it starts and ends at step ${startStep}: pctStart·totalSteps = ${rampSteps}); PyTorch divides by zero here — change pctStart or totalSteps`);
      }
      return { phase, pct: (stepNum - startStep) / (phase.endStep - startStep) };
    }
    startStep = phase.endStep;
  }
  throw new Error('OneCycleLR: no phases'); // unreachable: makePhases returns two or three
}

/** Cosine anneal from `start` to `end` as pct goes from 0 to 1. */
function annealCos(start: number, end: number, pct: number): number {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2) * cosOut;
}

/** Linear anneal from `start` to `end` as pct goes from 0 to 1. */
function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

function cycleLength(options: OneCycleLROptions): number {
  const where = 'OneCycleLR';
  if (options.totalSteps !== undefined) return positiveInteger(options.totalSteps, 'totalSteps', where);
  if (options.epochs === undefined || options.stepsPerEpoch === undefined) {
    throw new Error(`${where}: give either totalSteps or both epochs and stepsPerEpoch`);
  }
  return positiveInteger(options.epochs, 'epochs', where) * positiveInteger(options.stepsPerEpoch, 'stepsPerEpoch', where);
}

function perGroup(value: number | readonly number[], name: string, groups: number): number[] {
  return numberList(Array.isArray(value) ? value : new Array<unknown>(groups).fill(value), name, groups, 'OneCycleLR');
}

function numberList(value: unknown, name: string, groups: number, where: string): number[] {
  if (!Array.isArray(value) || value.length !== groups) {
    throw new Error(`${where}: expected ${groups} values for ${name} (one per parameter group), got ${Array.isArray(value) ? value.length : String(value)}`);
  }
  return value.map((v, i) => finiteNumber(v, `${name}[${i}]`, where));
}

function setMomentum(group: MomentumGroup, value: number, useBeta1: boolean): void {
  if (useBeta1) {
    group.betas = [value, group.betas![1]];
  } else {
    group.momentum = value;
  }
}
