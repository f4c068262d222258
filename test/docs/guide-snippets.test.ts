// The TypeScript snippets of docs/guide.md and README.md are real code: each type-checks against
// the sources as a user's file would, and each runs without throwing — except the one that reads
// a file another program writes (PyTorch's gradients), which is only type-checked.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './public-api.js';
import { markdownBlocks, runSnippets, typeCheckSnippets, type Snippet } from './snippets.js';

const snippets: Snippet[] = ['docs/guide.md', 'README.md'].flatMap((file) =>
  markdownBlocks(readFileSync(join(ROOT, file), 'utf8'), ['ts', 'typescript']).map((code, i) => ({ name: `${file} snippet ${i + 1}`, code })),
);
/** Snippets that need a file made elsewhere (torch_grads.json, by the guide's Python snippet). */
const needsFiles = (s: Snippet): boolean => s.code.includes('readFileSync(');

const dir = mkdtempSync(join(tmpdir(), 'tsgrad-guide-snippets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the TypeScript snippets of the guide and the README', () => {
  it('are found', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(7);
  });

  it('type-check as user code importing tsgrad', () => {
    const failures = typeCheckSnippets(snippets);
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('run without throwing', () => {
    const runnable = snippets.filter((s) => !needsFiles(s));
    expect(snippets.length - runnable.length).toBe(1);
    const failures = runSnippets(runnable, dir);
    expect(failures, failures.join('\n')).toEqual([]);
  });
});
