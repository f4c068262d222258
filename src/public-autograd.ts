// The public `autograd` namespace (torch.autograd): grad, and the functional API.
export { grad } from './autograd/grad.js';
export type { GradOptions } from './autograd/grad.js';
export * as functional from './autograd/functional.js';
