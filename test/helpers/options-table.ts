// Shared by the options tests of each folder: one table row a function that takes an options
// object, and the checks every such function must pass (src/tensor/options.ts checkOptions).
import { expect, it } from 'vitest';
import { errorOf } from './expect-error.js';

/** A function that takes options, as the table of an options test lists it. */
export interface OptionsRow {
  /** The function as its errors name it. */
  name: string;
  /** Calls it with `options` where its options go (typed `never`: any options type accepts it). */
  call: (options: never) => unknown;
  /** The accepted keys, as the message lists them. */
  expected: string;
  /** A misspelt key (default 'bogus'). */
  typo?: string;
  /** PyTorch's snake_case keyword and tsgrad's name for it, where the function has one. */
  snake?: [string, string];
  /** Checks that valid options still take effect. */
  works: () => void;
}

/**
 * One test a row: an unknown key, the snake_case keyword (with the camelCase hint), a string and an
 * array where the options go are each an error naming the function; then the row's valid call.
 */
export function testOptionsRows(rows: readonly OptionsRow[]): void {
  for (const { name, call: callTyped, expected, typo = 'bogus', snake, works } of rows) {
    const call = callTyped as (options: unknown) => unknown;
    it(name, () => {
      expect(errorOf(() => call({ [typo]: 1 }))).toBe(`${name}: unknown option '${typo}' (expected ${expected})`);
      if (snake !== undefined) {
        const [pytorch, camel] = snake;
        expect(errorOf(() => call({ [pytorch]: 1 }))).toBe(`${name}: unknown option '${pytorch}' — did you mean '${camel}'? (expected ${expected})`);
      }
      expect(errorOf(() => call('float64'))).toBe(`${name}: options must be an object with keys among ${expected}, got string "float64"`);
      expect(errorOf(() => call([1, 2]))).toBe(`${name}: options must be an object with keys among ${expected}, got an array [1, 2]`);
      works();
    });
  }
}
