/**
 * `npm run bench`: every row of bench/rows.ts for tsgrad (on 1 thread and on the default thread
 * count) and its peers, in one run, printed as a markdown table and saved under bench/results/,
 * followed by the memory of the tsgrad train step over many steps.
 *
 * Each implementation runs in its own fresh process (bench/child.ts): loading a CommonJS peer
 * through tsx detaches an ArrayBuffer, which makes every typed-array access in that process ~25%
 * slower afterwards (V8's ArrayBufferDetaching protector; measured on matmul, bench/README.md),
 * so sharing a process would slow tsgrad down for a reason that has nothing to do with it.
 *
 * First every implementation computes its output once and the outputs are compared (tsgrad on N
 * threads must equal tsgrad on 1 thread bitwise; each peer, and the row's second tsgrad
 * implementation if it has one, must agree within the row's tolerance; the row's own validation,
 * e.g. losses finite and decreasing, must pass); an implementation that fails is not timed, and
 * the run exits with status 1 at the end. Timing: several rounds, implementations interleaved,
 * each round a fresh process with warm-up and samples (bench/harness.ts); the table shows the
 * median of the rounds' medians. An implementation slower than 1 s per run gets a single round.
 * Options: `--rows <substring>`, `--rounds <n>` (default 3), `--memory-steps <n>` (default 2000;
 * 0 skips the memory measurement).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src/tensor/backend.js';
import { getNumThreads } from '../src/tensor/parallel/pool.js';
import {
  DEFAULT_TIMING, PEERS, formatMs, formatThroughput, machineLine, markdownTable, relativeError,
  type BenchRow, type ImplName, type PeerName, type Timing,
} from './harness.js';
import { ROWS } from './rows.js';

/**
 * `npm run bench` compiles src/ and bench/ into .bench-build/ and runs them with plain `node`, as
 * a user's program runs tsgrad from its package: under tsx, V8's ArrayBufferDetaching protector is
 * invalidated even for pure ESM code, which puts an extra check on every typed-array access
 * (bench/README.md). Run from the sources (`npx tsx bench/run.ts`), the children run under tsx too.
 */
const compiled = import.meta.url.endsWith('.js');
const childScript = fileURLToPath(new URL(compiled ? './child.js' : './child.ts', import.meta.url));
const childCommand = compiled ? [childScript] : [createRequire(import.meta.url).resolve('tsx/cli'), childScript];
/** bench/results/ in the repository (the compiled run.js sits in .bench-build/bench/). */
const resultsUrl = new URL(compiled ? '../../bench/results/' : './results/', import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), 'tsgrad-bench-'));
/** tsgrad runs every row on both kernel backends (src/tensor/backend.ts). */
const BACKENDS: readonly Backend[] = ['js', 'wasm'];

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * Runs bench/child.ts and returns the file it wrote; throws with the child's error output. tsgrad
 * runs on `backend` (TSGRAD_BACKEND; the peers ignore it).
 */
function child(rowIndex: number, impl: ImplName, threads: number, mode: 'check' | 'time' | 'memory', extra: string[] = [], backend: Backend = 'js'): Buffer {
  const out = join(scratch, `${rowIndex}-${impl.replace(':', '_')}-${threads}-${backend}-${mode}`);
  const r = spawnSync(process.execPath, [...childCommand, String(rowIndex), impl, String(threads), mode, out, ...extra], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000, env: { ...process.env, TSGRAD_BACKEND: backend },
  });
  if (r.status !== 0) {
    const lines = (r.stderr || r.error?.message || `exit status ${r.status}`).trim().split('\n');
    // The error's own line (not the source excerpt tsx prints before it).
    const message = lines.find((l) => /Error/.test(l)) ?? lines[lines.length - 1];
    throw new Error(`${impl}, ${threads} thread(s), ${mode}: ${message}`);
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
  impl: 'tsgrad' | PeerName;
  threads: number;
  /** tsgrad's kernel backend (peers: 'js', unused). */
  backend: Backend;
}

interface RowResult {
  row: BenchRow;
  index: number;
  timings: Map<string, Timing>;
  rounds: Map<string, number>;
  /** What the checks found, for the notes. */
  checks: string[];
  /** Columns whose check failed, with the reason. */
  failed: Map<string, string>;
  load: number;
}

