/**
 * Train in tsgrad, load in PyTorch: a small classifier (Linear, BatchNorm1d, ReLU, Linear) trains a
 * few steps, then its state dict — weights, biases and BatchNorm's running statistics — is saved
 * as a safetensors file under PyTorch's names (`0.weight`, `1.running_mean`,
 * `1.num_batches_tracked`), next to a JSON file with an input and tsgrad's output for it.
 *
 *   npx tsx examples/save-for-pytorch.ts                    # writes results/save-for-pytorch/
 *   python3 examples/load_in_pytorch.py results/save-for-pytorch
 *
 * Flags: --steps N (default 200), --out DIR (default results/save-for-pytorch); --help lists them.
 *
 * The PyTorch side (all of it is in examples/load_in_pytorch.py, which also reads the file without
 * the `safetensors` package):
 *
 *   import torch
 *   from torch import nn
 *   from safetensors.torch import load_file            # pip install safetensors
 *
 *   model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
 *   model.load_state_dict(load_file("results/save-for-pytorch/model.safetensors"))  # strict
 *   model.eval()                                        # use the running statistics, as tsgrad's eval()
 *
 * The structure must be the same on both sides (the keys are the positions in the Sequential); the
 * reverse direction works the same way with `nn.loadSafetensors` and `model.loadStateDict`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { F, manualSeed, nn, noGrad, optim, randn, tensor } from '../src/index.js';
import { exampleFlags } from './lib/flags.js';

const { steps, out: outDir } = exampleFlags('save-for-pytorch.ts', 'Train a small classifier and save its state dict under PyTorch names (safetensors).', {
  steps: { kind: 'int', min: 0, default: 200, help: 'training steps' },
  out: { kind: 'text', default: 'results/save-for-pytorch', help: 'the directory for model.safetensors and check.json' },
});
manualSeed(0);
// Toy data: three Gaussian blobs in 4-d, 64 points each, centres at ±2 on different axes.
const centres = [[2, 0, 0, 0], [0, 2, 0, -2], [-2, -2, 2, 0]];
const labels = centres.flatMap((_, c) => Array<number>(64).fill(c));
const x = randn([labels.length, 4]).add(tensor(labels.map((c) => centres[c]!)));
const y = tensor(labels);

// The same structure as the PyTorch model in load_in_pytorch.py.
const model = new nn.Sequential(
  new nn.Linear(4, 16),
  new nn.BatchNorm1d(16),
  new nn.ReLU(),
  new nn.Linear(16, 3),
);
const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
for (let step = 1; step <= steps; step++) {
  const loss = F.crossEntropy(model.call(x), y);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  if (step === 1 || step % Math.max(1, Math.floor(steps / 4)) === 0) console.log(`step ${step}: loss ${loss.item().toFixed(4)}`);
}

// Evaluation mode: BatchNorm uses its running statistics, so the output of one sample does not
// depend on the others — PyTorch's eval() must give the same numbers.
model.eval();
const input = x.narrow(0, 0, 8).contiguous();
const output = noGrad(() => model.call(input));

mkdirSync(outDir, { recursive: true });
const weights = join(outDir, 'model.safetensors');
const state = model.stateDict();
nn.saveSafetensors(weights, state, { metadata: { format: 'pt', source: 'tsgrad examples/save-for-pytorch.ts' } });
const check = { input: input.toNested(), output: output.toNested() };
writeFileSync(join(outDir, 'check.json'), `${JSON.stringify(check)}\n`);

console.log(`saved ${state.size} tensors to ${weights}:`);
for (const [key, t] of state) {
  // num_batches_tracked is a float64 buffer in tsgrad and is stored as int64, PyTorch's type.
  const stored = key.endsWith('num_batches_tracked') ? 'int64' : t.dtype;
  console.log(`  ${key.padEnd(22)} ${stored} [${t.shape.join(', ')}]`);
}
console.log(`and an input with tsgrad's output to ${join(outDir, 'check.json')}`);
console.log(`load them in PyTorch: python3 examples/load_in_pytorch.py ${outDir}`);
