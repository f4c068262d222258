/**
 * `npm run bench`: every row of bench/rows.ts for tsgrad (on 1 thread and on the default thread
 * count) and its peers, in one run, printed as a markdown table and saved under bench/results/.
 *
 * Each implementation runs in its own fresh process (bench/child.ts): loading a CommonJS peer
 * through tsx detaches an ArrayBuffer, which makes every typed-array access in that process ~25%
 * slower afterwards (V8's ArrayBufferDetaching protector; measured on matmul, bench/README.md),
 * so sharing a process would slow tsgrad down for a reason that has nothing to do with it.
 *
 * First every implementation computes its output once and the outputs are compared (tsgrad on N
 * threads must equal tsgrad on 1 thread bitwise; each peer must agree within the row's
 * tolerance); only then is anything timed. Timing: several rounds, implementations interleaved,
 * each round a fresh process with warm-up and samples (bench/harness.ts); the table shows the
 * median of the rounds' medians. Options: `--rows <substring>`, `--rounds <n>` (default 3).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getNumThreads } from '../src/tensor/parallel/pool.js';
import {
  DEFAULT_TIMING, PEERS, formatMs, formatThroughput, machineLine, markdownTable, relativeError,
  type BenchRow, type ImplName, type PeerName, type Timing,
} from './harness.js';
import { ROWS } from './rows.js';

const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const childScript = fileURLToPath(new URL('./child.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'tsgrad-bench-'));

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Runs bench/child.ts and returns the file it wrote. */
function child(rowIndex: number, impl: ImplName, threads: number, mode: 'check' | 'time'): Buffer {
  const out = join(scratch, `${rowIndex}-${impl}-${threads}-${mode}`);
  const r = spawnSync(process.execPath, [tsxCli, childScript, String(rowIndex), impl, String(threads), mode, out], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000,
  });
  if (r.status !== 0) {
    throw new Error(`bench child (${ROWS[rowIndex]!.name}, ${impl}, ${threads} threads, ${mode}) failed: ${r.stderr || r.error?.message}`);
  }
  return readFileSync(out);
}

function outputOf(buffer: Buffer): Float64Array {
  return new Float64Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 8);
}

/** Median of the rounds' medians; the quartiles span the rounds' quartiles. */
function combine(timings: readonly Timing[]): Timing {
  const medians = timings.map((t) => t.median).sort((a, b) => a - b);
  return {
    median: medians[Math.floor(medians.length / 2)]!,
    p25: Math.min(...timings.map((t) => t.p25)),
    p75: Math.max(...timings.map((t) => t.p75)),
    samples: timings.reduce((s, t) => s + t.samples, 0),
  };
}

interface Column {
  key: string;
  impl: ImplName;
  threads: number;
}

interface RowResult {
  row: BenchRow;
  timings: Map<string, Timing>;
  errors: Map<PeerName, number>;
}

function benchRow(rowIndex: number, columns: readonly Column[], rounds: number): RowResult {
  const row = ROWS[rowIndex]!;
  const available = columns.filter((c) => c.impl === 'tsgrad' || row.peers[c.impl] !== undefined);
  // 1. Outputs, compared before anything is timed.
  const reference = outputOf(child(rowIndex, 'tsgrad', 1, 'check'));
  const errors = new Map<PeerName, number>();
  for (const col of available) {
    if (col.impl === 'tsgrad' && col.threads === 1) continue;
    const out = outputOf(child(rowIndex, col.impl, col.threads, 'check'));
    if (col.impl === 'tsgrad') {
      if (relativeError(out, reference) !== 0 || out.some((v, i) => !Object.is(v, reference[i]))) {
        throw new Error(`${row.name}: tsgrad on ${col.threads} threads differs from tsgrad on 1 thread`);
      }
      continue;
    }
    const err = relativeError(reference, out);
    errors.set(col.impl, err);
    if (!(err <= row.tolerance)) {
      throw new Error(`${row.name}: tsgrad's output differs from ${col.impl}'s (relative error ${err.toExponential(2)} > ${row.tolerance})`);
    }
  }
  // 2. Timing rounds, implementations interleaved.
  const all = new Map<string, Timing[]>();
  for (let r = 0; r < rounds; r++) {
    for (const col of available) {
      const t = JSON.parse(child(rowIndex, col.impl, col.threads, 'time').toString('utf8')) as Timing;
      all.set(col.key, [...(all.get(col.key) ?? []), t]);
      process.stderr.write(`  ${row.name} · ${col.key} · round ${r + 1}: ${formatThroughput(row, t)}\n`);
    }
  }
  const timings = new Map<string, Timing>();
  for (const [key, ts] of all) timings.set(key, combine(ts));
  return { row, timings, errors };
}

