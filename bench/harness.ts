/**
 * Timing and reporting for `npm run bench`: warm-up, samples long enough to time reliably,
 * medians with the interquartile range, output checks, and the markdown table.
 */
import { cpus, loadavg } from 'node:os';

/** One implementation of a row (tsgrad or a peer): runs the work once, returns its output. */
export type Run = () => ArrayLike<number>;

export type PeerName = 'tfjs-cpu' | 'convnetjs';
export const PEERS: readonly PeerName[] = ['tfjs-cpu', 'convnetjs'];
/** An implementation: tsgrad or one of the peers. */
export type ImplName = 'tsgrad' | PeerName;

/**
 * A row of the table: what is measured and, per implementation, how to build its inputs and its
 * run. Inputs are built from the same seeded data for every implementation, and each
 * implementation runs in its own fresh process (bench/child.ts), so one library's loading or JIT
 * state cannot slow another.
 */
export interface BenchRow {
  name: string;
  /** What the throughput counts: floating-point operations or bytes read per run. */
  unit: 'GFLOP/s' | 'GB/s';
  /** Operations (or bytes) per run, for the throughput. */
  work: number;
  /** The target for tsgrad, as text. */
  target: string;
  /** Largest accepted max|a − b| / max|b| between tsgrad's output and each peer's. */
  tolerance: number;
  tsgrad(): Promise<Run>;
  /** Peers that can do this work; a missing peer gets "—" in the table. */
  peers: Partial<Record<PeerName, () => Promise<Run>>>;
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
  /** Each sample repeats the run until it lasts at least this long. */
  minSampleMs: number;
  /** Number of samples. */
  samples: number;
}

export const DEFAULT_TIMING: TimingOptions = { warmupMs: 400, minSampleMs: 25, samples: 15 };

/** Times `run`: warm-up, then `samples` samples of `reps` runs each; milliseconds per run. */
export function time(run: Run, options: TimingOptions = DEFAULT_TIMING): Timing {
  let reps = 1;
  const warmEnd = performance.now() + options.warmupMs;
  let calls = 0;
  while (performance.now() < warmEnd || calls < 3) {
    const t = performance.now();
    run();
    const dt = performance.now() - t;
    calls++;
    reps = Math.max(1, Math.ceil(options.minSampleMs / Math.max(dt, 1e-3)));
  }
  const perRun: number[] = [];
  for (let s = 0; s < options.samples; s++) {
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

/** Throughput text: "6.91 GFLOP/s (38.8 ms)". */
export function formatThroughput(row: BenchRow, t: Timing): string {
  const rate = row.work / (t.median * 1e6);
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
