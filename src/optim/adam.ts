import { Tensor } from '../autograd/tensor.js';
import type { Storage } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { Optimizer, checkNonNegative, checkStepCount, stateStorage, type ParamGroup, type ParamsInput } from './optimizer.js';

/** The hyperparameters of an Adam or AdamW group. */
export interface AdamHyper {
  /** Learning rate. */
  lr: number;
  /** β₁, β₂: decay rates of the running averages of g and g², each in [0, 1). */
  betas: readonly [number, number];
  /** ε added to the denominator for numerical stability. */
  eps: number;
  /** Adam: L2 penalty λ added to the gradient. AdamW: decoupled decay θ ← θ·(1 − lr·λ). */
  weightDecay: number;
  /** Use the maximum of all v̂ so far (AMSGrad, Reddi et al. 2018). */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it. */
  maximize: boolean;
}

/** Adam's and AdamW's options (defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, amsgrad false). */
export type AdamOptions = Partial<AdamHyper>;

const ADAM_OPTIONS: OptionNames<AdamOptions> = { lr: true, betas: true, eps: true, weightDecay: true, amsgrad: 'flag', maximize: 'flag' };

/**
 * Adam's per-parameter state, as PyTorch's: the number of steps taken, the running averages m (of
 * g) and v (of g²), and with amsgrad the running maximum of v.
 */
export type AdamState = { step: number; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq?: Tensor };

/**
 * What Adam and AdamW share: everything but the form of weight decay (`decoupled`). Use `Adam` or
 * `AdamW`; this class is exported for typing only.
 *
 * @example
 * ```ts
 * import { optim } from 'tsgrad';
 * const isAdamLike = (o: unknown): o is optim.AdamBase => o instanceof optim.AdamBase;
 * ```
 */
export abstract class AdamBase extends Optimizer<AdamHyper, AdamState> {
  /** AdamW sets this: weight decay shrinks θ directly instead of adding λ·θ to g. */
  protected abstract readonly decoupled: boolean;

  protected validateHyper(g: ParamGroup<AdamHyper>, where: string): void {
    checkNonNegative(g.lr, 'learning rate', where);
    checkNonNegative(g.eps, 'eps', where);
    checkNonNegative(g.weightDecay, 'weightDecay', where);
    if (!Array.isArray(g.betas) || g.betas.length !== 2) {
      throw new Error(`${where}: betas must be a pair [β1, β2], got ${JSON.stringify(g.betas)}`);
    }
    g.betas.forEach((b, i) => {
      if (typeof b !== 'number' || !(b >= 0 && b < 1)) {
        throw new Error(`${where}: invalid beta parameter at index ${i}: ${String(b)} (expected 0 <= beta < 1)`);
      }
    });
  }

  protected initState(param: Tensor, g: ParamGroup<AdamHyper>): AdamState {
    const zeros = (): Tensor => new Tensor(NDArray.zeros(param.shape, param.dtype));
    return g.amsgrad ? { step: 0, expAvg: zeros(), expAvgSq: zeros(), maxExpAvgSq: zeros() } : { step: 0, expAvg: zeros(), expAvgSq: zeros() };
  }

  protected checkState(s: AdamState, _g: ParamGroup<AdamHyper>, where: string): void {
    checkStepCount(s.step, where);
    if (!(s.expAvg instanceof Tensor) || !(s.expAvgSq instanceof Tensor)) {
      throw new Error(`${where}: expAvg and expAvgSq are required tensors`);
    }
  }

