// The public surface of tsgrad: re-exports only.
export { Tensor } from './autograd/tensor.js';
export type { Operand, VarOptions, BackwardOptions, NestedArray } from './autograd/tensor.js';
export { tensor, zeros, ones, full, zerosLike, onesLike, arange, eye, rand, randn } from './autograd/creation.js';
export type { CreationOptions, TensorOptions, RandomOptions } from './autograd/creation.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad-mode.js';
export { gradcheck } from './autograd/gradcheck.js';
export { customOp } from './autograd/custom-op.js';
export type { CustomOpDef } from './autograd/custom-op.js';
export type { OpDef } from './autograd/op.js';
export type { GradcheckOptions, GradcheckResult } from './autograd/gradcheck.js';
export { manualSeed, Generator } from './tensor/rng.js';
export { setDefaultDtype, getDefaultDtype } from './tensor/dtype.js';
export type { DType } from './tensor/dtype.js';
export { NDArray } from './tensor/ndarray.js';
export * as optim from './optim/index.js';
export * as F from './public-functional.js';
export * as nn from './public-nn.js';
export * as data from './data/index.js';
