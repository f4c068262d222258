/**
 * A WGAN-GP training loop on a toy 2-d dataset (points on a ring of 8 blobs): the critic's loss
 * includes the gradient penalty λ·(‖∇ₓ D(x̂)‖ − 1)² at points x̂ between real and generated
 * samples (Gulrajani et al., 2017). The penalty is a function of a gradient, so its own gradient
 * with respect to the critic's weights is a second derivative: `autograd.grad(…, { createGraph:
 * true })` records the backward pass so that `backward()` can run through it.
 *
 *   npx tsx examples/gradient-penalty.ts              # 600 steps
 *   npx tsx examples/gradient-penalty.ts --steps 60   # quick
 *
 * It first checks the penalty's second derivatives with gradgradcheck, then trains, printing the
 * mean gradient norm at the interpolates (the penalty pushes it towards 1) and the critic's
 * Wasserstein estimate E[D(real)] − E[D(fake)].
 */
import { autograd, F, gradgradcheck, manualSeed, nn, optim, rand, randn, tensor, type Tensor } from '../src/index.js';
import { exampleFlags } from './lib/flags.js';

const { steps } = exampleFlags('gradient-penalty.ts', "A WGAN-GP loop on a toy 2-d ring: the critic's gradient penalty is a second derivative.", {
  steps: { kind: 'int', min: 1, default: 600, help: 'training steps' },
});
const batch = 64;
const lambda = 10;
manualSeed(0);

/** Real samples: one of 8 blobs on the unit circle, σ = 0.05. */
function realBatch(n: number): Tensor {
  const angle = rand([n]).mul(8).toArray().map((a) => (Math.floor(a) * Math.PI) / 4);
  const centres = tensor(Array.from(angle, (a) => [Math.cos(a), Math.sin(a)]), { dtype: 'float64' });
  return centres.add(randn([n, 2], { dtype: 'float64' }).mul(0.05));
}

// Critic D: 2 → 64 → 64 → 1 with tanh (smooth, so the penalty has useful second derivatives).
const critic = new nn.Sequential(new nn.Linear(2, 64), new nn.Tanh(), new nn.Linear(64, 64), new nn.Tanh(), new nn.Linear(64, 1)).to('float64');
// Generator G: noise (2) → 64 → 2.
const generator = new nn.Sequential(new nn.Linear(2, 64), new nn.Tanh(), new nn.Linear(64, 2)).to('float64');
const criticOpt = new optim.Adam(critic.parameters(), { lr: 1e-3, betas: [0.5, 0.9] });
const generatorOpt = new optim.Adam(generator.parameters(), { lr: 1e-3, betas: [0.5, 0.9] });

/** λ·(‖∇ₓ D(x̂)‖ − 1)² averaged over x̂, and the mean gradient norm (a number, for printing). */
function gradientPenalty(real: Tensor, fake: Tensor): { penalty: Tensor; meanNorm: number } {
  const eps = rand([real.shape[0]!, 1], { dtype: 'float64' });
  const between = real.mul(eps).add(fake.mul(eps.neg().add(1))).detach();
  between.requiresGrad = true;
  // createGraph: the gradient stays a function of the critic's weights, so backward reaches them.
  const [g] = autograd.grad(critic.call(between).sum(), between, { createGraph: true });
  const norms = g!.square().sum(1).add(1e-12).sqrt();
  return { penalty: norms.sub(1).square().mean().mul(lambda), meanNorm: norms.mean().item() };
}

// 1. The penalty's gradient is a second derivative: check it against central differences first.
const probe = new nn.Linear(2, 1).to('float64');
const check = gradgradcheck(
  (x, w) => {
    const [g] = autograd.grad(F.linear(x!, w!).tanh().sum(), x!, { createGraph: true });
    return g!.square().sum(1).sqrt();
  },
  [randn([3, 2], { dtype: 'float64', requiresGrad: true }), probe.weight.detach().clone()],
);
console.log(`gradgradcheck of a gradient-norm penalty: ${check.ok ? 'passed' : `FAILED\n${check.report}`}`);
if (!check.ok) process.exit(1);

// 2. Train: 5 critic steps per generator step, as in the paper.
let firstNorm = NaN;
for (let step = 1; step <= steps; step++) {
  for (let k = 0; k < 5; k++) {
    const real = realBatch(batch);
    const fake = generator.call(randn([batch, 2], { dtype: 'float64' })).detach();
    const { penalty, meanNorm } = gradientPenalty(real, fake);
    const wasserstein = critic.call(real).mean().sub(critic.call(fake).mean());
    criticOpt.zeroGrad();
    penalty.sub(wasserstein).backward(); // through the recorded backward of the penalty
    criticOpt.step();
    if (step === 1 && k === 0) firstNorm = meanNorm;
  }
  const generated = generator.call(randn([batch, 2], { dtype: 'float64' }));
  generatorOpt.zeroGrad();
  critic.call(generated).mean().neg().backward();
  generatorOpt.step();
  if (step === 1 || step % Math.max(1, Math.floor(steps / 6)) === 0 || step === steps) {
    const real = realBatch(256);
    const fake = generator.call(randn([256, 2], { dtype: 'float64' })).detach();
    const { meanNorm } = gradientPenalty(real, fake);
    const estimate = critic.call(real).mean().sub(critic.call(fake).mean()).item();
    console.log(`step ${step}: mean ‖∇D(x̂)‖ ${meanNorm.toFixed(3)}, Wasserstein estimate ${estimate.toFixed(4)}`);
  }
}
console.log(`mean ‖∇D(x̂)‖ at the first critic step ${firstNorm.toFixed(3)}`);
