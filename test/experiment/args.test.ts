import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentError, USAGE, parseArgs } from '../../experiment/args.js';
import { buildGrid, type ExperimentOptions } from '../../experiment/config.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsgrad-args-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function options(argv: string[]): ExperimentOptions {
  const r = parseArgs(argv);
  if (r.kind !== 'run') throw new Error('expected a run');
  return r.options;
}

/** The one-line message of the ArgumentError that `argv` raises. */
function errorOf(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(ArgumentError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('parseArgs: defaults', () => {
  it('runs the mlp and the vgg with bn, bkn, gn at normalization batches 2 and 32, one seed, 1000 steps, batch 32, lr 0.01 cosine', () => {
    const o = options([]);
    expect(o.mode).toBe('default');
    expect(o.models).toEqual(['mlp', 'vgg']);
    expect(o.maxSteps).toBe(1000);
    expect(o.schedule).toBe('cosine');
    expect(options(['--schedule', 'constant']).schedule).toBe('constant');
    expect(o.norms).toEqual(['bn', 'bkn', 'gn']);
    expect(o.normBatches).toEqual([2, 32]);
    expect(o.seeds).toEqual([0]);
    expect(o.batch).toBe(32);
    expect(o.lr).toBe(0.01);
    expect(o.momentum).toBe(0.9);
    expect(o.outDir).toBe('results');
    expect(o.dataDir).toBeNull();
    expect(o.threads).toBeNull();
  });

  it('--full sweeps nb 1…32 with 3 seeds of five norms on the mlp and the vgg; --quick the mlp on a subset', () => {
    const full = options(['--full']);
    expect(full.seeds).toEqual([0, 1, 2]);
    expect(full.norms).toEqual(['bn', 'brn', 'gn', 'bkn', 'bkn-paper']);
    expect(full.models).toEqual(['mlp', 'vgg']);
    expect(full.normBatches).toEqual([1, 2, 4, 8, 16, 32]);
    expect(options(['--full', '--batch', '24']).normBatches).toEqual([1, 2, 4, 8]);
    expect(full.maxSteps).toBe(1000);
    const quick = options(['--quick']);
    expect(quick.mode).toBe('quick');
    expect(quick.models).toEqual(['mlp']);
    expect(quick.trainSize).not.toBeNull();
  });

  it('flags override the mode; both --flag value and --flag=value work', () => {
    const o = options(['--quick', '--norms=bn,brn,none', '--norm-batch', '4,2,8', '--batch', '16', '--lr', '0.05', '--seeds', '2', '--seed', '7', '--threads', '1', '--out', join(tmp, 'o'), '--model', 'mlp,resnet']);
    expect(o.norms).toEqual(['bn', 'brn', 'none']);
    expect(o.normBatches).toEqual([2, 4, 8]);
    expect(o.batch).toBe(16);
    expect(o.lr).toBe(0.05);
    expect(o.seeds).toEqual([7, 8]);
    expect(o.threads).toBe(1);
    expect(o.models).toEqual(['mlp', 'resnet']);
  });

  it('an explicit seed list is used as given', () => {
    expect(options(['--seeds', '3,1,4']).seeds).toEqual([3, 1, 4]);
  });

  it('the default normalization batches follow --batch (2 and the whole batch)', () => {
    expect(options(['--batch', '8']).normBatches).toEqual([2, 8]);
    expect(options(['--batch', '2']).normBatches).toEqual([2]);
    expect(options(['--batch', '9']).normBatches).toEqual([9]);
  });

  it('--help asks for the usage text', () => {
    expect(parseArgs(['--norms', 'bn', '--help']).kind).toBe('help');
  });

  it('accepts an existing data directory', () => {
    const dir = join(tmp, 'data');
    mkdirSync(dir, { recursive: true });
    expect(options(['--data', dir]).dataDir).toBe(dir);
  });

  it('the embedded dataset is fashion in every mode unless --dataset says mnist', () => {
    for (const mode of [[], ['--quick'], ['--full']]) {
      expect(options(mode).dataset).toBe('fashion');
      expect(options(mode).dataDir).toBeNull();
      expect(options([...mode, '--dataset', 'mnist']).dataset).toBe('mnist');
    }
    expect(options(['--dataset=fashion']).dataset).toBe('fashion');
    expect(USAGE).toMatch(/--dataset NAME .*fashion \(default/);
  });
});

describe('parseArgs: errors are one clear line', () => {
  it('an unknown norm names it and the choices', () => {
    const m = errorOf(['--norms', 'bn,layernorm']);
    expect(m).toContain("'layernorm'");
    expect(m).toContain('bkn-paper');
  });
  it('an unknown model', () => {
    expect(errorOf(['--model', 'alexnet'])).toContain("unknown model 'alexnet' in --model (choose from cnn, mlp, vgg, resnet)");
  });
  it('a normalization batch that does not divide the batch', () => {
    expect(errorOf(['--norm-batch', '2,5'])).toBe('--norm-batch 5 does not divide the batch of 32 (each normalization batch is a chunk of the optimizer batch)');
    expect(errorOf(['--batch', '12', '--norm-batch', '8'])).toContain('does not divide the batch of 12');
  });
  it('an unknown dataset names it and the choices', () => {
    expect(errorOf(['--dataset', 'cifar10'])).toBe("unknown dataset 'cifar10' in --dataset (choose from mnist, fashion)");
    expect(errorOf(['--dataset', 'Fashion'])).toContain("'Fashion'");
    expect(errorOf(['--dataset'])).toBe('--dataset needs a value');
  });
  it('--dataset and --data DIR together are refused, in either order', () => {
    const dir = join(tmp, 'data-and-dataset');
    mkdirSync(dir, { recursive: true });
    const message = `--dataset mnist and --data ${dir} cannot be combined (--data reads its own files; drop one of them)`;
    expect(errorOf(['--dataset', 'mnist', '--data', dir])).toBe(message);
    expect(errorOf(['--data', dir, '--dataset', 'mnist'])).toBe(message);
    expect(errorOf(['--data', dir, '--dataset', 'fashion'])).toContain('cannot be combined');
  });
  it('a missing data directory, and a file given as one', () => {
    expect(errorOf(['--data', join(tmp, 'nope')])).toContain('no such directory');
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    expect(errorOf(['--data', file])).toContain('is not a directory');
    expect(errorOf(['--out', file])).toContain('is not a directory');
  });
  it.each([
    [['--lr', '-1'], '--lr expects a positive number'],
    [['--lr', 'abc'], '--lr expects a positive number'],
    [['--lr', ''], '--lr expects a positive number'],
    [['--momentum', '1'], '--momentum expects a number in [0, 1)'],
    [['--batch', '0'], '--batch expects a positive integer'],
    [['--batch', '2.5'], '--batch expects a positive integer'],
    [['--epochs', 'two'], '--epochs expects a positive integer'],
    [['--steps', '-3'], '--steps expects a positive integer'],
    [['--seeds', '0'], '--seeds expects a positive integer'],
    [['--seeds', '1,-2'], '--seeds expects a non-negative integer'],
    [['--threads', '1e9x'], '--threads expects a positive integer'],
    [['--norm-batch', '2,,4'], 'without empty items'],
    [['--progress', 'fancy'], "unknown progress mode 'fancy'"],
    [['--schedule', 'step'], "unknown schedule 'step' in --schedule (choose from cosine, constant)"],
    [['--frobnicate'], 'unknown option --frobnicate'],
    [['--lr'], '--lr needs a value'],
    [['--lr', '--quick'], '--lr needs a value'],
    [['--lr', '0.1', '--lr', '0.2'], '--lr is given twice'],
    [['--quick', '--full'], 'cannot be combined'],
    [['--quick=1'], '--quick takes no value'],
    [['results'], "unexpected argument 'results'"],
    [['--seeds', '1,2', '--seed', '3'], '--seed only applies'],
    [['--train-size', '16'], '--train-size 16 is smaller than one batch of 32'],
    [['--test-size', '8', '--batch', '16'], '--test-size 8 is smaller than one batch of 16'],
    [['--model', 'mlp', '--norm-batch', '1'], '--norm-batch 1 with the mlp model'],
    [['--shard', '3/2'], "--shard expects K/N with 1 ≤ K ≤ N, got '3/2'"],
    [['--shard', '0/2'], '--shard expects K/N'],
    [['--shard', '1'], '--shard expects K/N'],
    [['--shard', '1/2/3'], '--shard expects K/N'],
  ])('%j → %s', (argv, expected) => {
    expect(errorOf(argv)).toContain(expected);
  });

  it('a normalization batch of 1 is left out for the mlp alone (one value per channel), kept for the CNNs', () => {
    const o = options(['--model', 'mlp,vgg', '--norms', 'bn,gn', '--norm-batch', '1,2']);
    expect(o.normBatches).toEqual([1, 2]);
    expect(buildGrid(o).map((c) => c.id)).toEqual(['mlp/bn/nb2', 'mlp/gn', 'vgg/bn/nb1', 'vgg/bn/nb2', 'vgg/gn']);
    // gn alone has no batch statistics: nb 1 is no problem for the mlp then.
    expect(options(['--model', 'mlp', '--norms', 'gn', '--norm-batch', '1']).normBatches).toEqual([1]);
  });
  it('--shard K/N', () => {
    expect(options(['--shard', '2/3']).shard).toEqual({ index: 2, count: 3 });
    expect(options([]).shard).toBeNull();
  });

  it('property: a normalization batch is accepted exactly when it divides the batch', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), (batch, nb) => {
        const argv = ['--batch', String(batch), '--norm-batch', String(nb), '--model', 'cnn'];
        if (batch % nb === 0) expect(options(argv).normBatches).toEqual([nb]);
        else expect(errorOf(argv)).toContain(`--norm-batch ${nb} does not divide the batch of ${batch}`);
      }),
      { numRuns: 200, seed: 6 },
    );
  });
});
