// Checkpoints: resuming in a fresh process continues bit for bit (model, buffers, optimizer state,
// scheduler, the global random stream through dropout); a kill -9 during a save leaves the old or
// the new file; loading is all-or-nothing; meta survives (non-finite numbers too).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, manualSeed, nn, optim, ones, rand, zeros } from '../../src/index.js';
import { makeRun, trainSteps } from '../helpers/resume-train.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('../helpers/resume-train.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tsgrad-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runChild(args: string[]): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, `${r.stderr}\n${r.stdout}`).toBe(0);
}

function weightsOf(model: nn.Module): Map<string, number[]> {
  return new Map([...model.stateDict()].map(([k, t]) => [k, Array.from(t.toArray())]));
}

describe('resume from a checkpoint in a fresh process', () => {
  for (const kind of ['sgd-momentum', 'adam']) {
    it(`${kind} + OneCycleLR + dropout: 20 steps, checkpoint, 20 more in a new process = 40 steps, bitwise`, () => {
      const straight = makeRun(kind);
      trainSteps(straight, 0, 40);
      const half = join(dir, `${kind}-20.safetensors`);
      const resumed = join(dir, `${kind}-40.safetensors`);
      runChild([kind, '0', '20', '-', half]);
      runChild([kind, '20', '40', half, resumed]);
      const check = makeRun(kind);
      const meta = nn.loadCheckpoint(resumed, check);
      expect(meta).toEqual({ step: 40 });
      expect(weightsOf(check.model)).toEqual(weightsOf(straight.model));
      expect(check.optimizer.paramGroups[0]!.lr).toBe(straight.optimizer.paramGroups[0]!.lr);
      // The random stream continues where the straight run's is.
      expect(rand([3]).toArray()).toEqual((() => {
        nn.loadCheckpoint(resumed, makeRun(kind));
        return rand([3]).toArray();
      })());
    });
  }
});

describe('loading is all-or-nothing, with clear errors', () => {
  const saved = join(dir, 'adam.safetensors');

  it('a different model, optimizer class or optimizer shape: an error, and nothing changed', () => {
    const run = makeRun('adam');
    trainSteps(run, 0, 3);
    nn.saveCheckpoint(saved, run, { note: 'x' });
    const other = makeRun('adam');
    const before = weightsOf(other.model);
    const wrongModel = new nn.Sequential(new nn.Linear(6, 4));
    expect(() => nn.loadCheckpoint(saved, { model: wrongModel })).toThrow(/loadCheckpoint: '.*adam\.safetensors' does not fit \(nothing was loaded\)/);
    const sgd = makeRun('sgd-momentum');
    expect(() => nn.loadCheckpoint(saved, { model: sgd.model, optimizer: sgd.optimizer })).toThrow(/holds the state of a Adam optimizer, not of a SGD/);
    expect(weightsOf(sgd.model)).toEqual(before); // checked before anything was written
    // The model fits but the optimizer has another number of parameters: the model is put back.
    const partial = new optim.Adam(other.model.parameters().slice(0, 2));
    const rngBefore = new Generator(0);
    rngBefore.setState([1, 2, 3, 4]);
    expect(() => nn.loadCheckpoint(saved, { model: other.model, optimizer: partial, generator: rngBefore })).toThrow(/nothing was loaded/);
    expect(weightsOf(other.model)).toEqual(before);
    expect(rngBefore.getState()).toEqual([1, 2, 3, 4]);
  });

  it('a safetensors file that is not a checkpoint, and meta with non-finite numbers', () => {
    const plain = join(dir, 'plain.safetensors');
    nn.saveSafetensors(plain, { w: ones([2]) });
    expect(() => nn.loadCheckpoint(plain, { model: new nn.Linear(1, 1) })).toThrow(/not a tsgrad checkpoint/);
    const model = new nn.Linear(2, 2);
    const path = join(dir, 'meta.safetensors');
    nn.saveCheckpoint(path, { model }, { best: Infinity, worst: -Infinity, history: [1, 2], nested: { ok: true } });
    expect(nn.loadCheckpoint(path, { model })).toEqual({ best: Infinity, worst: -Infinity, history: [1, 2], nested: { ok: true } });
    // PyTorch-readable: the model's tensors keep their state-dict names under "model.".
    expect([...nn.loadSafetensors(path).keys()]).toEqual(['model.weight', 'model.bias']);
  });
});

describe('a kill -9 during a checkpoint save', () => {
  it('leaves the old file or the new one, never a partial one (5 kills at random moments)', async () => {
    const path = join(dir, 'killed.safetensors');
    const child = join(dir, 'saver.ts');
    // Alternately saves two large models (4 MB each), A filled with 1 and B with 2, forever.
    writeFileSync(child, `
      import { nn, full } from ${JSON.stringify(join(root, 'src/index.ts'))};
      const a = new nn.Linear(1000, 1000); nn.init.constant(a.weight, 1); nn.init.constant(a.bias!, 1);
      const b = new nn.Linear(1000, 1000); nn.init.constant(b.weight, 2); nn.init.constant(b.bias!, 2);
      for (let i = 0; ; i++) nn.saveCheckpoint(${JSON.stringify(path)}, { model: i % 2 === 0 ? a : b }, { i });
    `);
    const gen = new Generator(9);
    for (let k = 0; k < 5; k++) {
      const proc = spawn(process.execPath, ['--import', 'tsx', child], { cwd: root, stdio: 'ignore' });
      // Wait for the first complete file, then kill at a random moment of the save loop.
      const start = Date.now();
      while (!existsSync(path) && Date.now() - start < 30_000) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50 + gen.int(400)));
      proc.kill('SIGKILL');
      await new Promise((r) => proc.on('exit', r));
      const model = new nn.Linear(1000, 1000);
      const meta = nn.loadCheckpoint(path, { model }) as { i: number };
      const expected = meta.i % 2 === 0 ? 1 : 2;
      expect(model.weight.toArray().every((v) => v === expected)).toBe(true);
      expect(model.bias!.toArray().every((v) => v === expected)).toBe(true);
    }
    // The next save removes the temporary files the killed processes left.
    nn.saveCheckpoint(path, { model: new nn.Linear(1, 1) });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 120_000);
});

describe('Generator state', () => {
  it('getState/setState replay the stream; a bad state is a clear error', () => {
    manualSeed(3);
    const g = new Generator(5);
    const s = g.getState();
    const first = [g.uniform(), g.normal(), g.int(10)];
    g.setState(s);
    expect([g.uniform(), g.normal(), g.int(10)]).toEqual(first);
    expect(() => g.setState([0, 0, 0, 0])).toThrow(/four unsigned 32-bit integers, not all 0/);
    expect(() => g.setState([1, 2, 3])).toThrow(/Generator.setState/);
    expect(zeros([1]).numel).toBe(1);
  });
});
