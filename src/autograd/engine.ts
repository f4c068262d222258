import { sameShape, shapeString } from '../tensor/shape.js';
import { enableGrad, noGrad } from './grad-mode.js';
import { keepingMemory, recyclingMemory, type GradientMemory, type OwnedGrad } from './grad-memory.js';
import { hasGradHooks, runGradHooks } from './hooks.js';
import type { GraphNode } from './node.js';
import { Tensor } from './tensor.js';

/** How one backward pass runs. */
export interface BackwardRun {
  /** Keep the graph's saved values so backward can run through it again. */
  retainGraph: boolean;
  /** Record the backward pass itself, so the gradients can be differentiated again. */
  createGraph: boolean;
  /**
   * `autograd.grad`: return the gradients of these tensors (leaves or not) instead of adding into
   * the leaves' `.grad`.
   */
  capture?: readonly Tensor[];
}

/**
 * Reverse-mode differentiation from `roots` with upstream gradients `seeds`:
 * 1. order the graph's nodes topologically with an explicit stack (no recursion, so a chain of
 *    100 000 ops cannot overflow the call stack);
 * 2. walk them from the outputs back, calling each op's backward and *adding* into each input's
 *    gradient (a tensor used twice receives both contributions);
 * 3. free each node after its backward unless `retainGraph`.
 * Leaf tensors that require grad accumulate into `.grad`, as in PyTorch — unless `capture` asks
 * for the gradients of given tensors, which are returned instead (null where none arrived).
 * Backward rules are Tensor operations: without `createGraph` they run under noGrad (nothing is
 * recorded); with it they are recorded like any forward.
 */
export function runBackward(roots: readonly Tensor[], seeds: readonly Tensor[], run: BackwardRun): (Tensor | null)[] {
  const memory: GradientMemory = run.createGraph ? keepingMemory : recyclingMemory;
  const pending = new Map<GraphNode, OwnedGrad>(); // gradients waiting at each node's output
  const leafGrads = new Map<Tensor, OwnedGrad>();
  const captured = new Map<GraphNode | Tensor, Tensor>();
  const capturedNodes = new Set(run.capture?.map((t) => t.gradFn).filter((n) => n !== null));
  const pass = (): void => {
    roots.forEach((root, i) => addGradient(root, { g: seeds[i]!, owned: false }, pending, leafGrads, memory));
    const order = topologicalOrder(roots);
    const needed = run.capture === undefined ? null : nodesLeadingTo(order, run.capture);
    // Reverse post-order: every node runs after all the nodes that consume its output.
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i]!;
      const complete = pending.get(node);
      pending.delete(node);
      if (complete === undefined) continue;
      let entry = withHooks(node, complete, node.opName);
      if (capturedNodes.has(node)) {
        // Handed to the caller: from here on the gradient is theirs, never recycled nor added into.
        captured.set(node, entry.g);
        entry = { g: entry.g, owned: false };
      }
      if (needed !== null && !needed.has(node)) continue; // leads to no captured tensor
      const inputs = node.inputs;
      const grads = node.backward(entry.g, run.createGraph);
      checkGradientCount(node, grads);
      for (let k = 0; k < inputs.length; k++) {
        const gk = grads[k];
        if (!node.needsGrad[k] || gk === null || gk === undefined) continue;
        const fitted = fitGradient(gk, inputs[k]!, node.opName, k);
        const owned = memory.isOwned(node, grads, k, fitted, entry);
        addGradient(inputs[k]!, { g: fitted, owned }, pending, leafGrads, memory);
      }
      memory.consumed(node, entry, grads);
      if (!run.retainGraph) node.free();
    }
    // Leaves last: their gradients are complete only now. Hooks run in the backward's grad mode.
    for (const [leaf, g] of leafGrads) leafGrads.set(leaf, withHooks(leaf, g, 'a leaf'));
    if (run.capture === undefined) for (const [leaf, g] of leafGrads) accumulateLeaf(leaf, g);
  };
  if (run.createGraph) enableGrad(pass);
  else noGrad(pass);
  return (run.capture ?? []).map((t) => (t.gradFn !== null ? captured.get(t.gradFn) : leafGrads.get(t)?.g) ?? null);
}

/**
 * The complete gradient at a node or leaf after its hooks (registerHook). Once a hook has run, the
 * gradient is not owned, replaced or not: a hook may keep the tensor it was given (PyTorch allows
 * it), so its buffer must never be recycled or added into.
 */
