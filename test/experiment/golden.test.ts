// The golden reproducibility test: a short fixed run of the experiment (CNN and MLP, BatchNorm and
// BKN at normalization batches 2 and 32, 24 steps) must give the per-step losses and accuracies
// pinned in test/fixtures/golden-losses-<backend>.json bit for bit, at 1 and at 2 threads, for every
// kernel backend with a pin ('js', 'wasm'). The numbers in docs/experiment.md and README.md come from
// the same code paths, so a change that moves them fails here until the pin and the docs are updated
// together (experiment/golden.ts says how).
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, getNumThreads, setBackend, setNumThreads, type Backend } from '../../src/index.js';
import { GOLDEN_ARGV, firstDifference, movedMessage, pinnedBackends, readGolden, runGolden, type GoldenRun } from '../../experiment/golden.js';

const threadsBefore = getNumThreads();
const backendBefore = getBackend();
afterAll(() => {
  setNumThreads(threadsBefore);
  setBackend(backendBefore);
});

describe('golden reproducibility pins', () => {
  it('there is a pin for the JS kernels (the reference) and each pin is for its own backend', () => {
    expect(pinnedBackends()).toContain('js');
    for (const kernels of pinnedBackends()) expect(readGolden(kernels).kernels).toBe(kernels);
  });

  for (const kernels of pinnedBackends()) {
    const pin = readGolden(kernels);
    describe(`the '${kernels}' kernels`, () => {
      it('the pin is for this configuration', () => {
        expect(pin.argv).toEqual(GOLDEN_ARGV);
        // 2 models × (BN, BKN) × (nb 2, nb 32), 24 steps each, all finite float32 values
        expect(pin.runs.map((r) => r.configId)).toEqual(['cnn/bn/nb2', 'cnn/bn/nb32', 'cnn/bkn/nb2', 'cnn/bkn/nb32', 'mlp/bn/nb2', 'mlp/bn/nb32', 'mlp/bkn/nb2', 'mlp/bkn/nb32']);
        for (const r of pin.runs) {
          expect(r.losses).toHaveLength(24);
          for (const l of r.losses) expect(Number.isFinite(l) && Math.fround(l) === l, `${r.configId}: ${l} is not a finite float32`).toBe(true);
        }
      });

      for (const threads of [1, 2]) {
        it(`${threads} thread${threads === 1 ? '' : 's'}: every loss and accuracy equals the pin bit for bit`, () => {
          setBackend(kernels as Backend);
          const runs = runGolden(threads);
          expect(getNumThreads()).toBe(threads);
          const difference = firstDifference(runs, pin.runs);
          expect(difference, difference === null ? '' : movedMessage(`'${kernels}' kernels, ${threads} thread${threads === 1 ? '' : 's'}`, difference)).toBeNull();
        }, 180_000);
      }
    });
  }
});

describe('firstDifference compares bitwise', () => {
  const base: GoldenRun = { configId: 'cnn/bn/nb2', seed: 0, losses: [2.5, 1.25], evalAccuracy: 50, trainModeAccuracy: 40 };
  it('finds no difference in identical runs', () => {
    expect(firstDifference([base], [structuredClone(base)])).toBeNull();
  });
  it('sees the last bit of a loss, a sign of zero, a missing step, an accuracy and a renamed run', () => {
    const nudged = { ...base, losses: [2.5, 1.25 + Number.EPSILON] };
    expect(firstDifference([nudged], [base])).toMatch(/cnn\/bn\/nb2 seed 0, step 2: loss/);
    expect(firstDifference([{ ...base, losses: [-0, 1.25] }], [{ ...base, losses: [0, 1.25] }])).toMatch(/step 1/);
    expect(firstDifference([{ ...base, losses: [2.5] }], [base])).toMatch(/1 steps against 2 pinned/);
    expect(firstDifference([{ ...base, trainModeAccuracy: 40.5 }], [base])).toMatch(/trainModeAccuracy/);
    expect(firstDifference([{ ...base, configId: 'mlp/bn/nb2' }], [base])).toMatch(/run 0 is mlp\/bn\/nb2/);
    expect(firstDifference([], [base])).toMatch(/0 runs against 1 pinned/);
  });
  it('the failure message says to update the pin and the docs together', () => {
    const text = movedMessage('2 threads', 'x');
    expect(text).toContain('npx tsx experiment/golden.ts --write');
    expect(text).toContain('docs/experiment.md and README.md');
  });
});
