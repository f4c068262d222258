/**
 * Rewrites an experiment's table and charts from its `results.json` (after a change to the report
 * or the charts, or to put a finished run's pictures in the docs) without training again.
 *
 *   npx tsx experiment/render.ts results/            # rewrites results/results.md, the SVGs, the JSON
 *   npx tsx experiment/render.ts results/ docs/experiment/
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResultsJson, writeResults } from './report.js';

/** Reads `from`/results.json and writes the outputs to `to` (default: the same directory); returns the paths. */
export function render(from: string, to = from): string[] {
  return writeResults(to, parseResultsJson(readFileSync(join(from, 'results.json'), 'utf8')));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [from, to] = process.argv.slice(2);
  if (from === undefined) {
    process.stderr.write('usage: npx tsx experiment/render.ts RESULTS_DIR [OUT_DIR]\n');
    process.exitCode = 2;
  } else {
    try {
      for (const f of render(from, to)) process.stdout.write(`${f}\n`);
    } catch (err) {
      process.stderr.write(`render: error: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}\n`);
      process.exitCode = 2;
    }
  }
}
