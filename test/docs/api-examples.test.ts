// The `@example` blocks of tsgrad's public functions and classes (top level and the members of the
// nn, F, optim and data namespaces) are real code: each one type-checks against the sources as a
// user's file would (`from 'tsgrad'` rewritten to src/index.ts), and each one runs without
// throwing, except the few listed in TYPECHECK_ONLY (they need files a test machine does not have).
// Examples on class members (`opt.step()`) are fragments that assume the class example's variables
// and are not checked here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { INDEX, ROOT, projectOptions, publicApi } from './public-api.js';

/** Examples that read data files (MNIST, CIFAR-10) which a test machine does not have. */
const TYPECHECK_ONLY = new Map<string, string>([
  ['data.readIdx', 'reads an MNIST IDX file'],
  ['data.loadMnist', 'reads MNIST IDX files'],
  ['data.readMnistPair', 'reads MNIST IDX files'],
  ['data.loadCifar10', 'reads the CIFAR-10 binary files'],
  ['data.readCifar10Batch', 'reads a CIFAR-10 binary file'],
]);

interface Snippet {
  /** The public name, with `#2`, `#3`… for a second or third example block. */
  name: string;
  code: string;
}

const options = projectOptions();
const program = ts.createProgram([INDEX], options);
const snippets: Snippet[] = publicApi(program)
  .filter((e) => e.kind === 'function' || e.kind === 'class')
  .flatMap((e) => e.examples.map((code, i) => ({ name: i === 0 ? e.name : `${e.name}#${i + 1}`, code })));

/** A snippet as a module of its own, importing tsgrad from `specifier`. */
function moduleSource(code: string, specifier: string): string {
  return `${code.replace(/from 'tsgrad'/g, `from '${specifier}'`)}\nexport {};\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'tsgrad-api-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the @example blocks of the public API', () => {
  it('exist for the functions and classes (the API docs test checks every one has one)', () => {
    expect(snippets.length).toBeGreaterThan(80);
  });

  it('type-check as user code importing tsgrad', () => {
    // Virtual files beside this test, so that '../../src/index.js' resolves as in a real file.
    const files = new Map(snippets.map((s, i) => [join(ROOT, 'test/docs', `__example_${i}.ts`), s] as const));
    const snippetOptions: ts.CompilerOptions = { ...options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
    const host = ts.createCompilerHost(snippetOptions);
    const { fileExists, readFile, getSourceFile } = host;
    host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
    host.readFile = (f) => {
      const s = files.get(f);
      return s === undefined ? readFile.call(host, f) : moduleSource(s.code, '../../src/index.js');
    };
    host.getSourceFile = (f, lang, ...rest) => {
      const s = files.get(f);
      if (s === undefined) return getSourceFile.call(host, f, lang, ...rest);
      return ts.createSourceFile(f, moduleSource(s.code, '../../src/index.js'), lang, true);
    };
    const checkProgram = ts.createProgram({ rootNames: [...files.keys()], options: snippetOptions, host, oldProgram: program });
    const failures: string[] = [];
    for (const [file, s] of files) {
      const sf = checkProgram.getSourceFile(file)!;
      const diagnostics = [...checkProgram.getSyntacticDiagnostics(sf), ...checkProgram.getSemanticDiagnostics(sf)];
      for (const d of diagnostics) {
        const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line + 1;
        failures.push(`${s.name} (example line ${line}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('run without throwing (each in a module of its own, in one tsx process)', () => {
    const indexUrl = pathToFileURL(INDEX).href;
    const runnable = snippets.filter((s) => !TYPECHECK_ONLY.has(s.name.replace(/#\d+$/, '')));
    const entries = runnable.map((s, i) => {
      const file = join(dir, `example-${i}.mts`);
      writeFileSync(file, moduleSource(s.code, indexUrl));
      return { name: s.name, url: pathToFileURL(file).href };
    });
    // The driver imports each example in turn and resets the global settings an example may change.
    const driver = join(dir, 'driver.mts');
    writeFileSync(driver, [
      `import { manualSeed, setDefaultDtype } from ${JSON.stringify(indexUrl)};`,
      `const entries: { name: string; url: string }[] = ${JSON.stringify(entries)};`,
      'const failures: string[] = [];',
      `process.chdir(${JSON.stringify(dir)}); // examples that write files write them here`,
      'for (const { name, url } of entries) {',
      '  try { await import(url); } catch (e) { failures.push(`${name}: ${e instanceof Error ? e.message : String(e)}`); }',
      "  setDefaultDtype('float32');",
      '  manualSeed(0);',
      '}',
      "console.log('RESULT ' + JSON.stringify(failures));",
    ].join('\n'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', driver], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, `exit ${run.status} ${run.signal ?? ''}\n${run.stderr.slice(-3000)}`).toBeDefined();
    const failures = JSON.parse(line!.slice('RESULT '.length)) as string[];
    expect(failures, failures.join('\n')).toEqual([]);
    expect(run.status).toBe(0);
  });
});
