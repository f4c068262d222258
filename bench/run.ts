/**
 * `npm run bench`: every row of bench/rows.ts for tsgrad (on 1 thread and on the default thread
 * count) and its peers, in one run. Outputs are checked against each peer before anything is
 * timed; each implementation is timed in several rounds, interleaved with the others, and the
 * median over all samples is reported. Prints a markdown table and saves it under
 * bench/results/. Options: `--rows <substring>` to run only matching rows, `--rounds <n>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { getNumThreads, setNumThreads, warmUpPool } from '../src/tensor/parallel/pool.js';
import {
  DEFAULT_TIMING, PEERS, formatThroughput, machineLine, markdownTable, relativeError, time,
  type BenchRow, type PeerName, type Run, type Timing,
} from './harness.js';
import { ROWS } from './rows.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Median of several timings' medians and the widest quartile range among them. */
function combine(timings: readonly Timing[]): Timing {
  const medians = timings.map((t) => t.median).sort((a, b) => a - b);
  const mid = medians[Math.floor(medians.length / 2)]!;
  return {
    median: mid,
    p25: Math.min(...timings.map((t) => t.p25)),
    p75: Math.max(...timings.map((t) => t.p75)),
    samples: timings.reduce((s, t) => s + t.samples, 0),
  };
}

interface RowResult {
  row: BenchRow;
  one: Timing;
  many: Timing;
  peers: Partial<Record<PeerName, Timing>>;
  errors: Partial<Record<PeerName, number>>;
}

async function setThreads(n: number): Promise<void> {
  setNumThreads(n);
  if (n > 1) await warmUpPool();
}

async function benchRow(row: BenchRow, defaultThreads: number, rounds: number): Promise<RowResult> {
  const inst = await row.setup();
  const errors: Partial<Record<PeerName, number>> = {};
  await setThreads(1);
  const mine = inst.tsgrad();
  for (const peer of PEERS) {
    const run = inst.peers[peer];
    if (run === undefined) continue;
    const err = relativeError(mine, run());
    errors[peer] = err;
    if (!(err <= inst.tolerance)) {
      throw new Error(`${row.name}: tsgrad's output differs from ${peer}'s (relative error ${err.toExponential(2)} > ${inst.tolerance})`);
    }
  }
  await setThreads(defaultThreads);
  const manyCheck = relativeError(inst.tsgrad(), mine);
  if (manyCheck !== 0) throw new Error(`${row.name}: ${defaultThreads} threads give a different result than 1 thread (${manyCheck})`);

  const runs: { key: 'one' | 'many' | PeerName; threads: number; run: Run }[] = [
    { key: 'one', threads: 1, run: inst.tsgrad },
    { key: 'many', threads: defaultThreads, run: inst.tsgrad },
  ];
  for (const peer of PEERS) {
    const run = inst.peers[peer];
    if (run !== undefined) runs.push({ key: peer, threads: 1, run });
  }
  const timings = new Map<string, Timing[]>();
  const perRound = { ...DEFAULT_TIMING, samples: Math.max(3, Math.ceil(DEFAULT_TIMING.samples / rounds)) };
  for (let r = 0; r < rounds; r++) {
    for (const { key, threads, run } of runs) {
      await setThreads(threads);
      const t = time(run, perRound);
      timings.set(key, [...(timings.get(key) ?? []), t]);
      process.stderr.write(`  ${row.name} · ${key} · round ${r + 1}: ${formatThroughput(row, t)}\n`);
    }
  }
  const peers: Partial<Record<PeerName, Timing>> = {};
  for (const peer of PEERS) {
    const t = timings.get(peer);
    if (t !== undefined) peers[peer] = combine(t);
  }
  return { row, one: combine(timings.get('one')!), many: combine(timings.get('many')!), peers, errors };
}

function ratio(mine: Timing, peer: Timing | undefined): string {
  if (peer === undefined) return '—';
  return `${(peer.median / mine.median).toFixed(1)}×`;
}

async function main(): Promise<void> {
  const filter = option('rows');
  const rounds = Number(option('rounds') ?? 3);
  const defaultThreads = getNumThreads();
  const rows = ROWS.filter((r) => filter === undefined || r.name.includes(filter));
  const before = machineLine();
  process.stderr.write(`tsgrad bench: ${rows.length} rows, tsgrad on 1 and ${defaultThreads} threads, ${rounds} rounds\n`);
  const results: RowResult[] = [];
  for (const row of rows) results.push(await benchRow(row, defaultThreads, rounds));
  setNumThreads(defaultThreads);

  const header = [
    'work', 'tsgrad, 1 thread', `tsgrad, ${defaultThreads} threads`, ...PEERS,
    ...PEERS.map((p) => `speed-up vs ${p} (1 t / ${defaultThreads} t)`), 'target (issue 5)',
  ];
  const body = results.map((r) => [
    r.row.name,
    formatThroughput(r.row, r.one),
    formatThroughput(r.row, r.many),
    ...PEERS.map((p) => {
      const t = r.peers[p];
      return t === undefined ? '—' : formatThroughput(r.row, t);
    }),
    ...PEERS.map((p) => {
      const t = r.peers[p];
      return t === undefined ? '—' : `${ratio(r.one, t)} / ${ratio(r.many, t)}`;
    }),
    r.row.target,
  ]);
  const spread = results.map((r) => {
    const q = (t: Timing): string => `${t.p25.toFixed(2)}–${t.p75.toFixed(2)} ms`;
    const peers = PEERS.filter((p) => r.peers[p] !== undefined).map((p) => `${p} ${q(r.peers[p]!)}`);
    const errs = PEERS.filter((p) => r.errors[p] !== undefined).map((p) => `vs ${p} ${r.errors[p]!.toExponential(1)}`);
    return `- ${r.row.name}: quartiles 1 t ${q(r.one)}, ${defaultThreads} t ${q(r.many)}${peers.length > 0 ? `, ${peers.join(', ')}` : ''}; output relative error ${errs.join(', ')}`;
  });
  const table = markdownTable(header, body);
  const stamp = new Date().toISOString();
  const report = [
    `# tsgrad bench, ${stamp}`,
    '',
    `Machine at start: ${before}.`,
    `Machine at end: ${machineLine()}.`,
    `Cores available: ${availableParallelism()}. Medians over ${rounds} interleaved rounds (warm-up ${DEFAULT_TIMING.warmupMs} ms per round, samples of ≥ ${DEFAULT_TIMING.minSampleMs} ms); speed-up = peer time ÷ tsgrad time.`,
    '',
    table,
    '',
    'Spread and output checks:',
    ...spread,
    '',
  ].join('\n');
  process.stdout.write(`${table}\n`);
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${stamp.replace(/[:.]/g, '-')}.md`;
  writeFileSync(file, report);
  process.stderr.write(`saved ${file}\n`);
}

await main();
