// The options objects of the nn modules, nn.init, loadStateDict, the safetensors writers and
// clipGradNorm_ are checked: an unknown key (a typo, PyTorch's snake_case name) or a string or an
// array where the options go throws, naming the function or class the user called and the keys it
// accepts, instead of being ignored. One row per function; each row also shows a valid call works.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, nn, ones, tensor, zeros, type Tensor } from '../../src/index.js';
import { errorOf } from '../helpers/expect-error.js';
import { testOptionsRows, type OptionsRow } from '../helpers/options-table.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgrad-module-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const v = (t: Tensor): number[] => Array.from(t.toArray());
/** The values `draw` writes with a fresh Generator(7): the same both times only if the generator is used. */
const drawnTwice = (draw: (generator: Generator) => Tensor): [number[], number[]] => [v(draw(new Generator(7))), v(draw(new Generator(7)))];


const image = (): Tensor => zeros([1, 1, 4, 4]);
const asOptions = <T>(options: unknown): T => options as T;
const state = (): Map<string, Tensor> => new Map([['w', tensor([1, 2])]]);

const ROWS: OptionsRow[] = [
  {
    name: 'GELU', expected: 'approximate', call: (o) => new nn.GELU(asOptions(o)),
    works: () => expect(new nn.GELU({ approximate: 'tanh' }).approximate).toBe('tanh'),
  },
  {
    name: 'ELU', expected: 'alpha', call: (o) => new nn.ELU(asOptions(o)),
    works: () => expect(v(new nn.ELU({ alpha: 0.5 }).call(tensor([-1], { dtype: 'float64' })))).toEqual([0.5 * Math.expm1(-1)]),
  },
  {
    name: 'Softplus', expected: 'beta, threshold', call: (o) => new nn.Softplus(asOptions(o)),
    works: () => expect(new nn.Softplus({ beta: 2, threshold: 10 })).toMatchObject({ beta: 2, threshold: 10 }),
  },
  {
    name: 'Hardtanh', expected: 'minVal, maxVal', call: (o) => new nn.Hardtanh(asOptions(o)), snake: ['min_val', 'minVal'],
    works: () => expect(v(new nn.Hardtanh({ minVal: -2, maxVal: 2 }).call(tensor([-3, 1, 3])))).toEqual([-2, 1, 2]),
  },
  {
    name: 'PReLU', expected: 'numParameters, init, dtype', call: (o) => new nn.PReLU(asOptions(o)), snake: ['num_parameters', 'numParameters'],
    works: () => expect(new nn.PReLU({ numParameters: 3 }).weight.shape).toEqual([3]),
  },
  {
    name: 'CrossEntropyLoss', expected: 'reduction, ignoreIndex, weight, labelSmoothing', call: (o) => new nn.CrossEntropyLoss(asOptions(o)),
    snake: ['label_smoothing', 'labelSmoothing'],
    works: () => {
      const loss = (options: { labelSmoothing?: number }): number => new nn.CrossEntropyLoss(options).call(tensor([[2, 0, 0]]), tensor([0])).item();
      expect(loss({ labelSmoothing: 0.3 })).toBeGreaterThan(loss({}));
    },
  },
  {
    name: 'NLLLoss', expected: 'reduction, ignoreIndex, weight', call: (o) => new nn.NLLLoss(asOptions(o)), snake: ['ignore_index', 'ignoreIndex'],
    works: () => expect(new nn.NLLLoss({ reduction: 'sum' }).call(tensor([[-0.5, -1], [-2, -0.25]]), tensor([1, 0])).item()).toBe(3),
  },
  {
    name: 'MSELoss', expected: 'reduction', call: (o) => new nn.MSELoss(asOptions(o)),
    works: () => expect(new nn.MSELoss({ reduction: 'sum' }).call(tensor([1, 2]), tensor([1, 4])).item()).toBe(4),
  },
  {
    name: 'L1Loss', expected: 'reduction', call: (o) => new nn.L1Loss(asOptions(o)),
    works: () => expect(new nn.L1Loss({ reduction: 'sum' }).call(tensor([1, 2]), tensor([2, 4])).item()).toBe(3),
  },
  {
    name: 'SmoothL1Loss', expected: 'reduction, beta', call: (o) => new nn.SmoothL1Loss(asOptions(o)),
    works: () => expect(new nn.SmoothL1Loss({ beta: 0.5 }).call(tensor([0, 0]), tensor([0.25, 2])).item()).toBeCloseTo(0.90625, 6),
  },
  {
    name: 'HuberLoss', expected: 'reduction, delta', call: (o) => new nn.HuberLoss(asOptions(o)),
    works: () => expect(new nn.HuberLoss({ delta: 2 }).call(tensor([0]), tensor([3])).item()).toBe(4),
  },
  {
    name: 'BCELoss', expected: 'weight, reduction', call: (o) => new nn.BCELoss(asOptions(o)),
    works: () => expect(new nn.BCELoss({ reduction: 'none' }).call(tensor([0.8, 0.1]), tensor([1, 0])).shape).toEqual([2]),
  },
  {
    name: 'BCEWithLogitsLoss', expected: 'weight, reduction, posWeight', call: (o) => new nn.BCEWithLogitsLoss(asOptions(o)), snake: ['pos_weight', 'posWeight'],
    works: () => expect([...new nn.BCEWithLogitsLoss({ posWeight: tensor([2]) }).namedBuffers()].map(([k]) => k)).toEqual(['pos_weight']),
  },
  {
    name: 'KLDivLoss', expected: 'reduction, logTarget', call: (o) => new nn.KLDivLoss(asOptions(o)), snake: ['log_target', 'logTarget'],
    works: () => expect(new nn.KLDivLoss({ reduction: 'none', logTarget: true }).call(tensor([[0, 0]]), tensor([[0, 0]])).shape).toEqual([1, 2]),
  },
  {
    name: 'Conv2d', expected: 'stride, padding, dilation, groups, bias, dtype', call: (o) => new nn.Conv2d(1, 2, 3, asOptions(o)),
    works: () => expect(new nn.Conv2d(1, 2, 3, { padding: 1 }).call(image()).shape).toEqual([1, 2, 4, 4]),
  },
  {
    name: 'ConvTranspose2d', expected: 'stride, padding, outputPadding, groups, dilation, bias, dtype', call: (o) => new nn.ConvTranspose2d(1, 2, 4, asOptions(o)),
    snake: ['output_padding', 'outputPadding'],
    works: () => expect(new nn.ConvTranspose2d(1, 2, 4, { stride: 2, padding: 1 }).call(image()).shape).toEqual([1, 2, 8, 8]),
  },
  {
    name: 'Conv1d', expected: 'stride, padding, dilation, groups, bias, dtype', call: (o) => new nn.Conv1d(1, 2, 3, asOptions(o)),
    works: () => expect(new nn.Conv1d(1, 2, 3, { padding: 1 }).call(zeros([1, 1, 5])).shape).toEqual([1, 2, 5]),
  },
  {
    name: 'MaxPool1d', expected: 'stride, padding, dilation, ceilMode', call: (o) => new nn.MaxPool1d(2, asOptions(o)), snake: ['ceil_mode', 'ceilMode'],
    works: () => expect(new nn.MaxPool1d(2, { stride: 1 }).call(zeros([1, 1, 4])).shape).toEqual([1, 1, 3]),
  },
  {
    name: 'AvgPool1d', expected: 'stride, padding, ceilMode, countIncludePad', call: (o) => new nn.AvgPool1d(2, asOptions(o)),
    snake: ['count_include_pad', 'countIncludePad'],
    works: () => expect(new nn.AvgPool1d(2, { stride: 1 }).call(zeros([1, 1, 4])).shape).toEqual([1, 1, 3]),
  },
  {
    name: 'MaxPool2d', expected: 'stride, padding, dilation, ceilMode', call: (o) => new nn.MaxPool2d(2, asOptions(o)), snake: ['ceil_mode', 'ceilMode'],
    works: () => expect(new nn.MaxPool2d(2, { stride: 1 }).call(image()).shape).toEqual([1, 1, 3, 3]),
  },
  {
    name: 'AvgPool2d', expected: 'stride, padding, ceilMode, countIncludePad, divisorOverride', call: (o) => new nn.AvgPool2d(2, asOptions(o)),
    snake: ['divisor_override', 'divisorOverride'],
    works: () => expect(v(new nn.AvgPool2d(2, { divisorOverride: 1 }).call(ones([1, 1, 2, 2])))).toEqual([4]),
  },
  {
    name: 'Upsample', expected: 'size, scaleFactor, mode, alignCorners', call: (o) => new nn.Upsample(asOptions(o)), snake: ['scale_factor', 'scaleFactor'],
    works: () => expect(new nn.Upsample({ scaleFactor: 2 }).call(image()).shape).toEqual([1, 1, 8, 8]),
  },
  {
    name: 'Dropout', expected: 'generator', call: (o) => new nn.Dropout(0.5, asOptions(o)),
    works: () => {
      const [a, b] = drawnTwice((generator) => new nn.Dropout(0.5, { generator }).call(ones([16])));
      expect(a).toEqual(b);
    },
  },
  {
    name: 'Embedding', expected: 'paddingIdx, maxNorm, normType, weight, dtype', call: (o) => new nn.Embedding(4, 2, asOptions(o)), snake: ['padding_idx', 'paddingIdx'],
    works: () => expect(v(new nn.Embedding(4, 2, { paddingIdx: 0 }).weight).slice(0, 2)).toEqual([0, 0]),
  },
  {
    name: 'Embedding.fromPretrained', expected: 'freeze, paddingIdx, maxNorm, normType', call: (o) => nn.Embedding.fromPretrained(tensor([[1, 2], [3, 4]]), asOptions(o)),
    snake: ['max_norm', 'maxNorm'],
    // freeze is fromPretrained's own: it must not reach (and be rejected by) the constructor.
    works: () => expect(nn.Embedding.fromPretrained(tensor([[1, 2], [3, 4]]), { freeze: false, paddingIdx: 1 }).weight.requiresGrad).toBe(true),
  },
  {
    name: 'init.uniform', expected: 'generator', call: (o) => nn.init.uniform(zeros([3]), 0, 1, asOptions(o)),
    works: () => {
      const [a, b] = drawnTwice((generator) => nn.init.uniform(zeros([4]), 0, 1, { generator }));
      expect(a).toEqual(b);
    },
  },
  {
    name: 'init.normal', expected: 'generator', call: (o) => nn.init.normal(zeros([3]), 0, 1, asOptions(o)),
    works: () => {
      const [a, b] = drawnTwice((generator) => nn.init.normal(zeros([4]), 0, 1, { generator }));
      expect(a).toEqual(b);
    },
  },
  {
    name: 'init.kaimingUniform', expected: 'a, mode, nonlinearity, generator', call: (o) => nn.init.kaimingUniform(zeros([2, 2]), asOptions(o)),
    works: () => {
      const [a, b] = drawnTwice((generator) => nn.init.kaimingUniform(zeros([4, 4]), { mode: 'fan_out', generator }));
      expect(a).toEqual(b);
    },
  },
  {
    name: 'init.kaimingNormal', expected: 'a, mode, nonlinearity, generator', call: (o) => nn.init.kaimingNormal(zeros([2, 2]), asOptions(o)),
    works: () => {
      const [a, b] = drawnTwice((generator) => nn.init.kaimingNormal(zeros([4, 4]), { nonlinearity: 'relu', generator }));
      expect(a).toEqual(b);
    },
  },
  {
    name: 'init.xavierUniform', expected: 'gain, generator', call: (o) => nn.init.xavierUniform(zeros([2, 2]), asOptions(o)),
    works: () => {
      const [a, b] = drawnTwice((generator) => nn.init.xavierUniform(zeros([4, 4]), { gain: 2, generator }));
      expect(a).toEqual(b);
    },
  },
  {
    name: 'init.xavierNormal', expected: 'gain, generator', call: (o) => nn.init.xavierNormal(zeros([2, 2]), asOptions(o)),
    works: () => {
      const [a, b] = drawnTwice((generator) => nn.init.xavierNormal(zeros([4, 4]), { gain: 2, generator }));
      expect(a).toEqual(b);
    },
  },
  {
    name: 'Linear', expected: 'bias, dtype', call: (o) => new nn.Linear(2, 3, asOptions(o)),
    works: () => expect(new nn.Linear(2, 3, { bias: false }).bias).toBeNull(),
  },
  {
    name: 'loadStateDict', expected: 'strict', call: (o) => new nn.Linear(2, 1).loadStateDict(new Map(), asOptions(o)),
    works: () => expect(new nn.Linear(2, 1).loadStateDict(new Map(), { strict: false }).missingKeys).toEqual(['weight', 'bias']),
  },
  {
    name: 'serializeSafetensors', expected: 'metadata', call: (o) => nn.serializeSafetensors(state(), asOptions(o)),
    works: () => expect(nn.parseSafetensors(nn.serializeSafetensors(state(), { metadata: { format: 'pt' } })).metadata).toEqual({ format: 'pt' }),
  },
  {
    name: 'saveSafetensors', expected: 'metadata', call: (o) => nn.saveSafetensors(join(dir, 'rejected.safetensors'), state(), asOptions(o)),
    works: () => {
      const path = join(dir, 'saved.safetensors');
      nn.saveSafetensors(path, state(), { metadata: { format: 'pt' } });
      expect(nn.readSafetensors(path).metadata).toEqual({ format: 'pt' });
    },
  },
  {
    name: 'clipGradNorm_', expected: 'errorIfNonfinite', call: (o) => nn.utils.clipGradNorm_([], 1, 2, asOptions(o)), snake: ['error_if_nonfinite', 'errorIfNonfinite'],
    works: () => {
      const w = tensor([3, 4], { requiresGrad: true });
      w.grad = tensor([Infinity, 0]);
      expect(errorOf(() => nn.utils.clipGradNorm_([w], 1, 2, { errorIfNonfinite: true }))).toMatch(/^clipGradNorm_: the total norm of order 2 .* is Infinity/);
    },
  },
];

describe('nn options objects are checked', () => {
  it('covers each function once', () => {
    expect(new Set(ROWS.map((r) => r.name)).size).toBe(ROWS.length);
  });

  testOptionsRows(ROWS);

  it('saveSafetensors rejects bad options before any file is written', () => {
    const before = readdirSync(dir).filter((name) => name.includes('rejected'));
    expect(before).toEqual([]);
    for (const bad of [{ metdata: {} }, 'pt', [1]]) {
      expect(() => nn.saveSafetensors(join(dir, 'rejected.safetensors'), state(), asOptions(bad))).toThrow(/^saveSafetensors: /);
    }
    // Neither the target nor a temporary file (`.rejected.safetensors.<pid>.<hex>.tmp`).
    expect(readdirSync(dir).filter((name) => name.includes('rejected'))).toEqual([]);
  });
});
