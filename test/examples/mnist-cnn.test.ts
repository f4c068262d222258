// examples/mnist-cnn.ts runs end to end in a tiny configuration (CI): it trains, reports a held-out
// accuracy well above chance, and saves weights that load into the same structure and reproduce it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { data, nn } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgrad-mnist-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = fileURLToPath(new URL('../../examples/mnist-cnn.ts', import.meta.url));

function runExample(args: string[]): string {
  const run = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

/** An IDX file: magic (0, 0, type 0x08 = unsigned byte, ndim), big-endian sizes, then the bytes. */
function idx(shape: number[], bytes: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header.writeUInt8(0x08, 2);
  header.writeUInt8(shape.length, 3);
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(bytes)]);
}

describe('examples/mnist-cnn.ts', () => {
  it('trains on a small subset, reports accuracy and saves loadable weights', () => {
    const out = join(dir, 'weights.safetensors');
    const stdout = runExample(['--epochs', '1', '--limit', '500', '--out', out]);
    const accuracy = /test accuracy ([\d.]+)% on (\d+) held-out digits/.exec(stdout);
    expect(accuracy, stdout).not.toBeNull();
    expect(Number(accuracy![2])).toBe(100);
    // One epoch on 400 digits: far from 97%, but far above the 10% of guessing.
    expect(Number(accuracy![1])).toBeGreaterThan(40);
    const reloaded = /a fresh model loaded from it scores ([\d.]+)%/.exec(stdout);
    expect(reloaded![1]).toBe(accuracy![1]);
    const state = nn.loadSafetensors(out);
    expect([...state.keys()]).toEqual(['0.weight', '0.bias', '3.weight', '3.bias', '7.weight', '7.bias']);
    expect(state.get('7.weight')!.shape).toEqual([10, 784]);
  });

  it('reads MNIST IDX files with --data (here: 1000 of the package digits written as gzipped IDX)', () => {
    const { images, labels } = data.loadMnistPackage();
    // The package is grouped by class: every 10th digit, in the order j ↦ 7919·j mod 1000, mixes
    // the classes so that both splits hold all ten.
    const pick = Array.from({ length: 1000 }, (_, j) => ((7919 * j) % 1000) * 10);
    const pixels = images.toArray();
    const imageBytes = new Uint8Array(pick.length * 784);
    pick.forEach((s, i) => {
      for (let p = 0; p < 784; p++) imageBytes[i * 784 + p] = Math.round(pixels[s * 784 + p]! * 255);
    });
    const labelBytes = Uint8Array.from(pick.map((s) => labels.toArray()[s]!));
    const mnistDir = join(dir, 'idx');
    mkdirSync(mnistDir);
    const split = (name: string, from: number, to: number): void => {
      writeFileSync(join(mnistDir, `${name}-images-idx3-ubyte.gz`), gzipSync(idx([to - from, 28, 28], imageBytes.subarray(from * 784, to * 784))));
      writeFileSync(join(mnistDir, `${name}-labels-idx1-ubyte.gz`), gzipSync(idx([to - from], labelBytes.subarray(from, to))));
    };
    split('train', 0, 800);
    split('t10k', 800, 1000);
    const stdout = runExample(['--epochs', '1', '--data', mnistDir, '--out', join(dir, 'idx.safetensors')]);
    expect(stdout).toContain(`MNIST IDX files in ${mnistDir}: 800 training digits, 200 held out`);
    const accuracy = /test accuracy ([\d.]+)% on 200 held-out digits/.exec(stdout);
    expect(accuracy, stdout).not.toBeNull();
    expect(Number(accuracy![1])).toBeGreaterThan(40);
  });
});
