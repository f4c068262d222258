/**
 * mulberry32: a deterministic stream of numbers in [0, 1) from a 32-bit seed, so test values do not
 * depend on Math.random. Free of vitest imports, so scripts under test/ (e.g. the synthetic
 * experiment fixture) can use it outside the test runner.
 */
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
