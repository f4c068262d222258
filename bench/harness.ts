/**
 * Timing and reporting for `npm run bench`: warm-up, samples long enough to time reliably,
 * medians with the interquartile range, output checks, and the markdown table.
 */
import { cpus, loadavg } from 'node:os';

/** What a run returns: its output, as one array or as several (concatenated for the check). */
export type Output = ArrayLike<number> | readonly ArrayLike<number>[];

/** One implementation of a row (tsgrad or a peer): runs the work once, returns its output. */
export type Run = () => Output;

/**
 * A built implementation with a conversion of its output into the reference layout (NCHW, PyTorch's
 * weight layout), applied for the check only, so the conversion is never timed.
 */
export interface Built {
  run: Run;
  toReference(parts: readonly ArrayLike<number>[]): readonly ArrayLike<number>[];
}

/** Builds an implementation's inputs and its run (in the child process that times it). */
export type Builder = () => Promise<Run | Built>;

export type PeerName = 'tfjs-cpu' | 'convnetjs' | 'tfjs-wasm' | 'jax-js';
export const PEERS: readonly PeerName[] = ['tfjs-cpu', 'convnetjs', 'tfjs-wasm', 'jax-js'];
/** An implementation: tsgrad, one of the peers, or tsgrad computing what a peer computes (`ref:…`). */
export type ImplName = 'tsgrad' | 'tsgrad-self-check' | PeerName | `ref:${PeerName}`;

/** A peer's implementation of a row, when it needs more than a builder. */
export interface PeerEntry {
  build: Builder;
  /**
   * tsgrad computing exactly what this peer computes, when that is not the row's tsgrad run (the
   * CNN without BatchNorm for convnetjs, which has none). The check compares the peer with it.
   */
  reference?: Builder;
}

/** The throughput's unit: operations, bytes or samples per second, or plain milliseconds per run. */
export type Unit = 'GFLOP/s' | 'GB/s' | 'samples/s' | 'ms' | 'µs/op';

/**
 * A row of the table: what is measured and, per implementation, how to build its inputs and its
 * run. Inputs are built from the same seeded data for every implementation, and each
 * implementation runs in its own fresh process (bench/child.ts), so one library's loading or JIT
 * state cannot slow another.
 */
export interface BenchRow {
  name: string;
  unit: Unit;
  /** Operations, bytes or samples per run, for the throughput (ignored for 'ms'; ops per run for 'µs/op'). */
  work: number;
  /** The target for tsgrad, as text. */
  target: string;
  /** Largest accepted max|a − b| / max|b| between tsgrad's output and each peer's. */
  tolerance: number;
  tsgrad: Builder;
  /** Peers that can do this work; a missing peer gets "—" in the table. */
  peers: Partial<Record<PeerName, Builder | PeerEntry>>;
  /**
   * A second tsgrad implementation of the same work (e.g. the composite norm built from autograd
   * primitives), compared with the row's tolerance — the check where no peer computes the same thing.
   */
  selfCheck?: { name: string; build: Builder };
  /** How many successive runs make the checked output (train steps: the losses of several steps). */
  checkCalls?: number;
  /** A further check of every checked output (e.g. losses finite and decreasing); null when it passes. */
  validate?(out: Float64Array): string | null;
  /** Shown under the table: what the row checks. */
  note?: string;
  /** The name of a row this one is compared with in the notes (BKN with BN): time ÷ its time. */
  compareWith?: string;
  /** Shown in a peer's cell: beside its number, or instead of "—" when it has no implementation. */
  peerNotes?: Partial<Record<PeerName, string>>;
  /** Measure the RSS of this row's tsgrad run over many runs (`--memory-steps`). */
  memory?: boolean;
  /** Timing options for this row, over {@link DEFAULT_TIMING} (the train steps warm up longer). */
  timing?: Partial<TimingOptions>;
}

/** The concatenation of an output's parts. */
export function flatOutput(out: Output): Float64Array {
  const parts: readonly ArrayLike<number>[] = isParts(out) ? out : [out];
  const total = parts.reduce((n, p) => n + p.length, 0);
  const flat = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) flat[at + i] = p[i]!;
    at += p.length;
  }
  return flat;
}

