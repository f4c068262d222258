/**
 * The experiment's models (docs/experiment.md, "Models"), each built around one normalization choice:
 * - `cnn`: conv(C→8, 3×3, pad 1)-norm-ReLU-maxpool 2-conv(8→16, 3×3, pad 1)-norm-ReLU-maxpool 2-linear;
 * - `mlp`: linear(C·H·W→128)-norm-ReLU-linear(128→64)-norm-ReLU-linear(64→classes), 1-d norms;
 * - `vgg`: four VGG-style blocks conv(3×3, pad 1)-norm-ReLU with 16, 32, 64, 64 channels, a 2×2
 *   max pool after each of the first three (28 → 14 → 7 → 3), global average pool, linear: the last
 *   norm sees 3×3 = 9 positions per sample, so a normalization batch of 2 gives it 18 values per channel;
 * - `resnet`: a small pre-activation ResNet (He et al. 2016, "Identity mappings"): a conv-norm-ReLU
 *   stem to 16 channels, three pre-activation blocks (16, 32, 64 channels; stride 2 into the last
 *   two), then norm-ReLU-global average pool-linear.
 *
 * Normalization batches are made with the `groups` option: a norm with `groups: S` inside an
 * optimizer batch of N normalizes S chunks of N/S samples separately.
 */
import { nn, type Tensor } from '../src/index.js';
import type { Configuration, ModelName, NormName } from './config.js';

type Module = nn.Module;

/** GroupNorm's number of groups in every layer (the channel counts here are 8–128; 4 divides them all). */
export const GROUP_NORM_GROUPS = 4;

/**
 * BKN with the authors' released settings (spec v1 in docs/bkn.md, "Paper, released code, and tsgrad"): the prediction made
 * from the previous layer's pre-normalization statistics ('sampled-prenorm'), a fixed gain of 0.1,
 * no prior for the first layer, and the released code's guard (the arithmetic mean of the
 * variance ratios).
 */
export function bknPaperOptions(groups: number): nn.BatchKalmanNormOptions {
  return { groups, transition: 'sampled-prenorm', gain: 0.1, firstPrior: 'none', guardMean: 'arithmetic' };
}

/** Whether a norm name is one of the BKN variants. */
function isBkn(norm: NormName): boolean {
  return norm === 'bkn' || norm === 'bkn-paper' || norm === 'bkn-sampled' || norm === 'bkn-analytic';
}

/** The options of a BKN variant: library defaults, the authors' settings, or an explicit transition. */
function bknOptions(norm: NormName, groups: number): nn.BatchKalmanNormOptions {
  if (norm === 'bkn-paper') return bknPaperOptions(groups);
  if (norm === 'bkn-sampled') return { groups, transition: 'sampled' };
  if (norm === 'bkn-analytic') return { groups, transition: 'analytic' };
  return { groups };
}

/**
 * The norm layer for one place in a model, or null for `none`. `dims` 1 for [N, C] inputs, 2 for
 * [N, C, H, W]. Inside a Sequential, BKN layers link their chain by themselves (docs/bkn.md, "Wiring the chain").
 */
export function makeNorm(norm: NormName, dims: 1 | 2, channels: number, groups: number): Module | null {
  switch (norm) {
    case 'none':
      return null;
    case 'bn':
      return dims === 1 ? new nn.BatchNorm1d(channels, { groups }) : new nn.BatchNorm2d(channels, { groups });
    case 'brn':
      return dims === 1 ? new nn.BatchRenorm1d(channels, { groups }) : new nn.BatchRenorm2d(channels, { groups });
    case 'gn':
      return new nn.GroupNorm(GROUP_NORM_GROUPS, channels);
    case 'bkn':
      return dims === 1 ? new nn.BatchKalmanNorm1d(channels, { groups }) : new nn.BatchKalmanNorm2d(channels, { groups });
    case 'bkn-paper':
    case 'bkn-sampled':
    case 'bkn-analytic': {
      const options = bknOptions(norm, groups);
      return dims === 1 ? new nn.BatchKalmanNorm1d(channels, options) : new nn.BatchKalmanNorm2d(channels, options);
    }
  }
}

