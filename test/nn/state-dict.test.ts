// State dicts and weights files between tsgrad and PyTorch:
// - PyTorch → tsgrad: test/fixtures/torch_cnn.safetensors (written by hand by
//   make_safetensors_fixtures.py, in the reference library's layout) loads into the same-structure
//   tsgrad model, which then gives PyTorch's outputs (torch_cnn.json).
// - tsgrad → PyTorch: test/fixtures/tsgrad_cnn.safetensors was written by tsgrad
//   (make_tsgrad_safetensors.ts) and checked by hand with PyTorch (check_tsgrad_safetensors.py); here
//   CI asserts tsgrad still writes exactly those bytes and still computes the recorded outputs.
// - Key names and order against PyTorch's for a conv-bn nest; loadStateDict's errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nn, noGrad, ones, randn, tensor, zeros, type FloatDType as DType, type Tensor } from '../../src/index.js';
import { serializeSafetensors } from '../../src/nn/safetensors.js';
import { assertClose, fixtureTensor, type FixtureTensor, type Tolerance } from '../helpers/fixtures.js';
import { EvalBatchNorm2d, TSGRAD_CNN_METADATA, torchCnn, tsgradCnnFixture } from '../helpers/small-cnn.js';

const fixturePath = (name: string): string => new URL(`../fixtures/${name}`, import.meta.url).pathname;

interface TorchCnnDoc {
  stateDictKeys: string[];
  fileOrder: string[];
  input: FixtureTensor;
  outputFloat32: FixtureTensor;
  outputFloat64: FixtureTensor;
  nestKeys: string[];
  nestShapes: Record<string, number[]>;
}

interface TsgradCnnDoc {
  stateDictKeys: string[];
  input: FixtureTensor;
  outputFloat32: FixtureTensor;
  outputFloat64: FixtureTensor;
}

const torchDoc = JSON.parse(readFileSync(fixturePath('torch_cnn.json'), 'utf8')) as TorchCnnDoc;
const tsgradDoc = JSON.parse(readFileSync(fixturePath('tsgrad_cnn.json'), 'utf8')) as TsgradCnnDoc;

const TOL: Record<DType, Tolerance> = { float64: { rtol: 1e-10, atol: 1e-13 }, float32: { rtol: 1e-5, atol: 1e-6 } };

function evalOutput(model: nn.Module, input: FixtureTensor, dtype: DType): Tensor {
  return noGrad(() => model.call(fixtureTensor(input, dtype)));
}

describe('PyTorch → tsgrad: a safetensors file written for a PyTorch CNN', () => {
  const path = fixturePath('torch_cnn.safetensors');

  it('loads with its tensors in file order (the reference layout: int64 first, then by name)', () => {
    const state = nn.loadSafetensors(path);
    expect([...state.keys()]).toEqual(torchDoc.fileOrder);
    expect(state.get('1.num_batches_tracked')!.item()).toBe(37);
    expect(nn.readSafetensors(path).metadata).toEqual({ format: 'pt' });
  });

  it('the same-structure tsgrad model has PyTorch\'s keys in PyTorch\'s order', () => {
    expect([...torchCnn().stateDict().keys()]).toEqual(torchDoc.stateDictKeys);
  });

  for (const dtype of ['float32', 'float64'] as const) {
    it(`loaded into a ${dtype} model, gives PyTorch's eval outputs`, () => {
      const model = torchCnn().to(dtype).eval();
      const result = model.loadStateDict(nn.loadSafetensors(path));
      expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
      const expected = dtype === 'float64' ? torchDoc.outputFloat64 : torchDoc.outputFloat32;
      assertClose(`torch_cnn ${dtype}`, evalOutput(model, torchDoc.input, dtype), expected, TOL[dtype]);
    });
  }

  it('a model with default weights gives different outputs (the comparison above can fail)', () => {
    const out = evalOutput(torchCnn().eval(), torchDoc.input, 'float64');
    expect(() => assertClose('untrained', out, torchDoc.outputFloat64, TOL.float64)).toThrow();
  });
});

