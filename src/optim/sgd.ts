import { Tensor } from '../autograd/tensor.js';
import type { Storage } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { Optimizer, checkNonNegative, stateStorage, type ParamGroup, type ParamsInput } from './optimizer.js';

/** The hyperparameters of an SGD group. */
export interface SGDHyper {
  /** Learning rate. */
  lr: number;
  /** Momentum factor μ (0 = plain SGD). */
  momentum: number;
  /** Dampening τ of the momentum: b ← μ·b + (1 − τ)·g. */
  dampening: number;
  /** L2 penalty λ added to the gradient: g ← g + λ·θ. */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Maximize the objective instead of minimizing it. */
  maximize: boolean;
}

/** SGD's options: `lr` is required (here or in every group); the rest default to 0 / false. */
export type SGDOptions = Partial<SGDHyper>;

const SGD_OPTIONS: OptionNames<SGDOptions> = { lr: true, momentum: true, dampening: true, weightDecay: true, nesterov: 'flag', maximize: 'flag' };

/** SGD's per-parameter state: the momentum buffer, created on the first step with momentum ≠ 0. */
export type SGDState = { momentumBuffer?: Tensor };

/**
 * Stochastic gradient descent with momentum, exactly as `torch.optim.SGD`. Per parameter θ with
 * gradient g, at each step:
 *
 * ```text
 * g ← −g                            if maximize
 * g ← g + λ·θ                       if weightDecay λ ≠ 0
 * b ← g                             if momentum μ ≠ 0, first step (no dampening on the first step)
 * b ← μ·b + (1 − τ)·g               if momentum μ ≠ 0, later steps
 * g ← g + μ·b  if nesterov,  else  g ← b
 * θ ← θ − lr·g
 * ```
 * NOTE: this is PyTorch's form of momentum (lr multiplies the buffer), not Sutskever et al.'s
 * (lr inside the buffer); the two differ when lr changes during training.
 *
 * @example
 * ```ts
 * import { optim, tensor } from 'tsgrad';
 * const w = tensor([1, -2], { requiresGrad: true });
 * const opt = new optim.SGD([w], { lr: 0.1, momentum: 0.9, nesterov: true });
 * for (let i = 0; i < 10; i++) {
 *   opt.zeroGrad();
 *   w.mul(w).sum().backward();
 *   opt.step();
 * }
 * ```
 */
export class SGD extends Optimizer<SGDHyper, SGDState> {
  protected readonly name = 'SGD';

  constructor(params: ParamsInput<SGDHyper>, options: SGDOptions = {}) {
    checkOptions(options, SGD_OPTIONS, 'SGD');
    const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } = options;
    const rest = { momentum, dampening, weightDecay, nesterov, maximize };
    super(lr === undefined ? rest : { lr, ...rest }, options, 'SGD');
    this.addParams(params);
  }

  protected validateHyper(g: ParamGroup<SGDHyper>, where: string): void {
    checkNonNegative(g.lr, 'learning rate', where);
    checkNonNegative(g.momentum, 'momentum', where);
    checkNonNegative(g.weightDecay, 'weightDecay', where);
    if (typeof g.dampening !== 'number' || !Number.isFinite(g.dampening)) {
      throw new Error(`${where}: invalid dampening ${String(g.dampening)} (expected a finite number)`);
    }
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new Error(`${where}: Nesterov momentum requires a momentum > 0 and zero dampening (got momentum ${g.momentum}, dampening ${g.dampening})`);
    }
  }

  protected initState(): SGDState {
    return {};
  }

  protected checkState(): void {
    // Any SGD state is usable: a missing buffer starts as on a first momentum step.
  }

  protected update(param: Tensor, p: Storage, grad: Storage, s: SGDState, g: ParamGroup<SGDHyper>): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = g;
    const n = p.length;
    let buf: Storage | null = null;
    let first = false;
    if (momentum !== 0) {
      first = s.momentumBuffer === undefined;
      if (first) s.momentumBuffer = new Tensor(NDArray.zeros(param.shape, param.dtype));
      buf = stateStorage(s.momentumBuffer!);
    }
    if (buf !== null && !first && !nesterov && !maximize && weightDecay === 0) {
      // The common case, with the loop-invariant tests of the general loop below taken out of the
      // loop (same arithmetic, same results): b ← μ·b + (1 − τ)·g;  θ ← θ − lr·b.
      const keep = 1 - dampening;
      for (let i = 0; i < n; i++) {
        buf[i] = momentum * buf[i]! + keep * grad[i]!;
        p[i] = p[i]! - lr * buf[i]!;
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      let d = maximize ? -grad[i]! : grad[i]!;
      if (weightDecay !== 0) d += weightDecay * p[i]!;
      if (buf !== null) {
        // The first step copies g into the buffer (PyTorch's torch.clone(d_p)), undamped.
        buf[i] = first ? d : momentum * buf[i]! + (1 - dampening) * d;
        // Read back through the buffer so float32 parameters use the stored (rounded) value, as PyTorch does.
        d = nesterov ? d + momentum * buf[i]! : buf[i]!;
      }
      p[i] = p[i]! - lr * d;
    }
  }
}
