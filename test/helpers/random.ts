/**
 * Test helpers shared by the kernel and pool tests: a small deterministic generator (mulberry32)
 * so values do not depend on Math.random, values drawn from it, and a bitwise comparison that
 * names the first differing value.
 */
import { expect } from 'vitest';

/** mulberry32: a deterministic stream of numbers in [0, 1) from a 32-bit seed. */
export function makeRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
