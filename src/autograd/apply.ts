import { AllocationError, isFloatingDtype, type DType } from '../tensor/dtype.js';
import type { NDArray } from '../tensor/ndarray.js';
import { isGradEnabled } from './grad-mode.js';
import { GraphNode } from './node.js';
import type { OpName, OpTypes } from './op.js';
import { ops } from './ops/index.js';
import { Tensor } from './tensor.js';

/**
 * Runs a primitive on tensors: the forward on their arrays, and — when grad mode is on and any
 * input requires a gradient — a graph node that will run the op's backward.
 */
export function applyOp<K extends OpName>(name: K, inputs: readonly Tensor[], args: OpTypes[K]['args']): Tensor {
  const def = ops[name];
  for (const t of inputs) if (!isFloatingDtype(t.dtype)) checkIntegerInput(name, t.dtype);
  const arrays: NDArray[] = inputs.map((t) => t.array);
  let result: ReturnType<typeof def.forward>;
  try {
    result = def.forward(arrays, args);
  } catch (error) {
    throw withOpName(error, name);
  }
  const [out, saved] = result;
  const record = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  if (!record) return new Tensor(out);
  const needsGrad = inputs.map((t) => t.requiresGrad);
  const node: GraphNode = new GraphNode(
    name,
    inputs,
    needsGrad,
    (g: Tensor, createGraph: boolean): (Tensor | null)[] => {
      try {
        return def.backward(g, { saved, needsGrad, args, inputs, output, createGraph });
      } catch (error) {
        throw withOpName(error, `${name} backward`);
      }
    },
    { freshGradients: def.freshGradients === true, gradientViews: def.gradientViews === true, builtIn: true },
  );
  const output: Tensor = Tensor.recorded(out, node);
  if (def.saves?.inputs === true) inputs.forEach((t, i) => node.save(t, i));
  if (def.saves?.output === true) node.save(output, -1);
  return output;
}

/**
 * The primitives whose kernels are right on int32 data (integer arithmetic that wraps modulo 2³²,
 * as PyTorch's int32) and on bool data (moving and selecting 0/1 values). The Tensor methods cast
 * to float first where PyTorch computes in float (exp, true division, mean…); every other primitive
 * is float-only and refuses the others here, naming the op, instead of computing garbage.
 */
const INT32_OPS: ReadonlySet<OpName> = new Set<OpName>([
  'add', 'mul', 'pow', 'neg', 'abs', 'relu', 'sum', 'max', 'cast', 'where',
  'reshape', 'permute', 'expand', 'narrow', 'contiguous', 'clone', 'cat', 'pad',
  'gather', 'scatter', 'scatterAdd',
]);
const BOOL_OPS: ReadonlySet<OpName> = new Set<OpName>([
  'max', 'cast', 'where', 'reshape', 'permute', 'expand', 'narrow', 'contiguous', 'clone', 'cat', 'pad',
  'gather', 'scatter',
]);

function checkIntegerInput(name: OpName, dtype: DType): void {
  const allowed = dtype === 'int32' ? INT32_OPS : BOOL_OPS;
  if (!allowed.has(name)) {
    throw new Error(`${name}: ${dtype} tensors are not supported by this op; convert with .to('float32') (or .to('float64')) first`);
  }
}

/** An allocation failure names the op that asked (the kernels know only the shape); others pass. */
function withOpName(error: unknown, op: string): unknown {
  return error instanceof AllocationError && error.op === undefined ? error.withOp(op) : error;
}
