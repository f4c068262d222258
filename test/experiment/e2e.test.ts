/**
 * End to end: a tiny experiment (64 training and 64 test digits, a few steps) writes the table, the
 * JSON and the SVGs, and they parse and hold the configurations asked for; bad flags stop it before
 * any training with one line and a non-zero exit.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExperiment, type ExperimentIO } from '../../experiment/main.js';
import { getBackend } from '../../src/index.js';
import { findAll, parseXml } from './xml.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsgrad-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function io(): ExperimentIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: { write: (s: string) => out.push(s) }, stderr: { isTTY: false, write: (s: string) => err.push(s) } };
}

const TINY = ['--train-size', '64', '--test-size', '64', '--epochs', '1', '--curve-points', '3'];

interface Json {
  settings: { options: { seeds: number[]; norms: string[] }; threads: number; versions: { node: string; tsgrad: string }; code: { commit: string | null; dirty: boolean }; backend: string; argv: string[]; runsPlanned: number };
  configurations: { id: string }[];
  runs: { configId: string; seed: number; steps: number; evalAccuracy: number; trainModeAccuracy: number; losses: number[]; curve: { step: number; testError: number }[] }[];
}

describe('a tiny experiment end to end', () => {
  const out = join(tmp, 'run');
  const argv = [...TINY, '--progress', 'lines', '--model', 'cnn,mlp', '--norms', 'bn,bkn,gn', '--norm-batch', '2,32', '--seeds', '1', '--out', out];
  const streams = io();
  let code = -1;
  beforeAll(() => {
    code = runExperiment(argv, streams);
  }, 60_000);

  it('exits 0 and writes the table, the JSON and two charts per model', () => {
    expect(streams.err.join('')).not.toContain('error');
    expect(code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'accuracy-cnn.svg', 'accuracy-mlp.svg', 'accuracy-train-mode-cnn.svg', 'accuracy-train-mode-mlp.svg',
      'error-vs-steps-cnn-nb2.svg', 'error-vs-steps-cnn-nb32.svg', 'error-vs-steps-mlp-nb2.svg', 'error-vs-steps-mlp-nb32.svg',
      'results.json', 'results.md',
    ]);
  });

  const ids = ['cnn/bn/nb2', 'cnn/bn/nb32', 'cnn/bkn/nb2', 'cnn/bkn/nb32', 'cnn/gn', 'mlp/bn/nb2', 'mlp/bn/nb32', 'mlp/bkn/nb2', 'mlp/bkn/nb32', 'mlp/gn'];

  it('the JSON holds every configuration × seed with its numbers and the settings', () => {
    const j = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Json;
    expect(j.configurations.map((c) => c.id)).toEqual(ids);
    expect(j.runs).toHaveLength(10);
    expect(j.settings.runsPlanned).toBe(10);
    expect(j.settings.argv).toEqual(argv);
    expect(j.settings.options.seeds).toEqual([0]);
    expect(j.settings.versions.node).toBe(process.version);
    // the commit of this checkout (the tests run inside the repository)
    expect(j.settings.code.commit).toBe(execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim());
    expect(typeof j.settings.code.dirty).toBe('boolean');
    expect(j.settings.backend).toBe(getBackend());
    expect(j.settings.threads).toBeGreaterThanOrEqual(1);
    for (const r of j.runs) {
      expect(r.steps).toBe(2);
      expect(r.losses).toHaveLength(2);
      expect(r.curve.map((p) => p.step)).toEqual([0, 1, 2]);
      expect(r.evalAccuracy).toBeGreaterThanOrEqual(0);
      expect(r.evalAccuracy).toBeLessThanOrEqual(100);
      // 64 test samples = 2 batches of 32: accuracy is a multiple of 1/64
      const correct = (r.trainModeAccuracy * 64) / 100;
      expect(Math.abs(correct - Math.round(correct))).toBeLessThan(1e-9);
    }
  });

  it('the table has a row per configuration', () => {
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    const rows = md.split('\n').filter((l) => /^\| (cnn|mlp) \|/.test(l));
    expect(rows).toHaveLength(10);
    expect(rows.filter((r) => r.includes('| BKN (tsgrad defaults) | 2 |'))).toHaveLength(2);
    expect(streams.out.join('')).toContain('| mlp | GroupNorm |');
  });

  it('the charts parse and hold the right series and bars', () => {
    for (const model of ['cnn', 'mlp']) {
      for (const nb of [2, 32]) {
        const err = parseXml(readFileSync(join(out, `error-vs-steps-${model}-nb${nb}.svg`), 'utf8'));
        expect(findAll(err, 'g', { class: 'series' }).map((g) => g.attrs['data-series'])).toEqual(ids.filter((i) => i.startsWith(model) && (i.endsWith(`nb${nb}`) || !i.includes('/nb'))));
      }
      for (const file of [`accuracy-${model}.svg`, `accuracy-train-mode-${model}.svg`]) {
        const acc = parseXml(readFileSync(join(out, file), 'utf8'));
        expect(findAll(acc, 'g', { class: 'series' }).map((g) => g.attrs['data-series'])).toEqual(['bn', 'bkn', 'gn'].map((norm) => `${model}/${norm}`));
      }
    }
  });

  it('reports progress as plain lines when stderr is not a terminal', () => {
    const text = streams.err.join('');
    expect(text).not.toContain('\r');
    expect(text).toContain('[1/10] cnn/bn/nb2 seed 0: 2 steps of 32 samples');
    expect(text).toMatch(/\[10\/10\] mlp\/gn seed 0: eval-mode acc/);
  });

  it('the same seed and settings give the same numbers', () => {
    const again = join(tmp, 'again');
    expect(runExperiment([...TINY, '--model', 'mlp', '--norms', 'bkn', '--norm-batch', '2', '--seeds', '1', '--out', again, '--progress', 'none'], io())).toBe(0);
    const a = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Json;
    const b = JSON.parse(readFileSync(join(again, 'results.json'), 'utf8')) as Json;
    const pick = (j: Json) => j.runs.filter((r) => r.configId === 'mlp/bkn/nb2' && r.seed === 0).map((r) => [r.losses, r.curve, r.evalAccuracy, r.trainModeAccuracy]);
    expect(pick(b)).toEqual(pick(a));
  });
});

describe('thread count', () => {
  it('1 and 2 threads give the same numbers (BKN at normalization batch 2, CNN and MLP)', () => {
    const runs = ['1', '2'].map((threads) => {
      const out = join(tmp, `threads-${threads}`);
      expect(runExperiment([...TINY, '--model', 'cnn,mlp', '--norms', 'bkn', '--norm-batch', '2', '--threads', threads, '--out', out, '--progress', 'none'], io())).toBe(0);
      return JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Json & { settings: { threads: number } };
    });
    expect(runs.map((j) => j.settings.threads)).toEqual([1, 2]);
    const numbers = (j: Json) => j.runs.map((r) => [r.configId, r.losses, r.curve, r.evalAccuracy, r.trainModeAccuracy]);
    expect(numbers(runs[1]!)).toEqual(numbers(runs[0]!));
  }, 60_000);
});

describe('bad flags and data stop before training', () => {
  it.each([
    [['--norms', 'bn,batchnorm'], "unknown norm 'batchnorm'"],
    [['--norm-batch', '3'], '--norm-batch 3 does not divide the batch of 32'],
    [['--data', '/nonexistent/mnist'], 'no such directory'],
  ])('%j', (argv, message) => {
    const out = join(tmp, 'never');
    const s = io();
    expect(runExperiment([...argv, '--out', out], s)).toBe(2);
    const err = s.err.join('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain(message);
    expect(existsSync(out)).toBe(false);
  });

  /** An IDX header: magic number and dimensions, big-endian. */
  const header = (magic: number, dims: number[]): Buffer => {
    const b = Buffer.alloc(4 + 4 * dims.length);
    b.writeUInt32BE(magic, 0);
    dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
    return b;
  };

  it('a valid data set smaller than one batch is one line', () => {
    const dir = join(tmp, 'tiny-idx');
    mkdirSync(dir, { recursive: true });
    for (const prefix of ['train', 't10k']) {
      writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), Buffer.concat([header(0x803, [2, 28, 28]), Buffer.alloc(2 * 784)]));
      writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), Buffer.concat([header(0x801, [2]), Buffer.from([1, 2])]));
    }
    const s = io();
    expect(runExperiment(['--data', dir, '--out', join(tmp, 'never3')], s)).toBe(2);
    expect(s.err.join('')).toBe('experiment: error: the training split has 2 samples, fewer than one batch of 32\n');
  });

  it('a corrupt IDX file is one line naming the file', () => {
    const dir = join(tmp, 'corrupt');
    mkdirSync(dir, { recursive: true });
    // Valid headers for 2 images of 28×28 and 2 labels, but the image data is cut short.
    for (const prefix of ['train', 't10k']) {
      writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), Buffer.concat([header(0x803, [2, 28, 28]), Buffer.alloc(100)]));
      writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), Buffer.concat([header(0x801, [2]), Buffer.from([1, 2])]));
    }
    const s = io();
    expect(runExperiment(['--data', dir, '--out', join(tmp, 'never2')], s)).toBe(2);
    const err = s.err.join('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain('train-images-idx3-ubyte');
  });

  it('the command itself exits non-zero with one line', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'experiment/main.ts', '--norms', 'layernorm'], { encoding: 'utf8', cwd: join(__dirname, '../..') });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("experiment: error: unknown norm 'layernorm' in --norms (choose from bn, bkn, bkn-paper, gn, brn, none, bkn-sampled, bkn-analytic)");
  });
});
