/**
 * Joins the results of an experiment that ran as N processes (`--shard K/N`, one per core) into one
 * results directory, as if one process had run the whole grid, and renders its table and charts.
 *
 *   npx tsx experiment/main.ts --full --threads 1 --shard 1/2 --out results/part1 &
 *   npx tsx experiment/main.ts --full --threads 1 --shard 2/2 --out results/part2 &
 *   wait; npx tsx experiment/merge.ts results/full results/part1 results/part2
 *
 * The parts must come from the same code, backend, data and options (all but the shard, the output
 * directory, the thread count — results do not depend on it — and the progress style); together
 * they must hold every run of the grid exactly once. Anything else is an error naming the part.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGrid, type ExperimentOptions } from './config.js';
import { parseResultsJson, writeResults } from './report.js';
import type { ExperimentResults, RunResult } from './results.js';

/** The options that may differ between the parts of one experiment. */
const PER_PART_OPTIONS = ['shard', 'outDir', 'threads', 'progress'] as const;

/** Options without the per-part ones, as comparable JSON. */
function sharedOptions(options: ExperimentOptions): string {
  const copy: Partial<ExperimentOptions> = { ...options };
  for (const key of PER_PART_OPTIONS) delete copy[key];
  return JSON.stringify(copy);
}

/** What must be equal in every part: the code, the kernels, the data and the shared options. */
function identity(r: ExperimentResults): Record<string, string> {
  const s = r.settings;
  return {
    options: sharedOptions(s.options),
    code: JSON.stringify(s.code),
    backend: String(s.backend),
    dataset: JSON.stringify(s.dataset),
    curveTestSize: String(s.curveTestSize),
    node: s.versions.node,
  };
}

/** argv without the given value flags (as `--flag value` or `--flag=value`). */
function withoutFlags(argv: readonly string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (flags.includes(arg)) i++;
    else if (!flags.some((f) => arg.startsWith(`${f}=`))) out.push(arg);
  }
  return out;
}

/**
 * Merges parts (each a parsed results.json, with the directory it came from for messages) into one.
 *
 * @example
 * ```ts
 * const whole = mergeResults([{ dir: 'p1', results: part1 }, { dir: 'p2', results: part2 }]);
 * whole.runs.length; // every configuration × seed
 * ```
 */
export function mergeResults(parts: readonly { dir: string; results: ExperimentResults }[]): ExperimentResults {
  if (parts.length === 0) throw new Error('merge: no parts given');
  const first = parts[0]!;
  const expected = identity(first.results);
  for (const part of parts.slice(1)) {
    const got = identity(part.results);
    for (const key of Object.keys(expected)) {
      if (got[key] !== expected[key]) throw new Error(`merge: ${part.dir} differs from ${first.dir} in ${key} (${got[key]} vs ${expected[key]})`);
    }
  }
  const options: ExperimentOptions = { ...first.results.settings.options, shard: null };
  const configurations = buildGrid(options);
  const seen = new Map<string, { dir: string; run: RunResult }>();
  for (const part of parts) {
    for (const run of part.results.runs) {
      const key = `${run.configId} seed ${run.seed}`;
      const earlier = seen.get(key);
      if (earlier !== undefined) throw new Error(`merge: ${key} is in both ${earlier.dir} and ${part.dir}`);
      seen.set(key, { dir: part.dir, run });
    }
  }
  // The single-process order: seed-major, configurations in grid order.
  const runs: RunResult[] = [];
  const missing: string[] = [];
  for (const seed of options.seeds) {
    for (const config of configurations) {
      const found = seen.get(`${config.id} seed ${seed}`);
      if (found === undefined) missing.push(`${config.id} seed ${seed}`);
      else runs.push(found.run);
    }
  }
  if (missing.length > 0) throw new Error(`merge: ${missing.length} run(s) missing from the parts, e.g. ${missing.slice(0, 3).join(', ')}`);
  if (runs.length !== seen.size) throw new Error(`merge: the parts hold ${seen.size - runs.length} run(s) that are not in the grid of their options`);

  const settings = first.results.settings;
  const started = parts.map((p) => p.results.settings.startedAt).sort();
  const finished = parts.map((p) => p.results.settings.finishedAt).sort();
  return {
    settings: {
      ...settings,
      options,
      // The command of one part without the per-part flags (each part's own is in `parts`).
      argv: withoutFlags(settings.argv, ['--shard', '--out', '--threads', '--progress']),
      // The parts ran side by side: the experiment took as long as its longest part.
      totalWallSeconds: Math.max(...parts.map((p) => p.results.settings.totalWallSeconds)),
      startedAt: started[0]!,
      finishedAt: finished[finished.length - 1]!,
      runsPlanned: runs.length,
      parts: parts.map((p) => ({
        shard: p.results.settings.options.shard,
        threads: p.results.settings.threads,
        runs: p.results.runs.length,
        wallSeconds: p.results.settings.totalWallSeconds,
      })),
    },
    configurations,
    runs,
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [out, ...dirs] = process.argv.slice(2);
  if (out === undefined || dirs.length === 0) {
    process.stderr.write('usage: npx tsx experiment/merge.ts OUT_DIR PART_DIR [PART_DIR …]\n');
    process.exitCode = 2;
  } else {
    try {
      const parts = dirs.map((dir) => ({ dir, results: parseResultsJson(readFileSync(join(dir, 'results.json'), 'utf8')) }));
      for (const f of writeResults(out, mergeResults(parts))) process.stdout.write(`${f}\n`);
    } catch (err) {
      process.stderr.write(`merge: error: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/^merge: /, '')}\n`);
      process.exitCode = 2;
    }
  }
}
