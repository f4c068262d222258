/**
 * Hessian-vector products of a small MLP's loss, checked against the full Hessian, and one
 * Newton-CG step that uses only Hessian-vector products (from a point 300 gradient-descent steps
 * in, where it beats one more gradient step).
 *
 *   npx tsx examples/hessian.ts
 *
 * The loss is a function of one flat parameter vector θ (33 numbers: 2 → 8 → 1 with tanh), so its
 * Hessian is a 33 × 33 matrix. `autograd.functional.hessian` builds it with one recorded backward
 * per row; `autograd.functional.hvp` computes H·v with two backward passes, never forming H — what
 * second-order optimizers, influence functions and sharpness measures use on real networks.
 */
import { autograd, manualSeed, rand, randn, tensor, type Tensor } from '../src/index.js';
import { exampleFlags } from './lib/flags.js';

// No flags: anything on the command line is a mistake, said in one line.
exampleFlags('hessian.ts', 'Hessian-vector products of a small MLP, checked against the full Hessian, and a Newton-CG step.', {});
manualSeed(0);
const f64 = { dtype: 'float64' as const };
const hidden = 8;

// Toy regression: y = sin(2·x0)·x1 on 64 points of [-1, 1]².
const x = rand([64, 2], f64).mul(2).sub(1);
const xs = x.toArray();
const y = tensor(Array.from({ length: 64 }, (_, i) => [Math.sin(2 * xs[2 * i]!) * xs[2 * i + 1]!]), f64);

/** Unflattens θ into W1 [2, h], b1 [h], W2 [h, 1], b2 [1] and returns the mean squared error. */
function loss(theta: Tensor): Tensor {
  let at = 0;
  const take = (shape: number[]): Tensor => {
    const size = shape.reduce((p, d) => p * d, 1);
    const part = theta.narrow(0, at, size).reshape(shape);
    at += size;
    return part;
  };
  const w1 = take([2, hidden]);
  const b1 = take([hidden]);
  const w2 = take([hidden, 1]);
  const b2 = take([1]);
  return x.matmul(w1).add(b1).tanh().matmul(w2).add(b2).sub(y).square().mean();
}

const n = 2 * hidden + hidden + hidden + 1;
// Start from 300 steps of gradient descent, near a minimum, where Newton's method shines.
let theta = randn([n], f64).mul(0.5);
for (let i = 0; i < 300; i++) theta = theta.sub(autograd.functional.vjp(loss, theta).vjp.mul(0.2));

// 1. The full Hessian, and Hessian-vector products checked against it.
const H = autograd.functional.hessian(loss, theta);
const Hv = H.toArray();
let symmetry = 0;
for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) symmetry = Math.max(symmetry, Math.abs(Hv[i * n + j]! - Hv[j * n + i]!));
console.log(`Hessian ${H.shape.join(' × ')}, max |H − Hᵀ| = ${symmetry.toExponential(2)}`);
let worst = 0;
for (let trial = 0; trial < 3; trial++) {
  const v = randn([n], f64);
  const { hvp } = autograd.functional.hvp(loss, theta, v);
  const dense = H.matmul(v);
  const diff = hvp.sub(dense).abs().max().item() / dense.abs().max().item();
  worst = Math.max(worst, diff);
}
console.log(`hvp vs H·v over 3 random v: max relative difference ${worst.toExponential(2)}`);

// 2. One Newton-CG step: solve (H + δI)·d = −g by conjugate gradients, using only H·v products
// (truncated where CG meets negative curvature, Steihaug's rule).
const { vjp: g } = autograd.functional.vjp(loss, theta);
const delta = 1e-4;
const apply = (v: Tensor): Tensor => autograd.functional.hvp(loss, theta, v).hvp.add(v.mul(delta));
let d = g.mul(0);
let r = g.neg();
let p = r;
let rr = r.square().sum().item();
let iterations = 0;
for (; iterations < 50 && Math.sqrt(rr) > 1e-10; iterations++) {
  const Ap = apply(p);
  const curvature = p.mul(Ap).sum().item();
  if (curvature <= 0) break;
  const alpha = rr / curvature;
  d = d.add(p.mul(alpha));
  r = r.sub(Ap.mul(alpha));
  const next = r.square().sum().item();
  p = r.add(p.mul(next / rr));
  rr = next;
}
const before = loss(theta).item();
// A backtracking line search keeps the step safe where the Hessian is indefinite.
let step = 1;
while (loss(theta.add(d.mul(step))).item() > before && step > 1e-4) step /= 2;
const after = loss(theta.add(d.mul(step))).item();
console.log(`Newton-CG: ${iterations} CG iterations, step ${step}, loss ${before.toFixed(6)} -> ${after.toFixed(6)}`);
const gdAfter = loss(theta.sub(g.mul(0.2))).item();
console.log(`(one more gradient-descent step with lr 0.2 for comparison: loss ${gdAfter.toFixed(6)})`);
