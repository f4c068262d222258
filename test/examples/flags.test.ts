// The examples parse their flags strictly (examples/lib/flags.ts): an unknown flag, a bad or missing
// value, a repeat or a stray argument stops every example with one line on stderr and exit code 2,
// before anything trains — never a silent full run with the flag ignored, never a stack trace.
// The class test spawns *every* examples/*.ts, so a new example must use the shared parser too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FlagError, parseFlags, usage } from '../../examples/lib/flags.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts')).sort();

function run(file: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'examples', file), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit 2, nothing on stdout (nothing ran), exactly one line on stderr naming the script, no stack. */
function expectOneLineError(file: string, args: string[], says: RegExp): void {
  const r = run(file, args);
  expect(r.status, `${file} ${args.join(' ')}: ${r.stderr}`).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^${file.replace('.', '\\.')}: error: `));
  expect(lines[0]).toMatch(says);
}

describe('every example rejects a bad command line with one line and exit 2', () => {
  it('there are examples to check', () => {
    expect(examples.length).toBeGreaterThanOrEqual(7);
  });
  for (const file of examples) {
    it(`${file} --no-such-flag`, () => expectOneLineError(file, ['--no-such-flag', '1'], /unknown option --no-such-flag/));
  }
});

describe('the repros of issue 11', () => {
  it('mnist-cnn.ts --limt 500 (a typo) does not start the full run', () => {
    expectOneLineError('mnist-cnn.ts', ['--limt', '500'], /unknown option --limt/);
  });
  it('bkn-mlp.ts --norms xyz names the bad norm and the choices', () => {
    expectOneLineError('bkn-mlp.ts', ['--norms', 'xyz'], /unknown value 'xyz' in --norms \(choose from bn, gn, bkn/);
  });
  it('mlp-train.ts --steps abc names the flag and the value', () => {
    expectOneLineError('mlp-train.ts', ['--steps', 'abc'], /--steps expects a positive integer, got 'abc'/);
  });
  it('bkn-mlp.ts --nb 5: a normalization batch that does not divide the batch', () => {
    expectOneLineError('bkn-mlp.ts', ['--nb', '5'], /--nb 5 does not divide the batch of 32/);
  });
  it('a flag without its value, and a stray argument', () => {
    expectOneLineError('save-for-pytorch.ts', ['--steps'], /--steps needs a value/);
    expectOneLineError('custom-op.ts', ['extra'], /unexpected argument 'extra'/);
  });
  it('--help prints the flags and exits 0', () => {
    const r = run('mlp-train.ts', ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: npx tsx examples/mlp-train.ts');
    expect(r.stdout).toMatch(/--steps\s+training steps \(default 3000\)/);
  });
});

describe('parseFlags', () => {
  const spec = {
    steps: { kind: 'int', min: 1, default: 10, help: 'steps' },
    shift: { kind: 'int', min: 0, default: 2, help: 'shift' },
    lr: { kind: 'positive', default: 0.5, help: 'lr' },
    out: { kind: 'text', default: 'results/x', help: 'out' },
    data: { kind: 'text', default: null, help: 'data' },
    norms: { kind: 'choices', choices: ['bn', 'bkn', 'gn'], default: ['bn'], help: 'norms' },
    seeds: { kind: 'ints', min: 0, default: [0, 1], help: 'seeds' },
  } as const;

  it('gives the defaults when nothing is given', () => {
    expect(parseFlags([], spec)).toEqual({ steps: 10, shift: 2, lr: 0.5, out: 'results/x', data: null, norms: ['bn'], seeds: [0, 1] });
  });

  it('reads --flag value and --flag=value, lists without repeats', () => {
    const f = parseFlags(['--steps', '3', '--shift=0', '--lr', '1e-3', '--data', 'dir', '--norms', 'gn,bkn,gn', '--seeds=4,2'], spec);
    expect(f).toEqual({ steps: 3, shift: 0, lr: 0.001, out: 'results/x', data: 'dir', norms: ['gn', 'bkn'], seeds: [4, 2] });
  });

  it('returns help for --help and -h', () => {
    expect(parseFlags(['--steps', '3', '--help'], spec)).toBe('help');
    expect(parseFlags(['-h'], spec)).toBe('help');
  });

  const bad: [string[], RegExp][] = [
    [['--stpes', '3'], /^unknown option --stpes/],
    [['--steps', '0'], /--steps expects a positive integer, got '0'/],
    [['--steps', '1.5'], /--steps expects a positive integer, got '1.5'/],
    [['--steps', ''], /--steps expects a positive integer, got ''/],
    [['--shift', '-1'], /--shift expects a non-negative integer, got '-1'/],
    [['--lr', 'NaN'], /--lr expects a positive number, got 'NaN'/],
    [['--lr', 'Infinity'], /--lr expects a positive number/],
    [['--lr', '-0.1'], /--lr expects a positive number/],
    [['--out='], /--out expects a value/],
    [['--norms', 'bn,,gn'], /without empty items/],
    [['--norms', 'bn,xyz'], /unknown value 'xyz' in --norms \(choose from bn, bkn, gn\)/],
    [['--seeds', '0,a'], /--seeds expects a non-negative integer, got 'a'/],
    [['--steps', '3', '--steps', '4'], /--steps is given twice/],
    [['--steps'], /--steps needs a value/],
    [['--steps', '--lr', '1'], /--steps needs a value/],
    [['3'], /unexpected argument '3'/],
    [['--toString', '1'], /unknown option --toString/], // not fooled by Object.prototype
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${JSON.stringify(argv)}`, () => {
      expect(() => parseFlags(argv, spec)).toThrow(FlagError);
      expect(() => parseFlags(argv, spec)).toThrow(message);
    });
  }

  it('usage lists every flag with its default', () => {
    const text = usage('x.ts', 'What x does.', spec);
    for (const name of Object.keys(spec)) expect(text).toContain(`--${name}`);
    expect(text).toContain('(default 10)');
    expect(text).toContain('(default bn)');
  });
});

describe('load_in_pytorch.py without PyTorch', () => {
  const shim = mkdtempSync(join(tmpdir(), 'tsgrad-no-torch-'));
  afterAll(() => rmSync(shim, { recursive: true, force: true }));

  it('prints one line saying how to install it, no traceback', () => {
    // A `torch` module that fails to import stands for "torch is not installed", whether or not it is.
    writeFileSync(join(shim, 'torch.py'), 'raise ModuleNotFoundError("No module named \'torch\'", name="torch")\n');
    const r = spawnSync('python3', [join(root, 'examples/load_in_pytorch.py'), join(shim, 'nothing')], {
      encoding: 'utf8', env: { ...process.env, PYTHONPATH: shim },
    });
    expect(r.error, 'python3 is needed for this test').toBeUndefined();
    expect(r.status).not.toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain('needs PyTorch');
    expect(lines[0]).toContain('apt-get install python3-torch');
    expect(lines[0]).toContain('pip install torch');
    expect(r.stderr).not.toContain('Traceback');
  });
});
