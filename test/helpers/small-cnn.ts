// The small CNNs that the PyTorch fixture scripts build too (test/fixtures/make_nn_fixtures.py and
// make_safetensors_fixtures.py), in tsgrad: same structure, so the same state-dict keys.
import { manualSeed, nn, noGrad, ones, randn, tensor, zeros, type Tensor } from '../../src/index.js';

/**
 * BatchNorm2d in evaluation mode only, as a composite: y = (x − running_mean) / √(running_var + eps)
 * · weight + bias, with PyTorch's parameter and buffer names. A stand-in so that these tests cover
 * BatchNorm's state-dict entries (incl. the int64 num_batches_tracked) without depending on the
 * normalization layers of src/norm.
 */
export class EvalBatchNorm2d extends nn.Module {
  weight: nn.Parameter;
  bias: nn.Parameter;

  constructor(readonly numFeatures: number, readonly eps = 1e-5) {
    super();
    this.weight = new nn.Parameter(ones([numFeatures]));
    this.bias = new nn.Parameter(zeros([numFeatures]));
    this.registerBuffer('running_mean', zeros([numFeatures]));
    this.registerBuffer('running_var', ones([numFeatures]));
    this.registerBuffer('num_batches_tracked', zeros([]));
  }

  forward(x: Tensor): Tensor {
    if (this.training) throw new Error('EvalBatchNorm2d: evaluation mode only');
    const c = [1, this.numFeatures, 1, 1];
    const mean = this.getBuffer('running_mean').to(x.dtype).reshape(c);
    const std = this.getBuffer('running_var').to(x.dtype).add(this.eps).sqrt().reshape(c);
    return x.sub(mean).div(std).mul(this.weight.to(x.dtype).reshape(c)).add(this.bias.to(x.dtype).reshape(c));
  }
}

/** make_safetensors_fixtures.py's torch_cnn(): conv-bn-relu-pool-conv-relu-pool-flatten-linear. */
export function torchCnn(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }),
    new EvalBatchNorm2d(4),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(4, 6, [3, 2], { stride: [1, 2], padding: [1, 0] }),
    new nn.ReLU(),
    new nn.AvgPool2d(2),
    new nn.Flatten(),
    new nn.Linear(12, 5),
  );
}

/** make_nn_fixtures.py's small_cnn(): conv-relu-pool-conv-tanh-pool-flatten-linear. */
export function smallCnn(options: { dtype?: 'float32' | 'float64' } = {}): nn.Sequential {
  const dtype = options.dtype;
  return new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1, dtype }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(4, 3, [3, 2], { stride: [1, 2], padding: [1, 0], dtype }),
    new nn.Tanh(),
    new nn.AvgPool2d(2),
    new nn.Flatten(),
    new nn.Linear(6, 5, { dtype }),
  );
}

/** The `__metadata__` of test/fixtures/tsgrad_cnn.safetensors. */
export const TSGRAD_CNN_METADATA = { format: 'pt', writer: 'tsgrad' };

/**
 * The model whose weights test/fixtures/tsgrad_cnn.safetensors holds: torchCnn() with tsgrad's
 * default initialisation under a fixed seed, plus non-trivial BatchNorm parameters and buffers, and
 * the input the recorded outputs come from. Deterministic: same seed, same bytes.
 */
export function tsgradCnnFixture(): { model: nn.Sequential; input: Tensor } {
  manualSeed(20240605);
  const model = torchCnn();
  const bn = model.at(1) as EvalBatchNorm2d;
  nn.init.uniform(bn.weight, 0.5, 1.5);
  nn.init.uniform(bn.bias, -0.2, 0.2);
  nn.init.normal(bn.getBuffer('running_mean'), 0, 0.1);
  nn.init.uniform(bn.getBuffer('running_var'), 0.05, 0.2);
  nn.init.constant(bn.getBuffer('num_batches_tracked'), 11);
  model.eval();
  const input = randn([3, 1, 8, 8]);
  return { model, input };
}

/**
 * The issue-14 interop model (check_tsgrad_safetensors.py's EmbedUpsampler): token → Embedding
 * row → reshaped to a 2×3×3 image → ConvTranspose2d (stride 2, to 3×6×6) → BatchNorm2d → PReLU per
 * channel. Its state dict holds every kind of entry those layers have: PyTorch's keys, in PyTorch's order.
 */
export class EmbedUpsampler extends nn.Module {
  embed = new nn.Embedding(10, 18, { paddingIdx: 0 });
  up = new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, outputPadding: 1 });
  bn = new nn.BatchNorm2d(3);
  act = new nn.PReLU({ numParameters: 3 });

  forward(tokens: Tensor): Tensor {
    const image = this.embed.call(tokens).reshape([tokens.shape[0]!, 2, 3, 3]);
    return this.act.call(this.bn.call(this.up.call(image)));
  }
}

/** The `__metadata__` of test/fixtures/tsgrad_embed_upsampler.safetensors. */
export const TSGRAD_EMBED_METADATA = { format: 'pt', writer: 'tsgrad', model: 'EmbedUpsampler' };

/**
 * The model whose weights test/fixtures/tsgrad_embed_upsampler.safetensors holds: EmbedUpsampler
 * with tsgrad's default initialisation under a fixed seed, BatchNorm's running statistics from two
 * training-mode batches (so num_batches_tracked = 2), PReLU slopes drawn away from 0.25; then
 * evaluation mode, and the int32 tokens the recorded outputs come from. Deterministic.
 */
export function tsgradEmbedFixture(): { model: EmbedUpsampler; tokens: Tensor } {
  manualSeed(20261214);
  const model = new EmbedUpsampler();
  nn.init.uniform(model.act.weight, -0.5, 0.5);
  noGrad(() => {
    model.call(tensor([1, 2, 3, 4, 5, 6], { dtype: 'int32' }));
    model.call(tensor([7, 8, 9, 0, 3, 3], { dtype: 'int32' }));
  });
  model.eval();
  return { model, tokens: tensor([0, 4, 9, 2, 2], { dtype: 'int32' }) };
}
