/**
 * One implementation of one row, in a fresh process (spawned by bench/run.ts):
 * `tsx bench/child.ts <row index> <impl> <threads> <check|time|memory> <output file> [steps]`.
 * - `check` writes the output (float64, little-endian; `checkCalls` successive runs concatenated,
 *   converted to the reference layout) to the file;
 * - `time` times the run and writes the timing as JSON;
 * - `memory` runs it `steps` times, sampling `process.memoryUsage()`, and writes the samples and
 *   the process's peak RSS (`process.resourceUsage().maxRSS`) as JSON.
 * impl: `tsgrad`, a peer, `tsgrad-self-check` (the row's second tsgrad implementation) or
 * `ref:<peer>` (tsgrad computing what that peer computes).
 */
import { writeFileSync } from 'node:fs';
import { setNumThreads, warmUpPool } from '../src/tensor/parallel/pool.js';
import { DEFAULT_TIMING, flatOutput, outputParts, time, type Builder, type Built, type ImplName, type PeerName, type Run } from './harness.js';
import { ROWS } from './rows.js';

const [rowArg, implArg, threadsArg, modeArg, outFile, stepsArg] = process.argv.slice(2);
const row = ROWS[Number(rowArg)];
const impl = implArg as ImplName;
if (row === undefined || outFile === undefined) throw new Error(`bench/child.ts: bad arguments ${process.argv.slice(2).join(' ')}`);

const threads = Number(threadsArg);
setNumThreads(threads);
if (threads > 1) await warmUpPool();

function builder(): Builder {
  if (impl === 'tsgrad') return row!.tsgrad;
  if (impl === 'tsgrad-self-check') {
    if (row!.selfCheck === undefined) throw new Error(`${row!.name}: no self-check implementation`);
    return row!.selfCheck.build;
  }
  const peer = (impl.startsWith('ref:') ? impl.slice(4) : impl) as PeerName;
  const entry = row!.peers[peer];
  if (entry === undefined) throw new Error(`${row!.name}: no ${peer} implementation`);
  if (typeof entry === 'function') return entry;
  if (!impl.startsWith('ref:')) return entry.build;
  if (entry.reference === undefined) throw new Error(`${row!.name}: ${peer} has no tsgrad reference`);
  return entry.reference;
}

const made: Run | Built = await builder()();
const built: Built = typeof made === 'function' ? { run: made, toReference: (parts) => parts } : made;

if (modeArg === 'check') {
  const parts: ArrayLike<number>[] = [];
  for (let i = 0; i < (row.checkCalls ?? 1); i++) parts.push(...built.toReference(outputParts(built.run())).map((p) => Float64Array.from(p)));
  const out = flatOutput(parts);
  writeFileSync(outFile, Buffer.from(out.buffer));
} else if (modeArg === 'time') {
  writeFileSync(outFile, JSON.stringify(time(built.run, { ...DEFAULT_TIMING, ...row.timing })));
} else if (modeArg === 'memory') {
  const steps = Number(stepsArg);
  const every = Math.max(1, Math.floor(steps / 100));
  const samples: { step: number; rss: number; heapUsed: number; external: number; arrayBuffers: number }[] = [];
  const sample = (step: number): void => {
    const m = process.memoryUsage();
    samples.push({ step, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers });
  };
  sample(0);
  const start = performance.now();
  for (let s = 1; s <= steps; s++) {
    built.run();
    if (s % every === 0) sample(s);
  }
  const ms = performance.now() - start;
  writeFileSync(outFile, JSON.stringify({ steps, ms, samples, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
} else {
  throw new Error(`bench/child.ts: unknown mode ${modeArg}`);
}
