import { Tensor } from '../autograd/tensor.js';
import type { Storage } from '../tensor/dtype.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { Optimizer, checkNonNegative, checkStepCount, stateStorage, zerosLikeParam, type ParamGroup, type ParamsInput } from './optimizer.js';

/** The hyperparameters of an RMSprop group. */
export interface RMSpropHyper {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Smoothing constant α of the running average of g², in [0, 1] (default 0.99). */
  alpha: number;
  /** ε added to √v for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient: g ← g + λ·θ (default 0). */
  weightDecay: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Centered RMSprop: normalize by an estimate of the gradient's variance, v − ḡ² (default false). */
  centered: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** RMSprop's options (defaults: lr 1e-2, alpha 0.99, eps 1e-8, the rest 0 / false). */
export type RMSpropOptions = Partial<RMSpropHyper>;

const RMSPROP_OPTIONS: OptionNames<RMSpropOptions> = {
  lr: true, alpha: true, eps: true, weightDecay: true, momentum: true, centered: 'flag', maximize: 'flag',
};

/**
 * RMSprop's per-parameter state, as PyTorch's: the number of steps, the running average v of g²,
 * the momentum buffer b (when momentum > 0) and the running average ḡ of g (when centered).
 */
export type RMSpropState = { step: number; squareAvg: Tensor; momentumBuffer?: Tensor; gradAvg?: Tensor };

/**
 * RMSprop (Hinton's lecture 6e; the centered form from Graves, arXiv 1308.0850), exactly as
 * `torch.optim.RMSprop`. Per parameter θ with gradient g, at each step:
 *
 * ```text
 * g ← −g                               if maximize
 * g ← g + λ·θ                          if weightDecay λ ≠ 0
 * v ← α·v + (1 − α)·g²
 * ḡ ← α·ḡ + (1 − α)·g,  v' ← v − ḡ²    if centered, else v' ← v
 * d ← √v' + ε
 * b ← μ·b + g/d,  θ ← θ − lr·b         if momentum μ > 0
 * θ ← θ − lr·g/d                       otherwise
 * ```
 * NOTE: ε is added after the square root (TensorFlow adds it inside), as PyTorch does.
 * NOTE: PyTorch only checks α ≥ 0; tsgrad also rejects α > 1, for which (1 − α) < 0 can make v
 * negative and √v NaN. State that an option switched on later needs (a momentum buffer, ḡ) starts
 * at zero, where PyTorch would fail with a KeyError.
 *
 * @example
 * ```ts
 * import { optim, tensor } from 'tsgrad';
 * const w = tensor([1, -2], { requiresGrad: true });
 * const opt = new optim.RMSprop([w], { lr: 0.01, momentum: 0.9, centered: true });
 * for (let i = 0; i < 10; i++) {
 *   opt.zeroGrad();
 *   w.mul(w).sum().backward();
 *   opt.step();
 * }
 * ```
 */
export class RMSprop extends Optimizer<RMSpropHyper, RMSpropState> {
  protected readonly name = 'RMSprop';

  constructor(params: ParamsInput<RMSpropHyper>, options: RMSpropOptions = {}) {
    checkOptions(options, RMSPROP_OPTIONS, 'RMSprop');
    const defaults: RMSpropHyper = {
      lr: options.lr ?? 1e-2,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentum: options.momentum ?? 0,
      centered: options.centered ?? false,
      maximize: options.maximize ?? false,
    };
    super(defaults, options, 'RMSprop');
    this.addParams(params);
  }

  protected validateHyper(g: ParamGroup<RMSpropHyper>, where: string): void {
    checkNonNegative(g.lr, 'learning rate', where);
    checkNonNegative(g.eps, 'eps', where);
    checkNonNegative(g.momentum, 'momentum', where);
    checkNonNegative(g.weightDecay, 'weightDecay', where);
    if (typeof g.alpha !== 'number' || !(g.alpha >= 0 && g.alpha <= 1)) {
      throw new Error(`${where}: invalid alpha ${String(g.alpha)} (expected 0 <= alpha <= 1: the weight of the old running average of g²)`);
    }
  }

  protected initState(param: Tensor, g: ParamGroup<RMSpropHyper>): RMSpropState {
    const state: RMSpropState = { step: 0, squareAvg: zerosLikeParam(param) };
    if (g.momentum > 0) state.momentumBuffer = zerosLikeParam(param);
    if (g.centered) state.gradAvg = zerosLikeParam(param);
    return state;
  }

  protected checkState(s: RMSpropState, _g: ParamGroup<RMSpropHyper>, where: string): void {
    checkStepCount(s.step, where);
    if (!(s.squareAvg instanceof Tensor)) throw new Error(`${where}: squareAvg is a required tensor`);
  }

  protected update(param: Tensor, p: Storage, grad: Storage, s: RMSpropState, g: ParamGroup<RMSpropHyper>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = g;
    s.step += 1;
    if (momentum > 0) s.momentumBuffer ??= zerosLikeParam(param);
    if (centered) s.gradAvg ??= zerosLikeParam(param);
    const v = stateStorage(s.squareAvg);
    const buf = momentum > 0 ? stateStorage(s.momentumBuffer!) : null;
    const gAvg = centered ? stateStorage(s.gradAvg!) : null;
    for (let i = 0; i < p.length; i++) {
      let d = maximize ? -grad[i]! : grad[i]!;
      if (weightDecay !== 0) d += weightDecay * p[i]!;
      v[i] = alpha * v[i]! + (1 - alpha) * d * d;
      let avg: number;
      if (gAvg !== null) {
        gAvg[i] = alpha * gAvg[i]! + (1 - alpha) * d;
        // Read back through the state arrays so float32 runs use the stored (rounded) values, as PyTorch does.
        avg = Math.sqrt(v[i]! - gAvg[i]! * gAvg[i]!) + eps;
      } else {
        avg = Math.sqrt(v[i]!) + eps;
      }
      if (buf !== null) {
        buf[i] = momentum * buf[i]! + d / avg;
        p[i] = p[i]! - lr * buf[i]!;
      } else {
        p[i] = p[i]! - lr * (d / avg);
      }
    }
  }
}
