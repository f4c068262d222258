// Special functions for the kernels: erf (for the exact GELU).

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const ONE_OVER_SQRT_PI = 1 / Math.sqrt(Math.PI);

/**
 * The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, accurate to a few ulp in float64 (checked
 * against libm's erf in the tests). Two regimes:
 * - |x| < 3: the series erf(x) = 2/√π · e^(−x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·5···(2n+1)). Its terms are
 *   all positive (unlike the Taylor series), so nothing cancels; it stops once a term no longer
 *   changes the sum (at most about 60 terms at |x| = 3).
 * - |x| ≥ 3: erf(x) = 1 − erfc(x) with the continued fraction
 *   erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), 40 terms evaluated from the
 *   tail (converged to float64 for x ≥ 3; erf is exactly ±1 in float64 from |x| ≈ 5.9 on).
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) <= Math.abs(sum) * 1e-17) break;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  if (Number.isNaN(x)) return x;
  let t = ax;
  for (let k = 40; k >= 1; k--) t = ax + k / 2 / t;
  const erfc = (Math.exp(-ax * ax) * ONE_OVER_SQRT_PI) / t;
  return x > 0 ? 1 - erfc : erfc - 1;
}
