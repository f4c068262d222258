// Shared by the bad-input tests: run a function and expect an Error whose message matches.
import { expect } from 'vitest';

/** Runs `fn`, expects an Error whose message matches `pattern`. */
export function expectError(fn: () => unknown, pattern: RegExp): void {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected an error matching ${pattern}`).toBeInstanceOf(Error);
  expect((thrown as Error).message).toMatch(pattern);
}

/** Runs `fn` and returns the message of the Error it throws; throws if it throws none. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, got none');
}
