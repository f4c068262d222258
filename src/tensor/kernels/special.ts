// Special functions for the kernels: erf (for the exact GELU) and erfc (for BKN's analytic
// transition, which needs Φ(x) = ½·erfc(−x/√2) accurate in the far tails).

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
  const tail = erfcTail(ax);
  return x > 0 ? 1 - tail : tail - 1;
}

/**
 * The complementary error function erfc(x) = 1 − erf(x), without the cancellation of 1 − erf(x)
 * where erfc is small: for x ≥ 3 the continued fraction of `erf` (relative accuracy a few ulp, down
 * to the underflow near x = 26.5), for x ≤ −3 2 − erfc(|x|), and 1 − erf(x) in between (there
 * erfc ≥ 2.2e−5, so at most about 1e−11 relative error).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x >= 3) return erfcTail(x);
  if (x <= -3) return 2 - erfcTail(-x);
  return 1 - erf(x);
}

/** erfc(x) for x ≥ 3 by the continued fraction e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + …))). */
function erfcTail(ax: number): number {
  let t = ax;
  for (let k = 40; k >= 1; k--) t = ax + k / 2 / t;
  return (Math.exp(-ax * ax) * ONE_OVER_SQRT_PI) / t;
}
