// examples/mnist-cnn.ts runs end to end in a tiny configuration (CI): it trains, reports a held-out
// accuracy well above chance, and saves weights that load into the same structure and reproduce it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nn } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgrad-mnist-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('examples/mnist-cnn.ts', () => {
  it('trains on a small subset, reports accuracy and saves loadable weights', () => {
    const out = join(dir, 'weights.safetensors');
    const script = fileURLToPath(new URL('../../examples/mnist-cnn.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', script, '--epochs', '1', '--limit', '500', '--out', out], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const accuracy = /test accuracy ([\d.]+)% on (\d+) held-out digits/.exec(run.stdout);
    expect(accuracy, run.stdout).not.toBeNull();
    expect(Number(accuracy![2])).toBe(100);
    // One epoch on 400 digits: far from 97%, but far above the 10% of guessing.
    expect(Number(accuracy![1])).toBeGreaterThan(40);
    const reloaded = /reloaded accuracy ([\d.]+)%/.exec(run.stdout);
    expect(reloaded![1]).toBe(accuracy![1]);
    const state = nn.loadSafetensors(out);
    expect([...state.keys()]).toEqual(['0.weight', '0.bias', '3.weight', '3.bias', '7.weight', '7.bias']);
    expect(state.get('7.weight')!.shape).toEqual([10, 784]);
  });
});
