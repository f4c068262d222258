/**
 * Rewrites an experiment's table and charts from its `results.json` (after a change to the report
 * or the charts, or to put a finished run's pictures in the docs) without training again.
 *
 *   npx tsx experiment/render.ts results/            # rewrites results/results.md, the SVGs, the JSON
 *   npx tsx experiment/render.ts results/ docs/experiment/
 *   npx tsx experiment/render.ts results/ --target-accuracy 88   # steps to 88 % in the tables
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgumentError, parseTargetAccuracy } from './args.js';
import { parseResultsJson, writeResults, type ReportOptions } from './report.js';

/** Reads `from`/results.json and writes the outputs to `to` (default: the same directory); returns the paths. */
export function render(from: string, to = from, options: ReportOptions = {}): string[] {
  return writeResults(to, parseResultsJson(readFileSync(join(from, 'results.json'), 'utf8')), options);
}

const USAGE = 'usage: npx tsx experiment/render.ts RESULTS_DIR [OUT_DIR] [--target-accuracy X]';

/** The command line of render.ts: directories and the report options. */
export function parseRenderArgs(argv: readonly string[]): { from: string; to: string; options: ReportOptions } {
  const dirs: string[] = [];
  const options: ReportOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--target-accuracy' || arg.startsWith('--target-accuracy=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (value === undefined) throw new ArgumentError('--target-accuracy needs a value');
      options.targetAccuracy = parseTargetAccuracy(value, '--target-accuracy');
    } else if (arg.startsWith('--')) throw new ArgumentError(`unknown option ${arg} (${USAGE})`);
    else dirs.push(arg);
  }
  if (dirs.length < 1 || dirs.length > 2) throw new ArgumentError(USAGE);
  return { from: dirs[0]!, to: dirs[1] ?? dirs[0]!, options };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const { from, to, options } = parseRenderArgs(process.argv.slice(2));
    for (const f of render(from, to, options)) process.stdout.write(`${f}\n`);
  } catch (err) {
    process.stderr.write(`render: error: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}\n`);
    process.exitCode = 2;
  }
}