function main(): void {
  const filter = option('rows');
  const rounds = Number(option('rounds') ?? 3);
  const threads = getNumThreads();
  const columns: Column[] = [
    { key: 'tsgrad, 1 thread', impl: 'tsgrad', threads: 1 },
    { key: `tsgrad, ${threads} threads`, impl: 'tsgrad', threads },
    ...PEERS.map((p) => ({ key: p, impl: p, threads: 1 })),
  ];
  const before = machineLine();
  const indices = ROWS.map((_, i) => i).filter((i) => filter === undefined || ROWS[i]!.name.includes(filter));
  process.stderr.write(`tsgrad bench: ${indices.length} rows; tsgrad on 1 and ${threads} threads; ${rounds} rounds\n`);
  const results = indices.map((i) => benchRow(i, columns, rounds));
  rmSync(scratch, { recursive: true, force: true });

  const one = columns[0]!.key;
  const many = columns[1]!.key;
  const header = [
    'work', one, many, ...PEERS, ...PEERS.map((p) => `speed-up vs ${p} (1 t / ${threads} t)`), 'target (issue 5)',
  ];
  const cell = (r: RowResult, key: string): string => {
    const t = r.timings.get(key);
    return t === undefined ? '—' : formatThroughput(r.row, t);
  };
  const speedUp = (r: RowResult, peer: PeerName): string => {
    const p = r.timings.get(peer);
    if (p === undefined) return '—';
    const x = (key: string): string => `${(p.median / r.timings.get(key)!.median).toFixed(1)}×`;
    return `${x(one)} / ${x(many)}`;
  };
  const body = results.map((r) => [
    r.row.name, cell(r, one), cell(r, many), ...PEERS.map((p) => cell(r, p)), ...PEERS.map((p) => speedUp(r, p)), r.row.target,
  ]);
  const details = results.map((r) => {
    const spans = [...r.timings].map(([k, t]) => `${k} ${formatMs(t.p25)}–${formatMs(t.p75)}`).join(', ');
    const errs = [...r.errors].map(([p, e]) => `vs ${p} ${e.toExponential(1)}`).join(', ');
    return `- ${r.row.name}: quartile range of the samples: ${spans}. Output relative error ${errs || '(no peer)'}; ${threads} threads bitwise equal to 1.`;
  });
  const table = markdownTable(header, body);
  const stamp = new Date().toISOString();
  const report = [
    `# tsgrad bench, ${stamp}`,
    '',
    `Machine at start: ${before}.`,
    `Machine at end: ${machineLine()}.`,
    `Each implementation in its own process; ${rounds} interleaved rounds, each with ${DEFAULT_TIMING.warmupMs} ms warm-up and ${DEFAULT_TIMING.samples} samples of ≥ ${DEFAULT_TIMING.minSampleMs} ms; the table shows the median of the rounds' medians. Speed-up = peer time ÷ tsgrad time.`,
    '',
    table,
    '',
    ...details,
    '',
  ].join('\n');
  process.stdout.write(`${table}\n`);
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stamp.replace(/[:.]/g, '-')}.md`);
  writeFileSync(file, report);
  process.stderr.write(`saved ${file}\n`);
}

main();
