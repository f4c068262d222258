/**
 * Test helpers shared by the kernel and pool tests: a small deterministic generator (mulberry32)
 * so values do not depend on Math.random, values drawn from it, and a bitwise comparison that
 * names the first differing value.
 */
import { expect } from 'vitest';
import { makeRandom } from './mulberry32.js';

export { makeRandom };

/** `size` values uniform in [-1, 1) from seed `seed`. */
export function uniformValues(size: number, seed: number): number[] {
  const rnd = makeRandom(seed);
  return Array.from({ length: size }, () => rnd() * 2 - 1);
}

/** Fails unless `actual` and `expected` hold the same values bit for bit (Object.is: −0 ≠ 0, NaN = NaN). */
export function expectBitwise(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) throw new Error(`${label}: value ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}
