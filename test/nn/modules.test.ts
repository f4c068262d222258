// Module mechanics (registration, modes, dtype conversion), the containers and their SequenceAware
// hook, Dropout, and the errors the layers give for wrong inputs. Numerics against PyTorch are in
// modules-fixtures.test.ts.
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, noGrad, ones, randn, tensor, zeros, type Tensor } from '../../src/index.js';
import { Generator } from '../../src/tensor/rng.js';

class Pair extends nn.Module {
  first = new nn.Linear(3, 4);
  _notAChild: nn.Module = new nn.ReLU();
  second = new nn.Linear(4, 2);
  forward(x: Tensor): Tensor {
    return this.second.call(this.first.call(x).relu());
  }
}

describe('Module', () => {
  it('registers parameters and children by assignment, in order, skipping _-prefixed properties', () => {
    const m = new Pair();
    expect(m.namedChildren().map(([k]) => k)).toEqual(['first', 'second']);
    expect(m.namedParameters().map(([k]) => k)).toEqual(['first.weight', 'first.bias', 'second.weight', 'second.bias']);
    expect(m.namedModules().map(([k]) => k)).toEqual(['', 'first', 'second']);
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it('lists a shared parameter once in parameters(), under each name in the state dict (as PyTorch)', () => {
    const m = new Pair();
    m.second.weight = m.first.weight as unknown as nn.Parameter; // tie (shapes differ, registration only)
    expect(m.parameters().length).toBe(3);
    expect([...m.stateDict().keys()]).toContain('second.weight');
  });

  it('train() and eval() set the mode recursively', () => {
    const seq = new nn.Sequential(new Pair(), new nn.Dropout(0.5));
    seq.eval();
    expect(seq.modules().every((m) => !m.training)).toBe(true);
    seq.train();
    expect(seq.modules().every((m) => m.training)).toBe(true);
  });

  it('zeroGrad clears every gradient', () => {
    const m = new Pair();
    m.call(randn([2, 3])).sum().backward();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('to(dtype) converts parameters and buffers in place, keeping the Parameter objects', () => {
    const m = new Pair();
    const w = m.first.weight;
    const values = Array.from(w.toArray());
    m.registerBuffer('stat', ones([2]));
    expect(m.to('float64')).toBe(m);
    expect(m.first.weight).toBe(w);
    expect(w.dtype).toBe('float64');
    expect(Array.from(w.toArray())).toEqual(values);
    expect(m.getBuffer('stat').dtype).toBe('float64');
    expect(m.call(randn([2, 3], { dtype: 'float64' })).dtype).toBe('float64');
    expect(() => m.to('int8' as 'float32')).toThrow(/Pair\.to: unsupported dtype "int8"/);
  });

  it('toString prints a PyTorch-style tree', () => {
    const s = new nn.Sequential(new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.Flatten(), new nn.Linear(8, 2)).toString();
    expect(s).toBe(
      [
        'Sequential(',
        '  (0): Conv2d(1, 8, kernelSize=[3, 3], padding=[1, 1])',
        '  (1): ReLU()',
        '  (2): Flatten(startDim=1, endDim=-1)',
        '  (3): Linear(inFeatures=8, outFeatures=2, bias=true)',
        ')',
      ].join('\n'),
    );
  });
});

// ---- containers ---------------------------------------------------------------------------------

/** Records every attachToSequence call it receives. */
class Aware extends nn.Module implements nn.SequenceAware {
  _calls: { modules: readonly nn.Module[]; index: number }[] = [];
  attachToSequence(modules: readonly nn.Module[], index: number): void {
    this._calls.push({ modules, index });
  }
  forward(x: Tensor): Tensor {
    return x.mul(2);
  }
}

describe('Sequential', () => {
  it('registers children as 0, 1, … and runs them in order', () => {
    const seq = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    expect([...seq.stateDict().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const x = randn([5, 3]);
    const manual = seq.at(2).call(seq.at(1).call(seq.at(0).call(x)));
    expect(Array.from(seq.call(x).toArray())).toEqual(Array.from(manual.toArray()));
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBe(seq.at(2));
    expect([...seq].length).toBe(3);
    expect(() => seq.at(3)).toThrow(/index 3 is out of range for a Sequential of 3 modules/);
    expect(() => new nn.Sequential({} as nn.Module)).toThrow(/argument 0 is not a Module/);
  });

  it('calls attachToSequence once per aware child, with the full list of children and its index', () => {
    const a = new Aware();
    const b = new Aware();
    const relu = new nn.ReLU();
    new nn.Sequential(a, relu, b);
    expect(a._calls.length).toBe(1);
    expect(b._calls.length).toBe(1);
    expect(a._calls[0]!.index).toBe(0);
    expect(b._calls[0]!.index).toBe(2);
    const list = b._calls[0]!.modules;
    expect(list).toEqual([a, relu, b]);
    expect(list).toBe(a._calls[0]!.modules);
    expect(Object.isFrozen(list)).toBe(true);
    // Every child is registered by the time any hook runs (the first hook already sees the last child).
    expect(a._calls[0]!.modules[2]).toBe(b);
    expect(nn.isSequenceAware(a)).toBe(true);
    expect(nn.isSequenceAware(relu)).toBe(false);
  });

  it('a module kept in an _-prefixed link by the hook is not registered twice', () => {
    class Linker extends nn.Module implements nn.SequenceAware {
      weight = new nn.Parameter(ones([1]));
      _previous: nn.Module | null = null;
      attachToSequence(modules: readonly nn.Module[], index: number): void {
        this._previous = index > 0 ? modules[index - 1]! : null;
      }
      forward(x: Tensor): Tensor {
        return x.mul(this.weight);
      }
    }
    const seq = new nn.Sequential(new Linker(), new Linker());
    expect((seq.at(1) as Linker)._previous).toBe(seq.at(0));
    expect([...seq.stateDict().keys()]).toEqual(['0.weight', '1.weight']);
  });
});

describe('ModuleList', () => {
  class Tower extends nn.Module {
    layers = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2)]);
    forward(x: Tensor): Tensor {
      for (const l of this.layers) x = l.call(x);
      return x;
    }
  }

  it('registers its modules as layers.0, layers.1, …; append and extend add more', () => {
    const t = new Tower();
    expect([...t.stateDict().keys()]).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']);
    t.layers.append(new nn.Linear(2, 2)).extend([new nn.ReLU()]);
    expect(t.layers.length).toBe(4);
    expect(t.layers.at(-1)).toBeInstanceOf(nn.ReLU);
    expect(t.namedParameters().map(([k]) => k)).toContain('layers.2.bias');
    expect(t.call(randn([1, 2])).shape).toEqual([1, 2]);
  });

  it('is not callable', () => {
    expect(() => new nn.ModuleList().call(zeros([1]))).toThrow(/ModuleList is not callable/);
  });
});

// ---- layers -------------------------------------------------------------------------------------

describe('layer options and errors', () => {
  it('Linear and Conv2d take a dtype and a bias flag', () => {
    const fc = new nn.Linear(3, 2, { dtype: 'float64', bias: false });
    expect(fc.weight.dtype).toBe('float64');
    expect(fc.bias).toBeNull();
    expect([...fc.stateDict().keys()]).toEqual(['weight']);
    const conv = new nn.Conv2d(4, 6, [3, 1], { groups: 2, bias: false });
    expect(conv.weight.shape).toEqual([6, 2, 3, 1]);
  });

  it('the default initialisation repeats under manualSeed', () => {
    manualSeed(3);
    const a = new nn.Conv2d(2, 3, 3).weight.toArray();
    manualSeed(3);
    const b = new nn.Conv2d(2, 3, 3).weight.toArray();
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('Conv2d accepts unbatched [C, H, W] input', () => {
    const conv = new nn.Conv2d(2, 3, [2, 3], { stride: [1, 2], padding: 1 });
    const x = randn([2, 5, 6]);
    const batched = conv.call(x.unsqueeze(0));
    const single = conv.call(x);
    expect(single.shape).toEqual(batched.shape.slice(1));
    expect(Array.from(single.toArray())).toEqual(Array.from(batched.toArray()));
  });

  it('wrong input shapes name the module and the shapes', () => {
    expect(() => new nn.Linear(4, 3).call(zeros([5, 3]))).toThrow(/Linear\(inFeatures=4, outFeatures=3, bias=true\): expected an input whose last dim is 4, got shape \[5, 3\]/);
    expect(() => new nn.Conv2d(3, 8, 3).call(zeros([2, 4, 8, 8]))).toThrow(/Conv2d\(3, 8, kernelSize=\[3, 3\]\): expected input of shape \[N, 3, H, W\] .*got \[2, 4, 8, 8\]/);
    expect(() => new nn.Conv2d(3, 8, 3).call(zeros([8, 8]))).toThrow(/Conv2d.*got \[8, 8\]/);
    expect(() => new nn.MaxPool2d(2).call(zeros([4, 4]))).toThrow(/MaxPool2d\(kernelSize=2.*\): expected input of shape \[N, C, H, W\].*got \[4, 4\]/);
    expect(() => new nn.AvgPool2d(2).call(zeros([1, 1, 1, 4, 4]))).toThrow(/AvgPool2d.*got \[1, 1, 1, 4, 4\]/);
    expect(() => new nn.AdaptiveAvgPool2d(2).call(zeros([4]))).toThrow(/AdaptiveAvgPool2d\(outputSize=2\).*got \[4\]/);
    expect(() => new nn.Flatten(2).call(zeros([3, 4]))).toThrow(/Flatten\(startDim=2, endDim=-1\): cannot flatten dims 2…-1 of an input of shape \[3, 4\]/);
    expect(() => new nn.Conv2d(2, 2, 5).call(zeros([1, 2, 3, 3]))).toThrow(/conv2d: the kernel .* is larger than the padded input/);
  });

  it('bad constructor arguments are clear errors', () => {
    expect(() => new nn.Linear(0, 3)).toThrow(/Linear: inFeatures must be a positive integer, got 0/);
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow(/inChannels \(3\) must be divisible by groups \(2\)/);
    expect(() => new nn.Conv2d(4, 3, 3, { groups: 2 })).toThrow(/outChannels \(3\) must be divisible by groups \(2\)/);
    expect(() => new nn.Conv2d(1, 1, [3, 0])).toThrow(/kernelSize must be an integer ≥ 1/);
    expect(() => new nn.Conv2d(1, 1, 3, { padding: -1 })).toThrow(/padding must be an integer ≥ 0/);
    expect(() => new nn.Conv2d(1, 1, 3, { padding: 'same', stride: 2 })).toThrow(/padding 'same' needs stride 1/);
    expect(() => new nn.LeakyReLU(NaN)).toThrow(/LeakyReLU: negativeSlope/);
    expect(() => new nn.GELU({ approximate: 'erf' as 'none' })).toThrow(/GELU: approximate must be 'none' or 'tanh'/);
    expect(() => new nn.Dropout(1.5)).toThrow(/Dropout: p must be a probability in \[0, 1\], got 1\.5/);
  });

  it('Conv2d padding "same" keeps the spatial size', () => {
    const conv = new nn.Conv2d(1, 2, [4, 3], { padding: 'same', dilation: [1, 2] });
    expect(conv.call(zeros([1, 1, 7, 6])).shape).toEqual([1, 2, 7, 6]);
  });
});

describe('Dropout', () => {
  it('in training zeroes about p of the elements and scales the rest by 1/(1 − p)', () => {
    manualSeed(1);
    const y = new nn.Dropout(0.3).call(ones([200, 100], { dtype: 'float64' })).toArray();
    const zerosCount = y.filter((v) => v === 0).length;
    // 20 000 Bernoulli(0.3) draws: σ ≈ 65; allow 5σ.
    expect(Math.abs(zerosCount - 6000)).toBeLessThan(325);
    expect(y.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-15)).toBe(true);
  });

  it('repeats under the same seed, and draws from its own generator when given one', () => {
    manualSeed(9);
    const a = new nn.Dropout(0.5).call(ones([50])).toArray();
    manualSeed(9);
    const b = new nn.Dropout(0.5).call(ones([50])).toArray();
    expect(Array.from(a)).toEqual(Array.from(b));
    const c = new nn.Dropout(0.5, { generator: new Generator(4) }).call(ones([50])).toArray();
    const d = new nn.Dropout(0.5, { generator: new Generator(4) }).call(ones([50])).toArray();
    expect(Array.from(c)).toEqual(Array.from(d));
  });

  it('is the identity in eval mode and for p = 0; all zeros for p = 1', () => {
    const x = randn([4, 4]);
    expect(new nn.Dropout(0.9).eval().call(x)).toBe(x);
    expect(Array.from(new nn.Dropout(0).call(x).toArray())).toEqual(Array.from(x.toArray()));
    expect(new nn.Dropout(1).call(x).toArray().every((v) => v === 0)).toBe(true);
  });

  it('the gradient passes through the same mask as the forward', () => {
    manualSeed(2);
    const x = tensor(new Float64Array(64).fill(1), { requiresGrad: true });
    const y = new nn.Dropout(0.5).call(x);
    y.sum().backward();
    expect(Array.from(x.grad!.toArray())).toEqual(Array.from(y.toArray()));
  });
});

describe('a small CNN trains end to end', () => {
  it('the loss of a conv-relu-pool-linear net falls on a fixed batch (SGD by hand)', () => {
    manualSeed(0);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(16, 3),
    );
    const x = randn([6, 1, 4, 4]);
    const y = tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    const lossAt = (): number => noGrad(() => model.call(x).sub(y).square().mean()).item();
    const start = lossAt();
    for (let step = 0; step < 60; step++) {
      model.zeroGrad();
      model.call(x).sub(y).square().mean().backward();
      noGrad(() => {
        for (const p of model.parameters()) {
          const g = p.grad!.array.data;
          for (let i = 0; i < g.length; i++) p.array.data[i] -= 0.1 * g[i]!;
        }
      });
    }
    expect(lossAt()).toBeLessThan(0.5 * start);
  });
});

describe('modules reachable twice', () => {
  it('are listed once by modules()/parameters() but under every name in the state dict (as PyTorch)', () => {
    const shared = new nn.Linear(2, 2);
    const seq = new nn.Sequential(shared, new nn.ReLU(), shared);
    expect(seq.namedModules().map(([k]) => k)).toEqual(['', '0', '1']);
    expect(seq.parameters().length).toBe(2);
    expect([...seq.stateDict().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });
});
