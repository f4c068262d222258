// Every example runs end to end in a tiny setting, so that none of them can rot: each is spawned as
// a user would run it (node + tsx, the flags of its header comment) and must exit 0 and print what
// it promises. examples/mnist-cnn.ts has its own test (mnist-cnn.test.ts). The README must list a
// command for every example.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nn, noGrad, tensor } from '../../src/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tsgrad-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs examples/<file> with args from the repository root; returns stdout after checking exit 0. */
function runExample(file: string, args: string[] = []): string {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'examples', file), ...args], {
    cwd: root, encoding: 'utf8', timeout: 60_000,
  });
  expect(run.signal, `${file} was killed (timeout?)\n${run.stdout}`).toBeNull();
  expect(run.status, `${file} failed:\n${run.stderr}\n${run.stdout}`).toBe(0);
  return run.stdout;
}

/** The number captured by `re` in `text` (failing with the text when it is absent). */
function numberIn(text: string, re: RegExp): number {
  const m = re.exec(text);
  expect(m, `no match for ${re} in:\n${text}`).not.toBeNull();
  return Number(m![1]);
}

describe('examples', () => {
  it('mlp-train.ts --steps 300: hand-written SGD lowers the loss', () => {
    const out = runExample('mlp-train.ts', ['--steps', '300']);
    const first = numberIn(out, /step \d+: loss ([\d.]+)/);
    const final = numberIn(out, /final loss ([\d.]+)/);
    expect(final).toBeLessThan(first);
    expect(numberIn(out, /training accuracy ([\d.]+)%/)).toBeGreaterThan(60);
    expect(out).toMatch(/300 steps in [\d.]+ s: \d+ steps\/s/);
  });

  it('mlp-modules.ts --epochs 30: nn.Sequential + Adam + DataLoader separates the spiral, a linear model cannot', () => {
    const out = runExample('mlp-modules.ts', ['--epochs', '30']);
    const mlp = numberIn(out, /MLP ([\d.]+)%/);
    const linear = numberIn(out, /linear model ([\d.]+)%/);
    expect(mlp).toBeGreaterThan(85);
    expect(linear).toBeLessThan(70);
  });

  it('gradient-penalty.ts --steps 30: WGAN-GP pushes the critic\'s gradient norm at the interpolates towards 1', () => {
    const out = runExample('gradient-penalty.ts', ['--steps', '30']);
    expect(out).toContain('gradgradcheck of a gradient-norm penalty: passed');
    const first = numberIn(out, /at the first critic step ([\d.]+)/);
    const last = numberIn(out, /step 30: mean ‖∇D\(x̂\)‖ ([\d.]+)/);
    expect(Math.abs(last - 1)).toBeLessThan(Math.abs(first - 1));
    expect(Math.abs(last - 1)).toBeLessThan(0.2);
  });

  it('hessian.ts: Hessian-vector products equal H·v, and a Newton-CG step beats a gradient step', () => {
    const out = runExample('hessian.ts');
    expect(numberIn(out, /max \|H − Hᵀ\| = ([\d.e+-]+)/)).toBeLessThan(1e-12);
    expect(numberIn(out, /max relative difference ([\d.e+-]+)/)).toBeLessThan(1e-12);
    const m = /loss ([\d.]+) -> ([\d.]+)/.exec(out);
    expect(m).not.toBeNull();
    const newton = Number(m![2]);
    expect(newton).toBeLessThan(Number(m![1]));
    expect(newton).toBeLessThan(numberIn(out, /gradient-descent step with lr 0.2 for comparison: loss ([\d.]+)/));
  });

  it('resume-training.ts --steps 20: a run resumed from a checkpoint ends bitwise where the straight run does', () => {
    const out = runExample('resume-training.ts', ['--steps', '20', '--out', join(dir, 'resume.safetensors')]);
    expect(out).toContain('resumed at step 10, trained to 20');
    expect(out).toContain('bitwise equal');
  });

  it('autoencoder.ts --steps 20 --limit 300: the held-out reconstruction loss falls and a PNG is written', () => {
    const out = runExample('autoencoder.ts', ['--steps', '20', '--limit', '300', '--out', join(dir, 'autoencoder')]);
    const m = /held-out reconstruction loss \(BCE per pixel\): ([\d.]+) before training, ([\d.]+) after/.exec(out);
    expect(m, out).not.toBeNull();
    expect(Number(m![2])).toBeLessThan(0.8 * Number(m![1]));
    const png = readFileSync(join(dir, 'autoencoder', 'autoencoder.png'));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR: 8 digits of 28·3 px plus 2 px gaps wide, two rows high.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([8 * 86 + 2, 2 * 86 + 2]);
  });

  it('text-classifier.ts --steps 60 --sentences 400: Embedding + mean pooling + Linear learns the sentiment', () => {
    const out = runExample('text-classifier.ts', ['--steps', '60', '--sentences', '400']);
    const m = /held-out accuracy: ([\d.]+)% before training, ([\d.]+)% after 60 steps/.exec(out);
    expect(m, out).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(90);
    expect(out).toMatch(/most positive words: \w+ \+/);
    expect(out).toContain(`words never in the 299 training sentences: ',', 'it'`);
  });

  it.each([
    ['autoencoder.ts', ['--steps', '0'], /--steps expects a positive integer, got '0'/],
    ['autoencoder.ts', ['--limit', '5'], /--limit expects an integer ≥ 20/],
    ['text-classifier.ts', ['--sentences', '3'], /--sentences expects an integer ≥ 20/],
    ['text-classifier.ts', ['--lr', '1'], /unknown option --lr/],
  ] as const)('%s rejects %j: one line on stderr, exit 2, nothing run', (file, args, says) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'examples', file), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(says);
  });

  it('custom-op.ts: gradcheck passes the correct softplus and catches the broken one', () => {
    const out = runExample('custom-op.ts');
    expect(out).toContain('broken softplus: caught');
  });

  it('bkn-worked-example.ts: prints the worked example of docs/bkn.md', () => {
    const out = runExample('bkn-worked-example.ts');
    // The gain of the hand-computed step: q = m / (m + priorCount) = 2 / (2 + 16).
    expect(out).toContain(`= 2/(2 + 16) = ${(2 / 18).toFixed(4)}`);
    expect(out).toMatch(/guard ratio ρ = [\d.]+/);
  });

  it('bkn-mlp.ts (tiny: BN and BKN, 1 seed, 1 epoch, 320 digits): BKN learns at normalization batch 2', () => {
    const out = runExample('bkn-mlp.ts', ['--norms', 'bn,bkn', '--seeds', '0', '--epochs', '1', '--limit', '320']);
    expect(out).toContain('320 train / 320 test');
    expect(numberIn(out, /BKN \(defaults\)\s+seed 0: test accuracy ([\d.]+)%/)).toBeGreaterThan(40);
    expect(out).toMatch(/BatchNorm\s+seed 0: test accuracy [\d.]+%/);
  });

  describe('save-for-pytorch.ts', () => {
    const out = join(dir, 'save-for-pytorch');
    let stdout = '';

    it('--steps 20: saves PyTorch-named weights and the check file', () => {
      stdout = runExample('save-for-pytorch.ts', ['--steps', '20', '--out', out]);
      const state = nn.loadSafetensors(join(out, 'model.safetensors'));
      expect([...state.keys()]).toEqual([
        '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '3.weight', '3.bias',
      ]);
      expect(state.get('1.num_batches_tracked')!.item()).toBe(20);
      // A fresh tsgrad model of the same structure, loaded from the file alone, gives the saved output.
      const model = new nn.Sequential(new nn.Linear(4, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Linear(16, 3));
      model.loadStateDict(state);
      model.eval();
      const check = JSON.parse(readFileSync(join(out, 'check.json'), 'utf8')) as { input: number[][]; output: number[][] };
      const output = noGrad(() => model.call(tensor(check.input))).toNested() as number[][];
      expect(output).toEqual(check.output);
      expect(stdout).toContain(`python3 examples/load_in_pytorch.py ${out}`);
    });

    // The PyTorch side (examples/load_in_pytorch.py) needs torch, which CI does not have: it is a
    // by-hand check (run it after this test), and the committed test/fixtures/tsgrad_cnn.safetensors,
    // verified in PyTorch by test/fixtures/check_tsgrad_safetensors.py, pins the same file format.

    it('the guide shows load_in_pytorch.py verbatim', () => {
      const guide = readFileSync(join(root, 'docs/guide.md'), 'utf8');
      const python = readFileSync(join(root, 'examples/load_in_pytorch.py'), 'utf8');
      expect(guide).toContain(`\`\`\`python\n${python}\`\`\``);
    });
  });

  it('the README lists a command for every example', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const files = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) expect(readme, f).toMatch(new RegExp(`npx tsx examples/${f.replace('.', '\\.')}|npm run \\S+ .*examples/${f.replace('.', '\\.')}`));
  });
});