const fmtErr = (e: number): string => (e === 0 ? '0' : e.toExponential(1));

/**
 * Checks every implementation of a row; fills `checks` and `failed`. The reference is tsgrad on
 * the JS backend, 1 thread: more threads must give its bits on the same backend; the wasm
 * backend on 1 thread must agree with it within the row's tolerance (float32 sums differ), and
 * on more threads must give the bits of wasm on 1 thread.
 */
function checkRow(r: RowResult, columns: readonly Column[]): void {
  const { row, index } = r;
  const fail = (key: string, reason: string): void => {
    r.failed.set(key, reason);
    r.checks.push(`**check failed** (${key}): ${reason}`);
  };
  const validate = (who: string, out: Float64Array): string | null => {
    const problem = row.validate?.(out) ?? null;
    return problem === null ? null : `${who}: ${problem}`;
  };
  let reference: Float64Array;
  try {
    reference = outputOf(child(index, 'tsgrad', 1, 'check'));
  } catch (e) {
    for (const c of columns) if (c.impl === 'tsgrad') fail(c.key, (e as Error).message);
    return;
  }
  const tsgradKeys = columns.filter((c) => c.impl === 'tsgrad').map((c) => c.key);
  const problem = validate('tsgrad', reference);
  if (problem !== null) for (const k of tsgradKeys) fail(k, problem);
  if (row.checkCalls !== undefined && row.checkCalls > 1 && reference.length === row.checkCalls) {
    r.checks.push(`tsgrad's losses over the checked steps: ${[...reference].map((v) => v.toFixed(4)).join(', ')}`);
  }
  const oneThread = new Map<Backend, Float64Array>([['js', reference]]);
  for (const c of columns) {
    if (c.impl !== 'tsgrad' || (c.backend === 'js' && c.threads === 1)) continue;
    try {
      const out = outputOf(child(index, 'tsgrad', c.threads, 'check', [], c.backend));
      const single = oneThread.get(c.backend);
      if (single === undefined) {
        // wasm on 1 thread: within the tolerance of the JS reference.
        oneThread.set(c.backend, out);
        const err = relativeError(out, reference);
        const bad = validate(`tsgrad ${c.backend}`, out);
        if (!(err <= row.tolerance)) fail(c.key, `differs from tsgrad js (relative error ${fmtErr(err)} > ${row.tolerance})`);
        else if (bad !== null) fail(c.key, bad);
        else r.checks.push(`${c.backend} vs js ${fmtErr(err)}`);
      } else if (out.length !== single.length || out.some((v, i) => !Object.is(v, single[i]))) {
        fail(c.key, `differs from tsgrad ${c.backend} on 1 thread (relative error ${fmtErr(relativeError(out, single))}; must be bitwise equal)`);
      } else {
        r.checks.push(`${c.backend}: ${c.threads} threads bitwise equal to 1`);
      }
    } catch (e) {
      fail(c.key, (e as Error).message);
    }
  }
  if (row.selfCheck !== undefined) {
    try {
      const out = outputOf(child(index, 'tsgrad-self-check', 1, 'check'));
      const err = relativeError(reference, out);
      const bad = validate(row.selfCheck.name, out);
      if (!(err <= row.tolerance)) {
        for (const k of tsgradKeys) fail(k, `differs from ${row.selfCheck.name} (relative error ${fmtErr(err)} > ${row.tolerance})`);
      } else if (bad !== null) {
        for (const k of tsgradKeys) fail(k, bad);
      } else {
        r.checks.push(`vs ${row.selfCheck.name} ${fmtErr(err)}`);
      }
    } catch (e) {
      for (const k of tsgradKeys) fail(k, `${row.selfCheck.name}: ${(e as Error).message}`);
    }
  }
  for (const c of columns) {
    if (c.impl === 'tsgrad' || row.peers[c.impl] === undefined) continue;
    const entry = row.peers[c.impl]!;
    const hasOwnReference = typeof entry !== 'function' && entry.reference !== undefined;
    try {
      const base = hasOwnReference ? outputOf(child(index, `ref:${c.impl}`, 1, 'check')) : reference;
      const out = outputOf(child(index, c.impl, 1, 'check'));
      const err = relativeError(base, out);
      const against = hasOwnReference ? ` (against tsgrad computing the same: ${row.peerNotes?.[c.impl] ?? 'its own reference'})` : '';
      if (!(err <= row.tolerance)) fail(c.key, `differs from tsgrad${against} (relative error ${fmtErr(err)} > ${row.tolerance})`);
      else r.checks.push(`vs ${c.impl}${against} ${fmtErr(err)}`);
    } catch (e) {
      fail(c.key, (e as Error).message);
    }
  }
}