/** Modules without the nulls (no normalization leaves the slot out). */
function layers(...modules: (Module | null)[]): Module[] {
  return modules.filter((m): m is Module => m !== null);
}

/** The experiment's CNN for inputs [N, C, H, W] (H and W divisible by 4). */
export function buildCnn(norm: NormName, groups: number, inputShape: readonly number[], classes: number): nn.Sequential {
  const [c, h, w] = inputShape as [number, number, number];
  return new nn.Sequential(...layers(
    new nn.Conv2d(c, 8, 3, { padding: 1 }),
    makeNorm(norm, 2, 8, groups),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1 }),
    makeNorm(norm, 2, 16, groups),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * Math.floor(h / 4) * Math.floor(w / 4), classes),
  ));
}

/** The `vgg` model's channels per block; a 2×2 max pool follows every block but the last. */
export const VGG_CHANNELS = [8, 16, 32, 32] as const;

/**
 * The experiment's deeper CNN for inputs [N, C, H, W]: VGG-style blocks (conv-norm-ReLU, max pool
 * between blocks), so that the late norms see few positions per sample (3×3 on 28×28 inputs) —
 * where batch statistics over a micro-batch become noisy (issue 16). Inside the Sequential the BKN
 * layers chain themselves: each is predicted from the one before through ReLU, MaxPool2d, Conv2d.
 */
export function buildVgg(norm: NormName, groups: number, inputShape: readonly number[], classes: number): nn.Sequential {
  const modules: (Module | null)[] = [];
  let inC = inputShape[0]!;
  VGG_CHANNELS.forEach((outC, block) => {
    modules.push(new nn.Conv2d(inC, outC, 3, { padding: 1 }), makeNorm(norm, 2, outC, groups), new nn.ReLU());
    if (block < VGG_CHANNELS.length - 1) modules.push(new nn.MaxPool2d(2));
    inC = outC;
  });
  return new nn.Sequential(...layers(...modules, new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(inC, classes)));
}

/** The experiment's MLP 784-128-64-10 (input size from the data), with 1-d nn. */
export function buildMlp(norm: NormName, groups: number, inputShape: readonly number[], classes: number): nn.Sequential {
  const features = inputShape.reduce((a, b) => a * b, 1);
  return new nn.Sequential(...layers(
    new nn.Flatten(),
    new nn.Linear(features, 128),
    makeNorm(norm, 1, 128, groups),
    new nn.ReLU(),
    new nn.Linear(128, 64),
    makeNorm(norm, 1, 64, groups),
    new nn.ReLU(),
    new nn.Linear(64, classes),
  ));
}

/** A BKN prediction source for a layer: where its input's distribution comes from. */
interface ChainLink {
  from: nn.BatchKalmanNorm | nn.KalmanSum;
  between: Module[];
}

/** makeNorm, wired into a BKN chain by hand (`prev`/`between`) when the norm is a BKN. */
function chainedNorm(norm: NormName, channels: number, groups: number, link: ChainLink | null): Module | null {
  if (link === null || !isBkn(norm)) return makeNorm(norm, 2, channels, groups);
  const options = bknOptions(norm, groups);
  return new nn.BatchKalmanNorm2d(channels, { ...options, prev: link.from, between: link.between });
}

/** The modules in order, skipping the nulls of `none`. */
function apply(x: Tensor, ...modules: (Module | null)[]): Tensor {
  let out = x;
  for (const m of modules) if (m !== null) out = m.call(out);
  return out;
}

/**
 * One pre-activation residual block (He et al. 2016): with a = relu(norm1(x)),
 * y = conv2(relu(norm2(conv1(a)))) + shortcut, the shortcut x itself, or conv1×1(a) where the
 * shape changes (strided). For BKN the block wires the chain: norm1 is predicted from the block's
 * input source, norm2 from norm1 through relu and conv1, and the output is a `KalmanSum` of the
 * two branches (docs/bkn.md, "Wiring the chain": `KalmanSum`) that the next layer is predicted from.
 */
class PreActBlock extends nn.Module {
  readonly norm1: Module | null;
  readonly conv1: nn.Conv2d;
  readonly norm2: Module | null;
  readonly conv2: nn.Conv2d;
  readonly shortcut: nn.Conv2d | null;
  readonly _relu1 = new nn.ReLU();
  readonly _relu2 = new nn.ReLU();
  /** The source of this block's output distribution, for the next BKN layer (null unless BKN). */
  readonly _out: ChainLink | null;

