// The functional interface (`F`): stateless functions that the nn layers are built on, with
// PyTorch's names and semantics. Normalization functions live in src/norm/; src/index.ts assembles
// the public `F` from both.
export { linear, conv2d } from './functional/conv.js';
export { convTranspose2d, conv1d } from './functional/conv-transpose.js';
export type { ConvTranspose2dOptions, Conv1dOptions } from './functional/conv-transpose.js';
export type { Conv2dOptions } from './functional/conv.js';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, adaptiveMaxPool2d } from './functional/pooling.js';
export { interpolate } from './functional/interpolate.js';
export type { InterpolateOptions } from './functional/interpolate.js';
export type { MaxPool2dOptions, AvgPool2dOptions } from './functional/pooling.js';
export { maxPool1d, avgPool1d } from './functional/pooling1d.js';
export type { MaxPool1dOptions, AvgPool1dOptions } from './functional/pooling1d.js';
export { relu, leakyRelu, gelu, sigmoid, tanh, softmax, logSoftmax } from './functional/activation.js';
export type { GeluOptions } from './functional/activation.js';
export { nllLoss, crossEntropy, mseLoss, l1Loss } from './functional/loss.js';
export type { Targets, NllLossOptions, CrossEntropyOptions, MseLossOptions, L1LossOptions } from './functional/loss.js';
export { silu, softsign, prelu, glu, elu, selu, softplus, mish, hardtanh, relu6, hardswish, hardsigmoid, logSigmoid } from './functional/activation-more.js';
export type { EluOptions, SoftplusOptions, HardtanhOptions } from './functional/activation-more.js';
export { smoothL1Loss, huberLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv, cosineSimilarity, pairwiseDistance } from './functional/loss-more.js';
export type {
  SmoothL1LossOptions, HuberLossOptions, BinaryCrossEntropyOptions, BinaryCrossEntropyWithLogitsOptions, KlDivOptions,
  CosineSimilarityOptions, PairwiseDistanceOptions,
} from './functional/loss-more.js';
export { dropout, dropout2d } from './functional/dropout.js';
export { pad, cat, stack } from './functional/join.js';
export type { PadOptions } from './functional/join.js';
export type { Pair, Reduction } from './functional/args.js';
export { oneHot, embedding } from './functional/embedding.js';
export type { EmbeddingOptions } from './functional/embedding.js';