function benchRow(index: number, columns: readonly Column[], rounds: number): RowResult {
  const row = ROWS[index]!;
  const r: RowResult = { row, index, timings: new Map(), rounds: new Map(), checks: [], failed: new Map(), load: loadavg()[0]! };
  process.stderr.write(`${row.name} (load ${r.load.toFixed(2)})\n`);
  // 1. Outputs, compared before anything is timed.
  checkRow(r, columns);
  for (const line of r.checks) process.stderr.write(`  check: ${line}\n`);
  // 2. Timing rounds, implementations interleaved; a slow implementation gets one round.
  const all = new Map<string, Timing[]>();
  let active = columns.filter((c) => !r.failed.has(c.key) && (c.impl === 'tsgrad' || row.peers[c.impl] !== undefined));
  for (let round = 0; round < rounds && active.length > 0; round++) {
    for (const col of active) {
      try {
        const t = JSON.parse(child(index, col.impl, col.threads, 'time', [], col.backend).toString('utf8')) as Timing;
        all.set(col.key, [...(all.get(col.key) ?? []), t]);
        process.stderr.write(`  ${col.key} · round ${round + 1}: ${formatThroughput(row, t)}\n`);
      } catch (e) {
        r.failed.set(col.key, (e as Error).message);
        r.checks.push(`**timing failed** (${col.key}): ${(e as Error).message}`);
      }
    }
    active = active.filter((c) => !r.failed.has(c.key) && all.get(c.key)![0]!.median <= DEFAULT_TIMING.slowRunMs);
  }
  for (const [key, ts] of all) {
    r.timings.set(key, combine(ts));
    r.rounds.set(key, ts.length);
  }
  return r;
}

// ---- memory ------------------------------------------------------------------------------------

