// The nn namespace (without the normalization layers, which live in src/norm and are merged into
// the public `nn` in src/index.ts).
export { Module, Parameter } from './module.js';
export type { StateDict, LoadStateDictOptions, LoadStateDictResult, ForwardHook, ForwardPreHook } from './module.js';
export { Sequential, ModuleList, ModuleDict, ParameterList, isSequenceAware } from './container.js';
export type { SequenceAware } from './container.js';
export { Linear, Flatten, Identity } from './layers.js';
export type { LayerOptions, LinearOptions } from './layers.js';
export { Conv2d } from './conv.js';
export type { Conv2dModuleOptions } from './conv.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, Upsample } from './pooling.js';
export type { MaxPool2dModuleOptions, AvgPool2dModuleOptions } from './pooling.js';
export { ReLU, LeakyReLU, GELU, Sigmoid, Tanh, ELU, SELU, Softplus, Mish, Hardtanh, ReLU6, Hardswish, Hardsigmoid, LogSigmoid } from './activation.js';
export { SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss } from './loss-more.js';
export type { BCELossOptions, BCEWithLogitsLossOptions } from './loss-more.js';
export { Dropout, Dropout2d } from './dropout.js';
export { SiLU, Softsign, PReLU, GLU, Softmax, LogSoftmax, CrossEntropyLoss, NLLLoss, MSELoss, L1Loss } from './activation-more.js';
export type { PReLUOptions } from './activation-more.js';
export { ConvTranspose2d, Conv1d, MaxPool1d, AvgPool1d } from './conv-more.js';
export type { ConvTranspose2dModuleOptions, Conv1dModuleOptions, MaxPool1dModuleOptions, AvgPool1dModuleOptions } from './conv-more.js';
export { Embedding } from './embedding.js';
export type { EmbeddingModuleOptions, EmbeddingFromPretrainedOptions } from './embedding.js';
export type { DropoutOptions } from './dropout.js';
export * as init from './init.js';
export { saveSafetensors, loadSafetensors, readSafetensors, serializeSafetensors, parseSafetensors } from './safetensors.js';
export type { SaveSafetensorsOptions, SafetensorsContents, SafetensorsDtype } from './safetensors.js';
export { saveCheckpoint, loadCheckpoint } from './checkpoint.js';
export type { CheckpointParts, CheckpointJson, CheckpointOptimizer, CheckpointScheduler } from './checkpoint.js';