  constructor(norm: NormName, groups: number, inC: number, outC: number, stride: number, input: ChainLink | null) {
    super();
    const bias = norm === 'none';
    this.norm1 = chainedNorm(norm, inC, groups, input);
    this.conv1 = new nn.Conv2d(inC, outC, 3, { stride, padding: 1, bias });
    this.norm2 = chainedNorm(norm, outC, groups, this.norm1 instanceof nn.BatchKalmanNorm ? { from: this.norm1, between: [this._relu1, this.conv1] } : null);
    this.conv2 = new nn.Conv2d(outC, outC, 3, { padding: 1, bias });
    this.shortcut = stride !== 1 || inC !== outC ? new nn.Conv2d(inC, outC, 1, { stride, bias: false }) : null;
    if (this.norm1 instanceof nn.BatchKalmanNorm && this.norm2 instanceof nn.BatchKalmanNorm && input !== null) {
      const main = { from: this.norm2, between: [this._relu2, this.conv2] };
      const side = this.shortcut === null ? input : { from: this.norm1, between: [this._relu1, this.shortcut] };
      this._out = { from: new nn.KalmanSum([main, side]), between: [] };
    } else this._out = null;
  }

  forward(x: Tensor): Tensor {
    const a = apply(x, this.norm1, this._relu1);
    const y = apply(a, this.conv1, this.norm2, this._relu2, this.conv2);
    return y.add(this.shortcut === null ? x : this.shortcut.call(a));
  }
}

/**
 * A small pre-activation ResNet for CIFAR-sized inputs: a conv-norm-ReLU stem (16 channels),
 * three blocks (16, 32, 64 channels; stride 2 into the last two), norm-ReLU, global average pool,
 * linear — 8 conv/linear weight layers. The stem has a norm (many CIFAR pre-activation ResNets
 * start with a bare conv) so that the first block's identity shortcut has a BKN source.
 */
class PreActResNet extends nn.Module {
  readonly stem: nn.Conv2d;
  readonly stemNorm: Module | null;
  readonly block1: PreActBlock;
  readonly block2: PreActBlock;
  readonly block3: PreActBlock;
  readonly headNorm: Module | null;
  readonly fc: nn.Linear;
  readonly _relu = new nn.ReLU();

  constructor(norm: NormName, groups: number, inC: number, classes: number) {
    super();
    this.stem = new nn.Conv2d(inC, 16, 3, { padding: 1, bias: norm === 'none' });
    this.stemNorm = makeNorm(norm, 2, 16, groups);
    const stemLink = this.stemNorm instanceof nn.BatchKalmanNorm ? { from: this.stemNorm, between: [this._relu] } : null;
    this.block1 = new PreActBlock(norm, groups, 16, 16, 1, stemLink);
    this.block2 = new PreActBlock(norm, groups, 16, 32, 2, this.block1._out);
    this.block3 = new PreActBlock(norm, groups, 32, 64, 2, this.block2._out);
    this.headNorm = chainedNorm(norm, 64, groups, this.block3._out);
    this.fc = new nn.Linear(64, classes);
  }

  forward(x: Tensor): Tensor {
    const h = apply(x, this.stem, this.stemNorm, this._relu, this.block1, this.block2, this.block3, this.headNorm, this._relu);
    return this.fc.call(h.mean([2, 3]));
  }
}

/** The small pre-activation ResNet (see PreActResNet). */
export function buildResnet(norm: NormName, groups: number, inputShape: readonly number[], classes: number): nn.Module {
  return new PreActResNet(norm, groups, inputShape[0]!, classes);
}

/** The model of a configuration. Parameters are initialised from tsgrad's global generator: seed it first. */
export function buildModel(config: Configuration, inputShape: readonly number[], classes: number): nn.Module {
  const builders: Record<ModelName, (norm: NormName, groups: number, inputShape: readonly number[], classes: number) => nn.Module> = { cnn: buildCnn, mlp: buildMlp, vgg: buildVgg, resnet: buildResnet };
  return builders[config.model](config.norm, config.groups, inputShape, classes);
}
