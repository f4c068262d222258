// The F functions of test/fixtures/functional.json: each JSON op name → the tsgrad call (mirrors
// TORCH in test/fixtures/make_functional_fixtures.py). Shared by the first- and second-order tests.
import { F, Tensor } from '../../src/index.js';
import { erf } from '../../src/tensor/kernels/special.js';
import { NDArray } from '../../src/tensor/ndarray.js';

export type Params = Record<string, unknown>;

/** Runs the F function a case names on tsgrad tensors, passing the case's params as tsgrad options. */
export function runFunctional(op: string, p: Params, xs: Tensor[]): Tensor {
  const [x, y, z] = xs;
  switch (op) {
    case 'linear': return F.linear(x!, y!, z);
    case 'conv2d': return F.conv2d(x!, y!, z, p as F.Conv2dOptions);
    case 'maxPool2d': return F.maxPool2d(x!, p as unknown as F.MaxPool2dOptions);
    case 'avgPool2d': return F.avgPool2d(x!, p as unknown as F.AvgPool2dOptions);
    case 'adaptiveAvgPool2d': return F.adaptiveAvgPool2d(x!, p.outputSize as number | [number | null, number | null]);
    case 'relu': return F.relu(x!);
    case 'leakyRelu': return p.negativeSlope === undefined ? F.leakyRelu(x!) : F.leakyRelu(x!, p.negativeSlope as number);
    case 'gelu': return F.gelu(x!, p as F.GeluOptions);
    case 'sigmoid': return F.sigmoid(x!);
    case 'tanh': return F.tanh(x!);
    case 'softmax': return F.softmax(x!, p.dim as number);
    case 'logSoftmax': return F.logSoftmax(x!, p.dim as number);
    case 'crossEntropy': return F.crossEntropy(x!, y!, { ...(p as F.CrossEntropyOptions), weight: z ?? null });
    case 'nllLoss': return F.nllLoss(x!, y!, { ...(p as F.NllLossOptions), weight: z ?? null });
    case 'mseLoss': return F.mseLoss(x!, y!, p as F.MseLossOptions);
    case 'pad': return F.pad(x!, p.pads as number[], (p.value as number | undefined) ?? 0);
    case 'silu': return F.silu(x!);
    case 'softsign': return F.softsign(x!);
    case 'prelu': return F.prelu(x!, y!);
    case 'glu': return F.glu(x!, (p.dim as number | undefined) ?? -1);
    case 'l1Loss': return F.l1Loss(x!, y!, p as { reduction?: 'mean' | 'sum' | 'none' });
    case 'padMode': return F.pad(x!, p.pads as number[], { mode: p.mode as F.PadOptions['mode'] });
    case 'cat': return F.cat(xs, p.dim as number);
    case 'stack': return F.stack(xs, p.dim as number);
    case 'convTranspose2d': return F.convTranspose2d(x!, y!, z, p as F.ConvTranspose2dOptions);
    case 'conv1d': return F.conv1d(x!, y!, z, p as F.Conv1dOptions);
    case 'maxPool1d': return F.maxPool1d(x!, p as unknown as F.MaxPool1dOptions);
    case 'avgPool1d': return F.avgPool1d(x!, p as unknown as F.AvgPool1dOptions);
    case 'adaptiveMaxPool2d': return F.adaptiveMaxPool2d(x!, p.outputSize as number | [number | null, number | null]);
    case 'interpolate': return F.interpolate(x!, p as F.InterpolateOptions);
    case 'elu': return F.elu(x!, p as F.EluOptions);
    case 'selu': return F.selu(x!);
    case 'softplus': return F.softplus(x!, p as F.SoftplusOptions);
    case 'mish': return F.mish(x!);
    case 'hardtanh': return F.hardtanh(x!, p as F.HardtanhOptions);
    case 'relu6': return F.relu6(x!);
    case 'hardswish': return F.hardswish(x!);
    case 'hardsigmoid': return F.hardsigmoid(x!);
    case 'logSigmoid': return F.logSigmoid(x!);
    case 'smoothL1Loss': return F.smoothL1Loss(x!, y!, p as F.SmoothL1LossOptions);
    case 'huberLoss': return F.huberLoss(x!, y!, p as F.HuberLossOptions);
    case 'binaryCrossEntropy': return F.binaryCrossEntropy(x!, y!, { ...(p as F.BinaryCrossEntropyOptions), weight: z ?? null });
    case 'binaryCrossEntropyWithLogits':
      return F.binaryCrossEntropyWithLogits(x!, y!, { ...(p as F.BinaryCrossEntropyWithLogitsOptions), weight: z ?? null, posWeight: xs[3] ?? null });
    case 'klDiv': return F.klDiv(x!, y!, p as F.KlDivOptions);
    case 'cosineSimilarity': return F.cosineSimilarity(x!, y!, p as F.CosineSimilarityOptions);
    // p may be the string "Infinity" (JSON has no ∞).
    case 'pairwiseDistance': return F.pairwiseDistance(x!, y!, { ...(p as F.PairwiseDistanceOptions), p: p.p === undefined ? undefined : Number(p.p) });
    // The index inputs arrive as float tensors of integer values (the fixture layout): converted to int32.
    case 'oneHot': return F.oneHot(x!.to('int32'), (p.numClasses as number | undefined) ?? -1).to(x!.dtype);
    case 'embedding': return F.embedding(x!.to('int32'), y!, p as F.EmbeddingOptions);
    case 'erf': {
      const v = x!.toArray().map(erf);
      return new Tensor(new NDArray(v, [...x!.shape]));
    }
    default: throw new Error(`no runner for op ${op}`);
  }
}