function withHooks(key: GraphNode | Tensor, entry: OwnedGrad, where: string): OwnedGrad {
  if (!hasGradHooks(key)) return entry;
  return { g: runGradHooks(key, entry.g, where), owned: false };
}

/** Adds a gradient contribution at a tensor: at its node if it has one, else at the leaf. */
function addGradient(
  t: Tensor, next: OwnedGrad, pending: Map<GraphNode, OwnedGrad>, leafGrads: Map<Tensor, OwnedGrad>, memory: GradientMemory,
): void {
  const map: Map<GraphNode | Tensor, OwnedGrad> = t.gradFn === null ? leafGrads : pending;
  const key = t.gradFn ?? t;
  const previous = map.get(key);
  if (previous === undefined) {
    map.set(key, next);
    return;
  }
  if (memory.addedInPlace(previous, next)) return;
  map.set(key, { g: previous.g.add(next.g), owned: true });
  memory.summed(previous, next);
}

/** The nodes whose backward reaches a captured tensor (`order` lists inputs' nodes first). */
function nodesLeadingTo(order: readonly GraphNode[], capture: readonly Tensor[]): Set<GraphNode> {
  const targets = new Set<GraphNode | Tensor>(capture.map((t) => t.gradFn ?? t));
  const needed = new Set<GraphNode>();
  for (const node of order) {
    // A freed node is kept so that running it gives the clear "backward a second time" error.
    if (node.freed || node.inputs.some((t) => targets.has(t.gradFn ?? t) || (t.gradFn !== null && needed.has(t.gradFn)))) needed.add(node);
  }
  return needed;
}

/** Post-order DFS with an explicit stack of (node, next input index), from every root. */
function topologicalOrder(roots: readonly Tensor[]): GraphNode[] {
  const order: GraphNode[] = [];
  const visited = new Set<GraphNode>();
  for (const root of roots) {
    if (root.gradFn === null || visited.has(root.gradFn)) continue;
    visited.add(root.gradFn);
    const stack: { node: GraphNode; next: number }[] = [{ node: root.gradFn, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.node.inputs.length) {
        const child = top.node.inputs[top.next++]!.gradFn;
        if (child !== null && !visited.has(child)) {
          visited.add(child);
          stack.push({ node: child, next: 0 });
        }
      } else {
        stack.pop();
        order.push(top.node);
      }
    }
  }
  return order;
}

function checkGradientCount(node: GraphNode, grads: readonly unknown[]): void {
  if (!Array.isArray(grads) || grads.length !== node.inputs.length) {
    const got = Array.isArray(grads) ? `${grads.length} gradients` : `${typeof grads} instead of an array`;
    throw new Error(`backward of '${node.opName}': returned ${got} for ${node.inputs.length} inputs; return exactly one gradient per input (null where none is needed)`);
  }
}

/** Undoes broadcasting once, then checks shape and dtype, naming the op and the input. */
function fitGradient(g: Tensor, input: Tensor, opName: string, index: number): Tensor {
  if (!(g instanceof Tensor)) {
    throw new Error(`backward of '${opName}': the gradient of input ${index} is not a Tensor`);
  }
  let fitted = g;
  if (!sameShape(g.shape, input.shape)) {
    try {
      fitted = g.sumToSize(input.shape);
    } catch {
      throw new Error(
        `backward of '${opName}': the gradient of input ${index} has shape ${shapeString(g.shape)}, which does not match the input's shape ${shapeString(input.shape)}`,
      );
    }
  }
  if (fitted.dtype !== input.dtype) {
    throw new Error(`backward of '${opName}': the gradient of input ${index} has dtype ${fitted.dtype}, but the input is ${input.dtype}`);
  }
  return fitted;
}

/**
 * A leaf's .grad is always its own contiguous tensor: optimizers and users may read it flat and
 * write it. A gradient only this backward holds is taken as is; anything else is copied. Runs in
 * the backward's grad mode: with `createGraph` the sum (or copy) is recorded, so `.grad` can be
 * differentiated.
 */
function accumulateLeaf(leaf: Tensor, { g, owned }: OwnedGrad): void {
  if (leaf.grad !== null) {
    leaf.grad = leaf.grad.add(g);
    return;
  }
  const whole = g.array.isContiguous() && g.array.offset === 0 && g.array.data.length === g.numel;
  leaf.grad = owned && whole ? g : g.clone();
}
