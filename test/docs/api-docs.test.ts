// The public API has no undocumented export (issue 7): every name exported by src/index.ts — the
// members of the nn, F, optim and data namespaces included, and the public members of exported
// classes and interfaces — has a TSDoc summary, and every function and class has an `@example`
// with a fenced code block (api-examples.test.ts type-checks and runs those blocks).
// To list the gaps without the test runner: npx tsx test/docs/public-api.ts
import { describe, expect, it } from 'vitest';
import { documentationGaps, publicApi } from './public-api.js';

const api = publicApi();
const { noSummary, noExample } = documentationGaps(api);
const show = (entries: typeof api): string => entries.map((e) => `${e.kind} ${e.name} (${e.location})`).join('\n');

describe('the public API documentation', () => {
  it('walks the whole surface: top-level names, the four namespaces and class members', () => {
    const names = new Set(api.map((e) => e.name));
    for (const name of ['tensor', 'Tensor', 'Tensor.backward', 'gradcheck', 'nn.Linear', 'nn.Module.parameters', 'nn.BatchKalmanNorm2d', 'F.conv2d', 'optim.Adam', 'data.DataLoader']) {
      expect(names, name).toContain(name);
    }
    // Private members and `_`-prefixed internals are not part of the documented surface.
    expect([...names].filter((n) => /\._/.test(n))).toEqual([]);
  });

  it('has a TSDoc summary on every public name', () => {
    expect(noSummary.length, `without a TSDoc summary:\n${show(noSummary)}`).toBe(0);
  });

  it('has an @example code block on every public function and class', () => {
    expect(noExample.length, `without an @example code block:\n${show(noExample)}`).toBe(0);
  });
});
