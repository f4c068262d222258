// The public `nn` namespace: layers from src/nn plus the normalization layers from src/norm, as
// torch.nn holds both. Assembled here so that src/nn never imports src/norm.
export * from './nn/index.js';
export * as utils from './nn/utils.js';
export {
  BatchNorm1d, BatchNorm2d, BatchRenorm1d, BatchRenorm2d, GroupNorm, LayerNorm, InstanceNorm2d,
  BatchKalmanNorm, BatchKalmanNorm1d, BatchKalmanNorm2d, KalmanSum,
} from './norm/index.js';
export type {
  BatchNormOptions, BatchRenormOptions, GroupNormOptions, LayerNormOptions, InstanceNormOptions, BatchKalmanNormOptions,
  KalmanGain, KalmanTransition, KalmanTransitionFn,
} from './norm/index.js';
