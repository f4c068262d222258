// Piecewise-constant elementwise functions (their gradient is zero wherever it exists).

/**
 * Rounds to the nearest integer, halves to the even neighbour (banker's rounding, as torch.round
 * and IEEE 754 roundTiesToEven): 0.5 → 0, 1.5 → 2, 2.5 → 2, −2.5 → −2. NaN and ±∞ pass through; −0.5
 * gives −0, as in PyTorch.
 *
 * @example
 * ```ts
 * [0.5, 1.5, 2.5, -2.5, 2.4].map(roundHalfEven); // [0, 2, 2, -2, 2]
 * ```
 */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // halves go up (towards +∞)
  // A half that went up to an odd integer goes down to the even one instead.
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * −1, 0 or 1 by the sign of v; 0 for ±0. NOTE: NaN gives NaN (IEEE and NumPy), where torch 1.13
 * gives 0: a NaN must not silently turn into a number.
 *
 * @example
 * ```ts
 * [-3, -0, 0, 2].map(signOf); // [-1, 0, 0, 1]
 * ```
 */
export function signOf(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : v === 0 ? 0 : v;
}
