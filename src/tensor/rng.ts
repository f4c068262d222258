import { allocate, type DType } from './dtype.js';
import { NDArray } from './ndarray.js';
import { sizeOf } from './shape.js';

/**
 * A seeded generator (xoshiro128**, 32-bit integer arithmetic only), so `rand`/`randn` give the
 * same numbers on every run and platform. Normals use Box–Muller on two uniforms. `manualSeed`
 * seeds the global one; pass your own as `{ generator }` to keep a stream apart from it.
 *
 * @example
 * ```ts
 * import { Generator, randn } from 'tsgrad';
 * const a = randn([3], { generator: new Generator(42) });
 * const b = randn([3], { generator: new Generator(42) });
 * // a and b hold the same numbers, whatever the global generator did in between
 * ```
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Resets the state from an integer seed (splitmix32 spreads it over the four words). */
  seed(seed: number): void {
    if (!Number.isFinite(seed)) throw new Error(`manualSeed: seed must be a finite number, got ${seed}`);
    let x = (Math.floor(seed) >>> 0) ^ 0x9e3779b9;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /**
   * The generator's state: four unsigned 32-bit words (`setState` restores it, so a checkpoint
   * resumes the random stream exactly). As `torch.Generator.get_state`.
   *
   * @example
   * ```ts
   * import { Generator } from 'tsgrad';
   * const g = new Generator(1);
   * const saved = g.getState();
   * const a = g.uniform();
   * g.setState(saved);
   * g.uniform() === a; // true
   * ```
   */
  getState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** Restores a state from `getState()` (four unsigned 32-bit integers, not all 0). */
  setState(state: readonly number[]): void {
    if (!Array.isArray(state) || state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) || state.every((w) => w === 0)) {
      throw new Error(`Generator.setState: expected four unsigned 32-bit integers, not all 0 (from getState()), got ${JSON.stringify(state)}`);
    }
    [this.s0, this.s1, this.s2, this.s3] = state.map((w) => w | 0) as [number, number, number, number];
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box–Muller; 1 − u keeps log away from 0). */
  normal(): number {
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The process-wide generator behind `manualSeed`, `rand`, `randn`, dropout and shuffling. */
export const defaultGenerator = new Generator(0);

/**
 * Seeds the global generator.
 *
 * @example
 * ```ts
 * import { manualSeed, rand } from 'tsgrad';
 * manualSeed(42);
 * const a = rand([3]).toArray();
 * manualSeed(42);
 * const b = rand([3]).toArray(); // equal to a
 * ```
 */
export function manualSeed(seed: number): void {
  defaultGenerator.seed(seed);
}

/** The largest float32 below 1. */
const FLOAT32_BELOW_ONE = 1 - 2 ** -24;

export function randArray(shape: readonly number[], dtype: DType, gen: Generator = defaultGenerator): NDArray {
  const out = allocate(dtype, sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = gen.uniform();
  // NOTE: float32 storage rounds uniforms above 1 − 2⁻²⁵ up to 1; keep the range [0, 1).
  if (dtype === 'float32') for (let i = 0; i < out.length; i++) if (out[i] === 1) out[i] = FLOAT32_BELOW_ONE;
  return new NDArray(out, [...shape]);
}

export function randnArray(shape: readonly number[], dtype: DType, gen: Generator = defaultGenerator): NDArray {
  const out = allocate(dtype, sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = gen.normal();
  return new NDArray(out, [...shape]);
}

/** A random permutation of 0 … n−1 (Fisher–Yates). */
export function randperm(n: number, gen: Generator = defaultGenerator): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = gen.int(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
