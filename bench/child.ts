/**
 * One implementation of one row, in a fresh process (spawned by bench/run.ts):
 * `tsx bench/child.ts <row index> <impl> <threads> <check|time> <output file>`.
 * `check` writes the run's output (float64, little-endian) to the file; `time` times the run and
 * writes the timing as JSON.
 */
import { writeFileSync } from 'node:fs';
import { setNumThreads, warmUpPool } from '../src/tensor/parallel/pool.js';
import { DEFAULT_TIMING, time, type ImplName, type Run } from './harness.js';
import { ROWS } from './rows.js';

const [rowArg, implArg, threadsArg, modeArg, outFile] = process.argv.slice(2);
const row = ROWS[Number(rowArg)];
const impl = implArg as ImplName;
if (row === undefined || outFile === undefined) throw new Error(`bench/child.ts: bad arguments ${process.argv.slice(2).join(' ')}`);

const threads = Number(threadsArg);
setNumThreads(threads);
if (threads > 1) await warmUpPool();

let run: Run;
if (impl === 'tsgrad') {
  run = await row.tsgrad();
} else {
  const make = row.peers[impl];
  if (make === undefined) throw new Error(`${row.name}: no ${impl} implementation`);
  run = await make();
}

if (modeArg === 'check') {
  const out = Float64Array.from(run());
  writeFileSync(outFile, Buffer.from(out.buffer));
} else {
  writeFileSync(outFile, JSON.stringify(time(run, DEFAULT_TIMING)));
}
