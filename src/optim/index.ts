// The optim namespace: optimizers and learning-rate schedulers, PyTorch's torch.optim.
export { Optimizer } from './optimizer.js';
export type {
  BaseHyper, ParamGroup, ParamGroupInput, ParamsInput, ParamState, OptimizerStateDict,
} from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDHyper, SGDOptions, SGDState } from './sgd.js';
export { Adam, AdamW, AdamBase } from './adam.js';
export type { AdamHyper, AdamOptions, AdamState } from './adam.js';
export { RMSprop } from './rmsprop.js';
export type { RMSpropHyper, RMSpropOptions, RMSpropState } from './rmsprop.js';
export { Adagrad } from './adagrad.js';
export type { AdagradHyper, AdagradOptions, AdagradState } from './adagrad.js';
export { LRScheduler, StepLR, MultiStepLR, CosineAnnealingLR } from './lr-scheduler.js';
export type {
  SchedulableOptimizer, LRSchedulerStateDict, SchedulerSetting, StepLROptions, MultiStepLROptions, CosineAnnealingLROptions,
} from './lr-scheduler.js';
export { LambdaLR, LinearLR, ExponentialLR } from './lr-scheduler-factor.js';
export type { LrLambda, LambdaLROptions, LinearLROptions, ExponentialLROptions } from './lr-scheduler-factor.js';
export { OneCycleLR } from './one-cycle-lr.js';
export type { OneCycleLROptions } from './one-cycle-lr.js';
export { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';
export type { ReduceLROnPlateauOptions, ReduceLROnPlateauStateDict } from './reduce-lr-on-plateau.js';
export { SequentialLR } from './sequential-lr.js';
export type { SequentialLROptions } from './sequential-lr.js';