interface MemorySample {
  step: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface MemoryResult {
  steps: number;
  ms: number;
  samples: MemorySample[];
  maxRssBytes: number;
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** The memory of a train-step row's tsgrad run over `steps` steps, as markdown lines. */
function memoryReport(index: number, threads: number, steps: number, backend: Backend): string[] {
  const row = ROWS[index]!;
  process.stderr.write(`memory: ${row.name}, ${steps} steps, ${threads} threads, ${backend}\n`);
  const title = `### Memory: ${row.name}, tsgrad ${backend} on ${threads} threads, ${steps} steps in one process`;
  let m: MemoryResult;
  try {
    m = JSON.parse(child(index, 'tsgrad', threads, 'memory', [String(steps)], backend).toString('utf8')) as MemoryResult;
  } catch (e) {
    return [title, '', `**failed**: ${(e as Error).message}`];
  }
  const warm = Math.ceil(steps / 10);
  const after = m.samples.filter((s) => s.step >= warm);
  const first = after[0]!;
  const last = m.samples[m.samples.length - 1]!;
  // Least-squares slope of RSS over the steps after warm-up.
  const xm = after.reduce((s, p) => s + p.step, 0) / after.length;
  const ym = after.reduce((s, p) => s + p.rss, 0) / after.length;
  const sxy = after.reduce((s, p) => s + (p.step - xm) * (p.rss - ym), 0);
  const sxx = after.reduce((s, p) => s + (p.step - xm) ** 2, 0);
  const slope = sxx > 0 ? sxy / sxx : 0;
  const maxAfter = Math.max(...after.map((s) => s.rss));
  const rate = row.unit === 'samples/s' ? `${((row.work * steps * 1000) / m.ms).toFixed(0)} samples/s` : formatMs(m.ms / steps);
  const table = markdownTable(['measure', 'value'], [
    [`RSS before the first step (Node${compiled ? '' : ', the tsx loader'}, tsgrad, the model and the pool's workers)`, mb(m.samples[0]!.rss)],
    ['peak RSS (process.resourceUsage().maxRSS: the whole process, worker threads included)', mb(m.maxRssBytes)],
    [`RSS after warm-up (step ${first.step}) → at the end (step ${last.step})`, `${mb(first.rss)} → ${mb(last.rss)}`],
    ['RSS growth after warm-up (end − after warm-up)', mb(last.rss - first.rss)],
    [`RSS trend after warm-up (least-squares slope over ${after.length} samples)`, `${mb(slope * 1000)} per 1000 steps`],
    ['largest sampled RSS after warm-up', mb(maxAfter)],
    ['heapUsed after warm-up → at the end', `${mb(first.heapUsed)} → ${mb(last.heapUsed)}`],
    ['arrayBuffers after warm-up → at the end', `${mb(first.arrayBuffers)} → ${mb(last.arrayBuffers)}`],
    ['throughput over the whole run (warm-up included)', rate],
  ]);
  return [
    title,
    '',
    `\`process.memoryUsage()\` sampled every ${m.samples[1]?.step ?? steps} steps; warm-up = the first ${warm} steps. Target (issue 5): flat RSS after warm-up, under 150 MB. ${compiled ? 'Compiled JS under node.' : 'The process runs under tsx, whose loader thread adds about 33 MB (an empty script: 41 MB under node, 74 MB under tsx).'}`,
    '',
    table,
  ];
}

// ---- the report --------------------------------------------------------------------------------

function main(): void {
  const filter = option('rows');
  const rounds = Number(option('rounds') ?? 3);
  const memorySteps = Number(option('memory-steps') ?? 2000);
  const threads = getNumThreads();
  const tsgradColumns: Column[] = BACKENDS.flatMap((backend) => [
    { key: `tsgrad ${backend}, 1 thread`, impl: 'tsgrad' as const, threads: 1, backend },
    ...(threads > 1 ? [{ key: `tsgrad ${backend}, ${threads} threads`, impl: 'tsgrad' as const, threads, backend }] : []),
  ]);
  const columns: Column[] = [...tsgradColumns, ...PEERS.map((p) => ({ key: p, impl: p, threads: 1, backend: 'js' as const }))];
  const started = performance.now();
  const before = machineLine();
  const indices = ROWS.map((_, i) => i).filter((i) => filter === undefined || ROWS[i]!.name.includes(filter));
  if (indices.length === 0) {
    // A filter that matches nothing is a typo, not an empty benchmark.
    process.stderr.write(`bench: --rows ${filter}: no row's name contains it (rows: ${ROWS.map((r) => r.name).join('; ')})\n`);
    process.exit(2);
  }
  process.stderr.write(`tsgrad bench: ${indices.length} rows; tsgrad on 1 and ${threads} threads; ${rounds} rounds\n`);
  const results = indices.map((i) => benchRow(i, columns, rounds));
  const memoryRow = indices.find((i) => ROWS[i]!.memory === true);
  const memory = memorySteps > 0 && memoryRow !== undefined ? BACKENDS.flatMap((b) => memoryReport(memoryRow, threads, memorySteps, b)) : [];
  rmSync(scratch, { recursive: true, force: true });

  const tsgradKeys = tsgradColumns.map((c) => c.key);
  const perBackend = threads > 1 ? `js 1 t / js ${threads} t / wasm 1 t / wasm ${threads} t` : 'js / wasm';
  const header = [
    'work', ...tsgradKeys, `wasm ÷ js (${threads > 1 ? `1 t / ${threads} t` : '1 t'})`, ...PEERS, ...PEERS.map((p) => `speed-up vs ${p} (${perBackend})`), 'target (issues 5, 15)',
  ];
  /** How much faster the wasm backend ran than the JS backend, per thread count. */
  const wasmOverJs = (r: RowResult): string => tsgradColumns.filter((c) => c.backend === 'js').map((c) => {
    const js = r.timings.get(c.key);
    const wasm = r.timings.get(c.key.replace('tsgrad js', 'tsgrad wasm'));
    return js === undefined || wasm === undefined ? '?' : `${(js.median / wasm.median).toFixed(1)}×`;
  }).join(' / ');
  const cell = (r: RowResult, key: string, peer?: PeerName): string => {
    const note = peer === undefined ? undefined : r.row.peerNotes?.[peer];
    if (r.failed.has(key)) return 'check failed (notes)';
    const t = r.timings.get(key);
    if (t === undefined) return note === undefined ? '—' : `— (${note})`;
    return note === undefined ? formatThroughput(r.row, t) : `${formatThroughput(r.row, t)}, ${note}`;
  };
  const speedUp = (r: RowResult, peer: PeerName): string => {
    const p = r.timings.get(peer);
    if (p === undefined) return '—';
    const x = (key: string): string => {
      const t = r.timings.get(key);
      return t === undefined ? '?' : `${(p.median / t.median).toFixed(1)}×`;
    };
    return tsgradKeys.map(x).join(' / ');
  };
  const body = results.map((r) => [
    r.row.name, ...tsgradKeys.map((k) => cell(r, k)), wasmOverJs(r), ...PEERS.map((p) => cell(r, p, p)), ...PEERS.map((p) => speedUp(r, p)), r.row.target,
  ]);
  const details = results.map((r) => {
    const spans = [...r.timings].map(([k, t]) => `${k} ${formatMs(t.p25)}–${formatMs(t.p75)} (${r.rounds.get(k)} round${r.rounds.get(k) === 1 ? '' : 's'}, ${t.samples} samples)`).join('; ');
    const checks = r.checks.length > 0 ? r.checks.join('; ') : 'no check ran';
    const other = results.find((o) => o.row.name === r.row.compareWith);
    const ratio = (key: string): string => {
      const a = r.timings.get(key);
      const b = other?.timings.get(key);
      return a === undefined || b === undefined ? '?' : `${(a.median / b.median).toFixed(2)}×`;
    };
    const compared = other === undefined ? '' : ` Time ÷ the time of "${other.row.name}": ${tsgradKeys.map((k) => `${ratio(k)} (${k})`).join(', ')}.`;
    return `- **${r.row.name}** — ${r.row.note ?? ''} Checks: ${checks}.${compared} Quartile ranges: ${spans || 'not timed'}. Load average (1 min) at the row's start: ${r.load.toFixed(2)}.`;
  });
  const table = markdownTable(header, body);
  const stamp = new Date().toISOString();
  const minutes = (performance.now() - started) / 60000;
  const report = [
    `# tsgrad bench, ${stamp}`,
    '',
    `Command: \`npm run bench${process.argv.slice(2).length > 0 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (${minutes.toFixed(1)} min).`,
    `Machine at start: ${before}.`,
    `Machine at end: ${machineLine()}.`,
    `Each implementation in its own process; up to ${rounds} interleaved rounds, each with ≥ ${DEFAULT_TIMING.warmupMs} ms warm-up and up to ${DEFAULT_TIMING.samples} samples of ≥ ${DEFAULT_TIMING.minSampleMs} ms (at least ${DEFAULT_TIMING.minSamples} within ${DEFAULT_TIMING.budgetMs / 1000} s; one round for runs over ${DEFAULT_TIMING.slowRunMs / 1000} s; the train-step rows warm up for ≥ 3 s and take samples of ≥ 150 ms, to time a training run's steady state); compiled JS under node; the table shows the median of the rounds' medians. Speed-up = peer time ÷ tsgrad time. Relative error = max|tsgrad − other| / max|other| over all checked outputs.`,
    '',
    table,
    '',
    ...details,
    '',
    ...memory,
    '',
  ].join('\n');
  process.stdout.write(`${table}\n\n${memory.join('\n')}\n`);
  const dir = fileURLToPath(resultsUrl);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stamp.replace(/[:.]/g, '-')}.md`);
  writeFileSync(file, report);
  process.stderr.write(`saved ${file}\n`);
  if (results.some((r) => r.failed.size > 0)) {
    process.stderr.write('some checks failed: see the notes in the saved file\n');
    process.exitCode = 1;
  }
}

main();