describe('tsgrad → PyTorch: the committed tsgrad-written file', () => {
  it('is byte for byte what tsgrad writes now (so the by-hand PyTorch check still holds)', () => {
    const { model } = tsgradCnnFixture();
    const now = Buffer.from(serializeSafetensors(model.stateDict(), { metadata: TSGRAD_CNN_METADATA }));
    const committed = readFileSync(fixturePath('tsgrad_cnn.safetensors'));
    expect(now.length).toBe(committed.length);
    expect(now.equals(committed)).toBe(true);
    expect([...model.stateDict().keys()]).toEqual(tsgradDoc.stateDictKeys);
    expect(tsgradDoc.stateDictKeys).toEqual(torchDoc.stateDictKeys);
  });

  it('the recorded input is the fixture model\'s input', () => {
    const { input } = tsgradCnnFixture();
    expect(Array.from(input.toArray())).toEqual(tsgradDoc.input.values);
  });

  for (const dtype of ['float32', 'float64'] as const) {
    it(`loading it back gives the recorded ${dtype} outputs`, () => {
      const model = torchCnn().to(dtype).eval();
      model.loadStateDict(nn.loadSafetensors(fixturePath('tsgrad_cnn.safetensors')));
      const expected = dtype === 'float64' ? tsgradDoc.outputFloat64 : tsgradDoc.outputFloat32;
      assertClose(`tsgrad_cnn ${dtype}`, evalOutput(model, tsgradDoc.input, dtype), expected, TOL[dtype]);
    });
  }
});

// ---- key names and order: a conv-bn nest ----------------------------------------------------------

class Block extends nn.Module {
  conv: nn.Conv2d;
  bn: EvalBatchNorm2d;
  act = new nn.ReLU();

  constructor(cin: number, cout: number) {
    super();
    this.conv = new nn.Conv2d(cin, cout, 3, { padding: 1, bias: false });
    this.bn = new EvalBatchNorm2d(cout);
  }

  forward(x: Tensor): Tensor {
    return this.act.call(this.bn.call(this.conv.call(x)));
  }
}

/** make_safetensors_fixtures.py's Nest: its own parameter and buffer are registered after the children. */
class Nest extends nn.Module {
  stem = new Block(3, 4);
  layers = new nn.Sequential(new Block(4, 4), new Block(4, 8));
  head = new nn.Linear(8, 10);
  scale = new nn.Parameter(ones([1]));

  constructor() {
    super();
    this.registerBuffer('step', zeros([1]));
  }

  forward(x: Tensor): Tensor {
    return this.head.call(this.layers.call(this.stem.call(x)).mean([2, 3])).mul(this.scale);
  }
}

describe('state-dict keys and order', () => {
  it('match PyTorch\'s for a conv-bn nest (own parameters, then buffers, then children, recursively)', () => {
    const state = new Nest().stateDict();
    expect([...state.keys()]).toEqual(torchDoc.nestKeys);
    for (const [key, t] of state) expect([...t.shape], key).toEqual(torchDoc.nestShapes[key]);
  });

  it('namedParameters skips buffers; namedBuffers lists them with dotted names', () => {
    const nest = new Nest();
    const params = nest.namedParameters().map(([k]) => k);
    expect(params).toEqual(torchDoc.nestKeys.filter((k) => !/running_|num_batches|^step$/.test(k)));
    expect(nest.namedBuffers().map(([k]) => k)).toEqual(torchDoc.nestKeys.filter((k) => /running_|num_batches|^step$/.test(k)));
  });

  it('state-dict tensors share storage with the module (like PyTorch\'s, detached)', () => {
    const nest = new Nest();
    const w = nest.stateDict().get('head.bias')!;
    expect(w.requiresGrad).toBe(false);
    w.array.data[0] = 42;
    expect(nest.head.bias!.toArray()[0]).toBe(42);
  });
});

