let gradEnabled = true;

/**
 * Whether operations currently record a graph for backward (false inside `noGrad`).
 *
 * @example
 * ```ts
 * import { isGradEnabled, noGrad } from 'tsgrad';
 * isGradEnabled();                  // true
 * noGrad(() => isGradEnabled());    // false
 * ```
 */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording a graph (for evaluation and parameter updates), like
 * `with torch.no_grad()`. Restores the previous mode even if `fn` throws.
 *
 * @example
 * ```ts
 * import { noGrad, tensor } from 'tsgrad';
 * const w = tensor([1, 2], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2));
 * y.requiresGrad; // false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Runs `fn` with graph recording on (inside a `noGrad`, for example), like `torch.enable_grad()`.
 *
 * @example
 * ```ts
 * import { enableGrad, noGrad, tensor } from 'tsgrad';
 * const w = tensor([1, 2], { requiresGrad: true });
 * const y = noGrad(() => enableGrad(() => w.mul(2)));
 * y.requiresGrad; // true: recorded despite the outer noGrad
 * ```
 */
export function enableGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}
