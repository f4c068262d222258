// The normalization layers and functional forms. The public `nn` and `F` namespaces are assembled
// in src/index.ts from src/nn and this folder (src/nn never imports src/norm).
export { BatchNorm1d, BatchNorm2d, BatchRenorm1d, BatchRenorm2d } from './batchnorm.js';
export type { BatchNormOptions, BatchRenormOptions, RenormState } from './batchnorm.js';
export { GroupNorm, LayerNorm, InstanceNorm2d } from './sample-norms.js';
export type { GroupNormOptions, LayerNormOptions, InstanceNormOptions } from './sample-norms.js';
export {
  BatchKalmanNorm, BatchKalmanNorm1d, BatchKalmanNorm2d, KalmanSum, kalmanUpdate, guardRatio,
} from './kalman.js';
export type {
  BatchKalmanNormOptions, Between, KalmanBranch, KalmanGain, KalmanSource, KalmanStepInfo, KalmanTransition,
  KalmanTransitionFn, NoiseFn,
} from './kalman.js';
export { batchNorm, groupNorm, layerNorm, instanceNorm, normMomentsFused, normalizeWithFused } from './functional.js';
export type { BatchNormFnOptions, GroupNormFnOptions, LayerNormFnOptions, InstanceNormFnOptions } from './functional.js';
export {
  batchNormComposite, groupNormComposite, layerNormComposite, instanceNormComposite, momentsComposite, normalizeWithComposite,
} from './composite.js';
export type { NormImplementation, NormLayout } from './layout.js';
