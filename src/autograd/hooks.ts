// Gradient hooks (Tensor.registerHook, retainGrad): functions the engine calls with a tensor's
// gradient once it is complete, before it flows on (or into .grad). A hook may return a
// replacement of the same shape and dtype. Kept by graph node (non-leaf tensors) or by tensor
// (leaves), in a WeakMap so tensors without hooks carry nothing.
import { sameShape, shapeString } from '../tensor/shape.js';
import type { GraphNode } from './node.js';
import type { Tensor } from './tensor.js';

/** A gradient hook: gets the gradient; returns a replacement, or nothing to keep it. */
export type GradHook = (grad: Tensor) => Tensor | void;

/** What `registerHook` (and the module hooks) return: `remove()` unregisters the hook. */
export interface RemovableHandle {
  /** Unregisters the hook (a second call does nothing). */
  remove(): void;
}

const hooks = new WeakMap<GraphNode | Tensor, GradHook[]>();

/** Registers `hook` on the gradient arriving at `key` (a tensor's node, or a leaf tensor). */
export function addGradHook(key: GraphNode | Tensor, hook: GradHook): RemovableHandle {
  const list = hooks.get(key) ?? [];
  list.push(hook);
  hooks.set(key, list);
  return {
    remove: () => {
      const i = list.indexOf(hook);
      if (i >= 0) list.splice(i, 1);
    },
  };
}

/** Whether any hook is registered at `key` (the engine skips the call otherwise). */
export function hasGradHooks(key: GraphNode | Tensor): boolean {
  const list = hooks.get(key);
  return list !== undefined && list.length > 0;
}

/** Runs the hooks at `key` in registration order; each sees the previous one's result. */
export function runGradHooks(key: GraphNode | Tensor, grad: Tensor, where: string): Tensor {
  let g = grad;
  for (const hook of [...(hooks.get(key) ?? [])]) {
    const replaced: unknown = hook(g);
    if (replaced === undefined) continue;
    const ok = typeof replaced === 'object' && replaced !== null && 'array' in replaced && 'shape' in replaced;
    if (!ok) throw new Error(`registerHook (${where}): a hook returned ${typeof replaced}; return a Tensor of the gradient's shape, or nothing`);
    const t = replaced as Tensor;
    if (!sameShape(t.shape, g.shape) || t.dtype !== g.dtype) {
      throw new Error(`registerHook (${where}): a hook returned a gradient of shape ${shapeString(t.shape)} and dtype ${t.dtype}; expected shape ${shapeString(g.shape)} and dtype ${g.dtype}`);
    }
    g = t;
  }
  return g;
}