  protected update(param: Tensor, p: Storage, grad: Storage, s: AdamState, g: ParamGroup<AdamHyper>): void {
    const { lr, eps, weightDecay, amsgrad, maximize } = g;
    const [beta1, beta2] = g.betas;
    s.step += 1;
    if (this.decoupled) {
      // AdamW: θ ← θ·(1 − lr·λ) before the Adam step (Loshchilov & Hutter, arXiv 1711.05101).
      const shrink = 1 - lr * weightDecay;
      for (let i = 0; i < p.length; i++) p[i] = p[i]! * shrink;
    }
    if (amsgrad && s.maxExpAvgSq === undefined) s.maxExpAvgSq = new Tensor(NDArray.zeros(param.shape, param.dtype));
    const m = stateStorage(s.expAvg);
    const v = stateStorage(s.expAvgSq);
    const vMax = amsgrad ? stateStorage(s.maxExpAvgSq!) : null;
    const l2 = this.decoupled ? 0 : weightDecay;
    const biasCorrection1 = 1 - beta1 ** s.step;
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** s.step);
    const stepSize = lr / biasCorrection1;
    for (let i = 0; i < p.length; i++) {
      let d = maximize ? -grad[i]! : grad[i]!;
      if (l2 !== 0) d += l2 * p[i]!;
      m[i] = beta1 * m[i]! + (1 - beta1) * d;
      v[i] = beta2 * v[i]! + (1 - beta2) * d * d;
      let second = v[i]!;
      if (vMax !== null) {
        if (second > vMax[i]!) vMax[i] = second;
        second = vMax[i]!;
      }
      const denom = Math.sqrt(second) / biasCorrection2Sqrt + eps;
      p[i] = p[i]! + (-stepSize * m[i]!) / denom;
    }
  }
}

/**
 * Adam (Kingma & Ba, arXiv 1412.6980), exactly as `torch.optim.Adam`. Per parameter θ with gradient
 * g, at step t = 1, 2, …:
 *
 * ```text
 * g ← −g                               if maximize
 * g ← g + λ·θ                          if weightDecay λ ≠ 0 (an L2 penalty; see AdamW for decoupled decay)
 * m ← β₁·m + (1 − β₁)·g
 * v ← β₂·v + (1 − β₂)·g²
 * v_max ← max(v_max, v)                if amsgrad (then v_max replaces v below)
 * θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
 * ```
 * This is the paper's Algorithm 1 (ε added to the bias-corrected √v̂), not its "ε̂" variant.
 * NOTE: t counts the steps of each parameter: one skipped because its grad was null does not
 * advance.
 *
 * @example
 * ```ts
 * import { optim, tensor } from 'tsgrad';
 * const w = tensor([1, -2], { requiresGrad: true });
 * const opt = new optim.Adam([w], { lr: 0.01 });
 * w.mul(w).sum().backward();
 * opt.step();
 * ```
 */
export class Adam extends AdamBase {
  protected readonly name = 'Adam';
  protected readonly decoupled = false;

  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    checkOptions(options, ADAM_OPTIONS, 'Adam');
    super(adamDefaults(options, 0), options, 'Adam');
    this.addParams(params);
  }
}

/**
 * AdamW (Loshchilov & Hutter, arXiv 1711.05101), exactly as `torch.optim.AdamW`: Adam whose weight
 * decay is decoupled from the gradient — each step first shrinks θ ← θ·(1 − lr·λ), then takes the
 * Adam step without any L2 term. weightDecay defaults to 0.01, as in PyTorch.
 *
 * @example
 * ```ts
 * import { optim, tensor } from 'tsgrad';
 * const w = tensor([1, -2], { requiresGrad: true });
 * const opt = new optim.AdamW([w], { lr: 1e-3, weightDecay: 0.05 });
 * w.mul(w).sum().backward();
 * opt.step();
 * ```
 */
export class AdamW extends AdamBase {
  protected readonly name = 'AdamW';
  protected readonly decoupled = true;

  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    checkOptions(options, ADAM_OPTIONS, 'AdamW');
    super(adamDefaults(options, 0.01), options, 'AdamW');
    this.addParams(params);
  }
}

function adamDefaults(options: AdamOptions, weightDecay: number): AdamHyper {
  return {
    lr: options.lr ?? 1e-3,
    betas: options.betas === undefined ? [0.9, 0.999] : [options.betas[0], options.betas[1]],
    eps: options.eps ?? 1e-8,
    weightDecay: options.weightDecay ?? weightDecay,
    amsgrad: options.amsgrad ?? false,
    maximize: options.maximize ?? false,
  };
}