describe('loadStateDict', () => {
  it('round-trips a whole model through a safetensors file', () => {
    const a = new Nest().eval();
    const b = new Nest().eval();
    const x = randn([2, 3, 5, 5]);
    const before = noGrad(() => b.call(x)).toArray();
    const bytes = serializeSafetensors(a.stateDict());
    b.loadStateDict(nn.parseSafetensors(bytes).tensors);
    const outA = noGrad(() => a.call(x)).toArray();
    const outB = noGrad(() => b.call(x)).toArray();
    expect(Array.from(outB)).toEqual(Array.from(outA));
    expect(Array.from(outB)).not.toEqual(Array.from(before));
  });

  it('lists every missing key, unexpected key and shape mismatch in one error, and writes nothing', () => {
    const model = new Nest();
    const state = new Nest().stateDict();
    state.delete('head.bias');
    state.delete('stem.bn.running_var');
    state.set('head.extra', zeros([2]));
    state.set('layers.1.conv.weight', zeros([8, 4, 3, 2]));
    state.set('scale', tensor([5]));
    const before = model.head.weight.toArray();
    let message = '';
    try {
      model.loadStateDict(state);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('Nest');
    expect(message).toMatch(/size mismatch for layers\.1\.conv\.weight: the state dict has shape \[8, 4, 3, 2\], the model has \[8, 4, 3, 3\]/);
    expect(message).toMatch(/missing keys: stem\.bn\.running_var, head\.bias/);
    expect(message).toMatch(/unexpected keys: head\.extra/);
    expect(Array.from(model.head.weight.toArray())).toEqual(Array.from(before));
    expect(model.scale.item()).toBe(1);
  });

  it('strict: false loads what matches and reports the rest', () => {
    const model = new Nest();
    const result = model.loadStateDict({ scale: tensor([3]), 'head.extra': zeros([1]) }, { strict: false });
    expect(model.scale.item()).toBe(3);
    expect(result.unexpectedKeys).toEqual(['head.extra']);
    expect(result.missingKeys).toEqual(torchDoc.nestKeys.filter((k) => k !== 'scale'));
  });

  it('a shape mismatch throws even when not strict', () => {
    expect(() => new nn.Linear(2, 3).loadStateDict({ weight: zeros([3, 3]) }, { strict: false })).toThrow(/size mismatch for weight/);
  });

  it('converts dtypes: a float64 state dict into a float32 model, and back', () => {
    const m32 = new nn.Linear(2, 2);
    m32.loadStateDict({ weight: tensor([[1, 2], [3, 4]], { dtype: 'float64' }), bias: tensor([0.1, 0.2], { dtype: 'float64' }) });
    expect(m32.weight.dtype).toBe('float32');
    expect(Array.from(m32.bias!.toArray())).toEqual([Math.fround(0.1), Math.fround(0.2)]);
    const m64 = new nn.Linear(2, 2, { dtype: 'float64' });
    m64.loadStateDict(m32.stateDict());
    expect(m64.weight.dtype).toBe('float64');
    expect(Array.from(m64.weight.toArray())).toEqual([1, 2, 3, 4]);
  });

  it('a value that is not a Tensor (null, an array, a number) is an error naming the key, and nothing is half-loaded', () => {
    for (const strict of [true, false]) {
      const model = new nn.Linear(2, 2);
      const before = [Array.from(model.weight.toArray()), Array.from(model.bias!.toArray())];
      // bias is good and comes first in the Map: it must not be written either.
      for (const bad of [null, [[1, 2], [3, 4]], 5, undefined, { shape: [2, 2] }]) {
        const state = new Map<string, unknown>([['bias', tensor([7, 8])], ['weight', bad]]);
        let message = '';
        try {
          model.loadStateDict(state as Map<string, Tensor>, { strict });
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message).toMatch(/^loadStateDict: error\(s\) loading state dict into Linear \(nothing was loaded\):\n {2}the value of weight is not a Tensor: got /);
        expect([Array.from(model.weight.toArray()), Array.from(model.bias!.toArray())]).toEqual(before);
      }
    }
  });

  it('a state dict that is not a Map or an object is a clear error', () => {
    const model = new nn.Linear(2, 2);
    expect(() => model.loadStateDict(null as never)).toThrow(/^loadStateDict: expected a state dict \(a Map or an object of Tensors, .*\), got null$/);
    expect(() => model.loadStateDict(undefined as never)).toThrow(/got undefined$/);
    expect(() => model.loadStateDict([] as never)).toThrow(/got an array of length 0$/);
    expect(() => model.loadStateDict('model.safetensors' as never)).toThrow(/got string "model\.safetensors"$/);
  });

  it('keeps the Parameter objects (an optimizer holding them sees the new values)', () => {
    const model = new nn.Linear(2, 1);
    const w = model.weight;
    model.loadStateDict({ weight: tensor([[7, 8]]), bias: tensor([9]) });
    expect(model.weight).toBe(w);
    expect(Array.from(w.toArray())).toEqual([7, 8]);
  });
});
