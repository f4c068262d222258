/**
 * Progress while the experiment runs. On a terminal: one bar per run, redrawn in place (steps, the
 * smoothed training loss, samples per second, time left). Anywhere else (CI, a log file): plain
 * lines at each tenth of a run, so a log stays short and readable.
 */
import { formatDuration } from './stats.js';

/** Where progress goes: `process.stderr` or a test's collector. */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type ProgressStyle = 'bar' | 'lines' | 'none';

/** Chooses the style for `--progress auto`: a bar on a terminal, lines otherwise. */
export function progressStyle(requested: 'auto' | ProgressStyle, sink: ProgressSink): ProgressStyle {
  if (requested !== 'auto') return requested;
  return sink.isTTY === true ? 'bar' : 'lines';
}

interface RunState {
  label: string;
  index: number;
  totalSteps: number;
  batch: number;
  start: number;
  step: number;
  /** Exponential moving average of the loss (what the bar shows; one step's loss is noise). */
  smoothLoss: number;
  lastDraw: number;
  lastDecile: number;
  trainSeconds: number | null;
}

/** Minimum time between two redraws of the bar (a redraw per step would cost more than a tiny step). */
const REDRAW_MS = 100;
const BAR_MIN = 10;
const BAR_MAX = 30;

/** The width a bar line assumes when the terminal does not tell a usable one. */
export const DEFAULT_COLUMNS = 100;

/**
 * The terminal's width, or {@link DEFAULT_COLUMNS} when it reports none or nonsense: a pseudo-terminal
 * without a size (`script -qc`, some CI runners) reports 0 columns, and `?? 100` lets 0 through.
 */
export function terminalColumns(reported: number | undefined): number {
  return reported !== undefined && Number.isInteger(reported) && reported > 0 ? reported : DEFAULT_COLUMNS;
}

/**
 * Reports the progress of a sequence of training runs.
 *
 * @example
 * ```ts
 * const p = new ProgressReporter(process.stderr, 'lines', 6);
 * p.startRun('cnn bn nb 2 seed 0', 250, 32);
 * for (let s = 1; s <= 250; s++) p.step(s, 0.5);
 * p.endRun('eval acc 96.1%');
 * ```
 */
export class ProgressReporter {
  private run: RunState | null = null;
  private runsDone = 0;
  private runSeconds = 0;

  constructor(
    private readonly sink: ProgressSink,
    private readonly style: ProgressStyle,
    private readonly totalRuns: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Begins a run of `totalSteps` optimizer steps of `batch` samples. */
  startRun(label: string, totalSteps: number, batch: number): void {
    const now = this.clock();
    this.run = { label, index: this.runsDone + 1, totalSteps, batch, start: now, step: 0, smoothLoss: NaN, lastDraw: -Infinity, lastDecile: 0, trainSeconds: null };
    if (this.style === 'lines') this.sink.write(`${this.prefix()} ${label}: ${totalSteps} steps of ${batch} samples\n`);
    if (this.style === 'bar') this.draw(now);
  }

  /**
   * Records that optimizer step `step` (1-based) finished with training loss `loss`; `trainSeconds`
   * (the time spent training so far, evaluations excluded) makes samples/s a training rate.
   */
  step(step: number, loss: number, trainSeconds?: number): void {
    const r = this.run;
    if (r === null) return;
    r.step = step;
    r.trainSeconds = trainSeconds ?? null;
    r.smoothLoss = Number.isNaN(r.smoothLoss) || !Number.isFinite(loss) ? loss : 0.9 * r.smoothLoss + 0.1 * loss;
    const now = this.clock();
    if (this.style === 'bar') {
      if (now - r.lastDraw >= REDRAW_MS || step === r.totalSteps) this.draw(now);
    } else if (this.style === 'lines') {
      const decile = Math.floor((10 * step) / r.totalSteps);
      if (decile > r.lastDecile) {
        r.lastDecile = decile;
        this.sink.write(`${this.prefix()} ${r.label}: ${this.stats(now)}\n`);
      }
    }
  }

  /** A line of information about the current run (an evaluation, say), kept above the bar. */
  note(text: string): void {
    if (this.style === 'none') return;
    if (this.style === 'bar') this.sink.write(`\r\x1b[2K${text}\n`);
    else this.sink.write(`${text}\n`);
    if (this.style === 'bar' && this.run !== null) this.draw(this.clock());
  }

  /** Ends the current run with a one-line summary, and estimates the time left for the others. */
  endRun(summary: string): void {
    const r = this.run;
    if (r === null) return;
    const now = this.clock();
    const seconds = (now - r.start) / 1000;
    this.runsDone++;
    this.runSeconds += seconds;
    const left = this.totalRuns - this.runsDone;
    const eta = left > 0 ? `; about ${formatDuration((this.runSeconds / this.runsDone) * left)} left for ${left} more` : '';
    const line = `${this.prefix(r.index)} ${r.label}: ${summary} (${seconds.toFixed(1)} s${eta})`;
    if (this.style === 'bar') this.sink.write(`\r\x1b[2K${line}\n`);
    else if (this.style === 'lines') this.sink.write(`${line}\n`);
    this.run = null;
  }

  private prefix(index = this.run?.index ?? this.runsDone): string {
    return `[${index}/${this.totalRuns}]`;
  }

  private stats(now: number): string {
    const r = this.run!;
    const elapsed = (now - r.start) / 1000;
    const trainTime = r.trainSeconds ?? elapsed;
    const rate = trainTime > 0 ? (r.step * r.batch) / trainTime : NaN;
    const eta = r.step > 0 ? (elapsed / r.step) * (r.totalSteps - r.step) : NaN;
    const loss = Number.isNaN(r.smoothLoss) ? '—' : r.smoothLoss.toFixed(4);
    const rateText = Number.isFinite(rate) ? `${rate.toFixed(0)} samples/s` : '— samples/s';
    return `${r.step}/${r.totalSteps} steps  loss ${loss}  ${rateText}  ETA ${formatDuration(eta)}`;
  }

  private draw(now: number): void {
    const r = this.run!;
    r.lastDraw = now;
    const head = `${this.prefix()} ${r.label} `;
    const tail = ` ${this.stats(now)}`;
    const columns = terminalColumns(this.sink.columns);
    // The bar gets what the text leaves of the line (at most BAR_MAX); below BAR_MIN it is left out.
    const room = columns - 1 - head.length - tail.length - 2;
    let bar = '';
    if (room >= BAR_MIN) {
      const width = Math.min(BAR_MAX, room);
      const filled = r.totalSteps > 0 ? Math.round((width * r.step) / r.totalSteps) : 0;
      bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    }
    // \r returns to the line start, \x1b[2K clears it: the bar is redrawn in place (cut to the
    // terminal's width, or a wrapped line would scroll instead).
    this.sink.write(`\r\x1b[2K${`${head}${bar}${tail}`.slice(0, columns - 1)}`);
  }
}
