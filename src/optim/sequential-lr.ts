/**
 * SequentialLR, as `torch.optim.lr_scheduler.SequentialLR`: hands the lr from one scheduler to the
 * next at milestone epochs (a warm-up followed by a decay, typically).
 */
import { checkRequiredOptions, type OptionNames } from '../tensor/options.js';
import { LRScheduler, type LRSchedulerStateDict, type SchedulableOptimizer, type SchedulerSetting } from './lr-scheduler.js';

/** SequentialLR's options. */
export interface SequentialLROptions {
  /** The schedulers, in the order they take over; all on the same optimizer. */
  schedulers: readonly LRScheduler[];
  /** The epochs at which the next scheduler takes over: one fewer than the schedulers, non-decreasing. */
  milestones: readonly number[];
  /** −1 (default) to start, or the epoch to resume from. */
  lastEpoch?: number;
}

const SEQUENTIAL_LR_OPTIONS: OptionNames<SequentialLROptions> = { schedulers: true, milestones: true, lastEpoch: true };

/**
 * Runs `schedulers[0]` until `milestones[0]`, then `schedulers[1]` until `milestones[1]`, and so on,
 * exactly as `torch.optim.lr_scheduler.SequentialLR` in PyTorch 1.13:
 *
 * - construction resets every group's lr to its `initialLr`, undoes the initial step the schedulers
 *   took when they were built (their `lastEpoch` goes back by one) and redoes it for the first only;
 * - at a milestone the next scheduler jumps to its epoch 0 through its closed form (PyTorch's
 *   `step(0)`), so it starts from the base lr times its epoch-0 factor, whatever the previous one
 *   left; between milestones it steps in its own (recursive) form.
 *
 * `getLastLr()` is the active scheduler's; `stateDict()` nests the schedulers' state dicts.
 * `closedFormLr()` is the active scheduler's closed form at its own epoch. A SequentialLR inside
 * a SequentialLR is rejected (PyTorch fails at the first milestone: its step takes no epoch).
 *
 * @example
 * ```ts
 * import { optim, zeros } from 'tsgrad';
 * const opt = new optim.SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
 * const warmup = new optim.LinearLR(opt, { startFactor: 0.1, totalIters: 2 });
 * const decay = new optim.ExponentialLR(opt, { gamma: 0.9 });
 * const sched = new optim.SequentialLR(opt, { schedulers: [warmup, decay], milestones: [2] });
 * // epochs 0, 1, 2, 3, 4: 0.1, 0.55, 1, 0.9, 0.81
 * ```
 */
export class SequentialLR extends LRScheduler {
  /** The schedulers, in order. */
  readonly schedulers: readonly LRScheduler[];
  /** The epochs at which the next scheduler takes over. */
  milestones: number[];

  constructor(optimizer: SchedulableOptimizer, options: SequentialLROptions) {
    const where = 'SequentialLR';
    checkRequiredOptions(options, SEQUENTIAL_LR_OPTIONS, where);
    const { schedulers, milestones } = options;
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new Error(`${where}: expected a non-empty array of schedulers`);
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new Error(`${where}: schedulers[${i}] is not an LRScheduler (ReduceLROnPlateau cannot be sequenced, as in PyTorch)`);
      if (s instanceof SequentialLR) throw new Error(`${where}: schedulers[${i}] is a SequentialLR; nest the schedulers in one SequentialLR instead`);
      if (s.optimizer !== optimizer) throw new Error(`${where}: schedulers[${i}] belongs to another optimizer than the one passed in; all schedulers must share it`);
    });
    const checked = checkMilestones(milestones, schedulers.length, where);
    super(optimizer, options.lastEpoch ?? -1, where);
    this.schedulers = [...schedulers];
    this.milestones = checked;
    this.lastEpoch += 1;
    // PyTorch's start: reset the lrs, undo every scheduler's initial step, redo the first one's.
    for (const g of optimizer.paramGroups) g.lr = g.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]!._initialStep();
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  /**
   * Advances one epoch: steps the scheduler whose interval holds the new epoch (at a milestone,
   * restarts the next one at its epoch 0).
   *
   * @example
   * ```ts
   * opt.step();
   * sched.step();
   * ```
   */
  override step(): void {
    this.lastEpoch += 1;
    const idx = this.activeIndex();
    const scheduler = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) {
      scheduler._stepTo(0);
    } else {
      scheduler.step();
    }
    this.lastLr = scheduler.getLastLr();
  }

  /** The index of the scheduler in charge at `lastEpoch` (Python's bisect_right over the milestones). */
  private activeIndex(): number {
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx]! <= this.lastEpoch) idx++;
    return idx;
  }

  protected getLr(): number[] {
    return this.currentLrs(); // not used: step() delegates to the schedulers
  }

  closedFormLr(): number[] {
    return this.schedulers[this.activeIndex()]!.closedFormLr();
  }

  protected settings(): Record<string, SchedulerSetting> {
    return { milestones: [...this.milestones], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  protected loadSettings(sd: LRSchedulerStateDict, where: string): void {
    const milestones = checkMilestones(sd.milestones, this.schedulers.length, where);
    const states = sd.schedulers;
    if (!Array.isArray(states) || states.length !== this.schedulers.length) {
      throw new Error(`${where}: schedulers must hold ${this.schedulers.length} state dicts, one per scheduler`);
    }
    const before = this.schedulers.map((s) => s.stateDict());
    try {
      this.schedulers.forEach((s, i) => s.loadStateDict(states[i] as LRSchedulerStateDict));
    } catch (error) {
      this.schedulers.forEach((s, i) => s.loadStateDict(before[i]!)); // nothing half-loaded
      throw error;
    }
    this.milestones = milestones;
  }
}

function checkMilestones(milestones: unknown, schedulers: number, where: string): number[] {
  if (!Array.isArray(milestones) || milestones.length !== schedulers - 1) {
    throw new Error(`${where}: expected one milestone fewer than schedulers (${schedulers} schedulers, so ${schedulers - 1} milestones), got ${Array.isArray(milestones) ? milestones.length : String(milestones)}`);
  }
  milestones.forEach((m, i) => {
    if (!Number.isInteger(m) || (m as number) < 0 || (i > 0 && (m as number) < (milestones[i - 1] as number))) {
      throw new Error(`${where}: milestones must be non-negative integer epochs in non-decreasing order, got ${JSON.stringify(milestones)}`);
    }
  });
  return [...(milestones as number[])];
}
