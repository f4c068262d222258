// Helpers shared by the normalization tests: seeded random tensors, fixed (injected) noise, and
// gradcheck through modules with respect to their parameters as well as their input.
import { Generator, gradcheck, gradgradcheck, Tensor, type DType, type GradcheckResult } from '../../src/index.js';
import type { Module, Parameter } from '../../src/nn/index.js';
import type { NoiseFn } from '../../src/norm/index.js';
import { NDArray } from '../../src/tensor/ndarray.js';

/** A float64 tensor of standard normals (times scale, plus shift) from a seeded generator. */
export function seededRandn(shape: readonly number[], seed: number, options: { scale?: number; shift?: number; requiresGrad?: boolean; dtype?: DType } = {}): Tensor {
  const gen = new Generator(seed);
  const a = NDArray.zeros(shape, options.dtype ?? 'float64');
  for (let i = 0; i < a.data.length; i++) a.data[i] = gen.normal() * (options.scale ?? 1) + (options.shift ?? 0);
  return new Tensor(a, { requiresGrad: options.requiresGrad ?? false });
}

/**
 * Noise that is the same on every call with the same shape (so gradcheck's repeated evaluations of
 * a BKN chain see one fixed draw): drawn once per shape from a generator seeded with `seed`.
 */
export function fixedNoise(seed: number): NoiseFn {
  const cache = new Map<string, Tensor>();
  return (shape, dtype) => {
    const key = `${dtype}:${shape.join(',')}`;
    let z = cache.get(key);
    if (z === undefined) {
      z = seededRandn(shape, seed + cache.size * 7919, { dtype });
      cache.set(key, z);
    }
    return z;
  };
}

/** Sets each parameter of `modules` to a random value near `center` (so γ ≠ 1 and β ≠ 0). */
export function randomizeParameters(modules: readonly Module[], seed: number): void {
  let k = 0;
  for (const m of modules) {
    for (const [name, p] of m.ownParameters()) {
      const center = name === 'weight' && p.ndim === 1 ? 1 : 0;
      const values = seededRandn(p.shape, seed + 31 * k++, { scale: 0.3, shift: center });
      p.array.data.set(values.array.data);
    }
  }
}

/** Every distinct parameter of the modules (and their children), in order. */
export function parametersOf(modules: readonly Module[]): Parameter[] {
  const seen = new Set<Parameter>();
  const out: Parameter[] = [];
  for (const m of modules) for (const p of m.parameters()) if (!seen.has(p)) { seen.add(p); out.push(p); }
  return out;
}

/**
 * gradcheck of `run(x)` with respect to x and every parameter of `modules`: gradcheck hands `fn`
 * fresh leaf copies, which are put in place of the parameters (by property name) for the call.
 */
export function gradcheckModules(
  run: (x: Tensor) => Tensor, x: Tensor, modules: readonly Module[],
  options: { atol?: number; rtol?: number; fastMode?: boolean | 'auto'; order?: 1 | 2 } = {},
): GradcheckResult {
  const params = parametersOf(modules);
  const owners: { owner: Module; name: string }[] = params.map((p) => {
    for (const m of modules) {
      for (const sub of m.modules()) {
        const hit = sub.ownParameters().find(([, q]) => q === p);
        if (hit !== undefined) return { owner: sub, name: hit[0] };
      }
    }
    throw new Error('parameter without an owner');
  });
  const fn = (xx: Tensor, ...leaves: Tensor[]): Tensor => {
    owners.forEach(({ owner, name }, i) => Reflect.set(owner, name, leaves[i]));
    try {
      return run(xx);
    } finally {
      owners.forEach(({ owner, name }, i) => Reflect.set(owner, name, params[i]));
    }
  };
  const check = options.order === 2 ? gradgradcheck : gradcheck;
  return check(fn, [x, ...params], { atol: options.atol ?? 1e-6, rtol: options.rtol ?? 1e-4, fastMode: options.fastMode ?? 'auto' });
}

/** max |a − b| over two tensors of one shape. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.shape.join(',') !== b.shape.join(',')) throw new Error(`shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
  const x = a.toArray();
  const y = b.toArray();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

/** Runs fn(x) and the backward of sum(out · g): returns the output and the gradients of x and params. */
export function forwardBackward(fn: (x: Tensor) => Tensor, x: Tensor, params: readonly Tensor[], g: Tensor): { y: Tensor; grads: Tensor[] } {
  const leaf = new Tensor(x.array.copy(), { requiresGrad: true });
  for (const p of params) p.grad = null;
  const y = fn(leaf);
  y.backward(g);
  const grads = [leaf.grad!, ...params.map((p) => p.grad ?? new Tensor(NDArray.zeros(p.shape, p.dtype)))];
  for (const p of params) p.grad = null;
  return { y, grads };
}
