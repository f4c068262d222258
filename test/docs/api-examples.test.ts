// The `@example` blocks of tsgrad's public functions and classes (top level and the members of the
// nn, F, optim and data namespaces) are real code: each one type-checks against the sources as a
// user's file would (`from 'tsgrad'` rewritten to src/index.ts), and each one runs without
// throwing, except the few listed in TYPECHECK_ONLY (they need files a test machine does not have).
// Examples on class members are checked when they import tsgrad themselves (the Tensor methods');
// the others (`opt.step()`) are fragments that assume the class example's variables.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { INDEX, projectOptions, publicApi } from './public-api.js';
import { runSnippets, typeCheckSnippets, type Snippet } from './snippets.js';

/** Examples that read data files (MNIST, CIFAR-10) which a test machine does not have. */
const TYPECHECK_ONLY = new Map<string, string>([
  ['data.readIdx', 'reads an MNIST IDX file'],
  ['data.loadMnist', 'reads MNIST IDX files'],
  ['data.readMnistPair', 'reads MNIST IDX files'],
  ['data.loadCifar10', 'reads the CIFAR-10 binary files'],
  ['data.readCifar10Batch', 'reads a CIFAR-10 binary file'],
]);

const program = ts.createProgram([INDEX], projectOptions());
// Members' examples are checked too when they are complete programs (they import tsgrad), as the
// Tensor methods' are; the others are fragments that assume the class example's variables.
const snippets: Snippet[] = publicApi(program)
  .filter((e) => e.kind === 'function' || e.kind === 'class' || (e.kind === 'member' && e.examples.some((code) => code.includes("from 'tsgrad'"))))
  .flatMap((e) => e.examples.map((code, i) => ({ name: i === 0 ? e.name : `${e.name}#${i + 1}`, code })));

const dir = mkdtempSync(join(tmpdir(), 'tsgrad-api-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the @example blocks of the public API', () => {
  it('exist for the functions and classes (the API docs test checks every one has one)', () => {
    expect(snippets.length).toBeGreaterThan(100);
  });

  it('type-check as user code importing tsgrad', () => {
    const failures = typeCheckSnippets(snippets, program);
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('run without throwing (each in a module of its own, in one tsx process)', () => {
    const runnable = snippets.filter((s) => !TYPECHECK_ONLY.has(s.name.replace(/#\d+$/, '')));
    expect(runnable.length).toBe(snippets.length - TYPECHECK_ONLY.size);
    const failures = runSnippets(runnable, dir);
    expect(failures, failures.join('\n')).toEqual([]);
  });
});