/** An output as a list of parts. */
export function outputParts(out: Output): readonly ArrayLike<number>[] {
  return isParts(out) ? out : [out];
}

function isParts(out: Output): out is readonly ArrayLike<number>[] {
  return Array.isArray(out) && (out.length === 0 || typeof out[0] !== 'number');
}

/** The timing of one implementation. */
export interface Timing {
  /** Median milliseconds per run. */
  median: number;
  p25: number;
  p75: number;
  samples: number;
}

function percentile(sorted: readonly number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

export interface TimingOptions {
  /** Warm-up time before sampling (JIT tiers, worker start-up, caches). */
  warmupMs: number;
  /** Warm-up calls wanted at least (fewer if a single call outlasts `slowRunMs`). */
  warmupCalls: number;
  /** Each sample repeats the run until it lasts at least this long. */
  minSampleMs: number;
  /** Number of samples. */
  samples: number;
  /** Sampling stops once it has taken this long and has `minSamples` samples (slow peers). */
  budgetMs: number;
  minSamples: number;
  /** A run longer than this is slow: one warm-up call, and (bench/run.ts) a single round. */
  slowRunMs: number;
}

export const DEFAULT_TIMING: TimingOptions = {
  warmupMs: 400, warmupCalls: 3, minSampleMs: 25, samples: 15, budgetMs: 6000, minSamples: 3, slowRunMs: 1000,
};

/**
 * Times `run`: warm-up, then up to `samples` samples of `reps` runs each (fewer when the budget
 * runs out); milliseconds per run.
 */
export function time(run: Run, options: TimingOptions = DEFAULT_TIMING): Timing {
  let reps = 1;
  const warmStart = performance.now();
  let calls = 0;
  for (;;) {
    const t = performance.now();
    run();
    const dt = performance.now() - t;
    calls++;
    reps = Math.max(1, Math.ceil(options.minSampleMs / Math.max(dt, 1e-3)));
    const elapsed = performance.now() - warmStart;
    if (elapsed >= options.warmupMs && (calls >= options.warmupCalls || dt > options.slowRunMs)) break;
  }
  const perRun: number[] = [];
  const sampleStart = performance.now();
  for (let s = 0; s < options.samples; s++) {
    if (s >= options.minSamples && performance.now() - sampleStart > options.budgetMs) break;
    const t = performance.now();
    for (let r = 0; r < reps; r++) run();
    perRun.push((performance.now() - t) / reps);
  }
  perRun.sort((a, b) => a - b);
  return { median: percentile(perRun, 0.5), p25: percentile(perRun, 0.25), p75: percentile(perRun, 0.75), samples: perRun.length };
}

/** max|a − b| / max(max|b|, tiny): the relative error of `a` against `b`. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / Math.max(den, 1e-30);
}

/** A deterministic float32 array of normal-ish values (a sum of uniforms), the same for every library. */
export function seededData(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = next() + next() + next() - 1.5;
  return out;
}

/** Throughput text: "6.91 GFLOP/s (38.8 ms)", "706 samples/s (45.3 ms)", "3.10 µs/op (155 µs)" or "5.00 ms". */
export function formatThroughput(row: BenchRow, t: Timing): string {
  if (row.unit === 'ms') return formatMs(t.median);
  if (row.unit === 'µs/op') return `${((t.median * 1000) / row.work).toFixed(2)} µs/op (${formatMs(t.median)})`;
  const rate = row.unit === 'samples/s' ? row.work / (t.median / 1000) : row.work / (t.median * 1e6);
  const digits = rate >= 100 ? 0 : rate >= 10 ? 1 : 2;
  return `${rate.toFixed(digits)} ${row.unit} (${formatMs(t.median)})`;
}

export function formatMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`;
}

/** A markdown table from a header and rows of cells. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The machine and load, for the saved results (a loaded machine means noisy numbers). */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const load = loadavg().map((v) => v.toFixed(2)).join(', ');
  return `${cpu}, ${cpus().length} cores, Node ${process.version}, load average ${load}`;
}
