// The public `F` namespace: functions from src/nn/functional plus the normalization functions from
// src/norm (torch.nn.functional holds both).
export * from './nn/functional.js';
export { batchNorm, groupNorm, layerNorm, instanceNorm } from './norm/functional.js';
export type { BatchNormFnOptions, GroupNormFnOptions, LayerNormFnOptions, InstanceNormFnOptions } from './norm/functional.js';
