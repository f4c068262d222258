import { Tensor } from '../autograd/tensor.js';
import type { Storage } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { Optimizer, checkNonNegative, checkStepCount, stateStorage, type ParamGroup, type ParamsInput } from './optimizer.js';

/** The hyperparameters of an Adagrad group. */
export interface AdagradHyper {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Learning-rate decay: step t uses lr / (1 + (t − 1)·lrDecay) (default 0). */
  lrDecay: number;
  /** L2 penalty λ added to the gradient: g ← g + λ·θ (default 0). */
  weightDecay: number;
  /** The starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** ε added to √sum for numerical stability (default 1e-10). */
  eps: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** Adagrad's options (defaults: lr 1e-2, eps 1e-10, the rest 0 / false). */
export type AdagradOptions = Partial<AdagradHyper>;

const ADAGRAD_OPTIONS: OptionNames<AdagradOptions> = {
  lr: true, lrDecay: true, weightDecay: true, initialAccumulatorValue: true, eps: true, maximize: 'flag',
};

/** Adagrad's per-parameter state, as PyTorch's: the number of steps and the sum of squared gradients. */
export type AdagradState = { step: number; sum: Tensor };

/**
 * Adagrad (Duchi, Hazan & Singer, JMLR 2011), exactly as `torch.optim.Adagrad`. Per parameter θ
 * with gradient g, at step t = 1, 2, …:
 *
 * ```text
 * g ← −g                               if maximize
 * g ← g + λ·θ                          if weightDecay λ ≠ 0
 * η ← lr / (1 + (t − 1)·lrDecay)
 * s ← s + g²                           (s starts at initialAccumulatorValue)
 * θ ← θ − η·g / (√s + ε)
 * ```
 * As in PyTorch, every parameter's state exists from construction (step 0, s filled with
 * initialAccumulatorValue), so a state dict taken before the first step already lists it.
 * NOTE: PyTorch 1.13 fills s with the constructor's initialAccumulatorValue even for a group that
 * overrides it; tsgrad uses the group's own value.
 *
 * @example
 * ```ts
 * import { optim, tensor } from 'tsgrad';
 * const w = tensor([1, -2], { requiresGrad: true });
 * const opt = new optim.Adagrad([w], { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 });
 * for (let i = 0; i < 10; i++) {
 *   opt.zeroGrad();
 *   w.mul(w).sum().backward();
 *   opt.step();
 * }
 * ```
 */
export class Adagrad extends Optimizer<AdagradHyper, AdagradState> {
  protected readonly name = 'Adagrad';

  constructor(params: ParamsInput<AdagradHyper>, options: AdagradOptions = {}) {
    checkOptions(options, ADAGRAD_OPTIONS, 'Adagrad');
    const defaults: AdagradHyper = {
      lr: options.lr ?? 1e-2,
      lrDecay: options.lrDecay ?? 0,
      weightDecay: options.weightDecay ?? 0,
      initialAccumulatorValue: options.initialAccumulatorValue ?? 0,
      eps: options.eps ?? 1e-10,
      maximize: options.maximize ?? false,
    };
    super(defaults, options, 'Adagrad');
    this.addParams(params);
    // PyTorch creates the state of every parameter here, not on its first step.
    for (const group of this.paramGroups) {
      for (const p of group.params) this.state.set(p, this.initState(p, group));
    }
  }

  protected validateHyper(g: ParamGroup<AdagradHyper>, where: string): void {
    checkNonNegative(g.lr, 'learning rate', where);
    checkNonNegative(g.lrDecay, 'lrDecay', where);
    checkNonNegative(g.weightDecay, 'weightDecay', where);
    checkNonNegative(g.initialAccumulatorValue, 'initialAccumulatorValue', where);
    checkNonNegative(g.eps, 'eps', where);
  }

  protected initState(param: Tensor, g: ParamGroup<AdagradHyper>): AdagradState {
    return { step: 0, sum: new Tensor(NDArray.full(param.shape, g.initialAccumulatorValue, param.dtype)) };
  }

  protected checkState(s: AdagradState, _g: ParamGroup<AdagradHyper>, where: string): void {
    checkStepCount(s.step, where);
    if (!(s.sum instanceof Tensor)) throw new Error(`${where}: sum is a required tensor`);
  }

  protected update(_param: Tensor, p: Storage, grad: Storage, s: AdagradState, g: ParamGroup<AdagradHyper>): void {
    const { lr, lrDecay, weightDecay, eps, maximize } = g;
    s.step += 1;
    const clr = lr / (1 + (s.step - 1) * lrDecay);
    const sum = stateStorage(s.sum);
    for (let i = 0; i < p.length; i++) {
      let d = maximize ? -grad[i]! : grad[i]!;
      if (weightDecay !== 0) d += weightDecay * p[i]!;
      sum[i] = sum[i]! + d * d;
      // Read back through the state array so float32 runs use the stored (rounded) sum, as PyTorch does.
      p[i] = p[i]! - clr * (d / (Math.sqrt(sum[i]!) + eps));
    }
  }
}
