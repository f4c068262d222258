// Type-checking and running code snippets from the documentation (TSDoc @example blocks, the
// guide, the README) as user code: `from 'tsgrad'` is rewritten to the sources, each snippet is a
// module of its own.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { INDEX, ROOT, projectOptions } from './public-api.js';

export interface Snippet {
  /** Where it comes from, for failure messages. */
  name: string;
  code: string;
}

/** A snippet as a module of its own, importing tsgrad from `specifier`. */
export function moduleSource(code: string, specifier: string): string {
  return `${code.replace(/from 'tsgrad'/g, `from '${specifier}'`)}\nexport {};\n`;
}

/** The fenced code blocks of a markdown text in one of `languages`. */
export function markdownBlocks(text: string, languages: readonly string[]): string[] {
  return [...text.matchAll(/^```(\w+)\n([\s\S]*?)^```/gm)].filter((m) => languages.includes(m[1]!)).map((m) => m[2]!);
}

/**
 * Type-checks every snippet against the sources (strict, the project's options but unused locals
 * allowed) and returns one line per diagnostic.
 */
export function typeCheckSnippets(snippets: readonly Snippet[], oldProgram?: ts.Program): string[] {
  const options: ts.CompilerOptions = { ...projectOptions(), noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
  // Virtual files in test/docs/, so that '../../src/index.js' resolves as in a real file there.
  const files = new Map(snippets.map((s, i) => [join(ROOT, 'test/docs', `__snippet_${i}.ts`), s] as const));
  const source = (s: Snippet): string => moduleSource(s.code, '../../src/index.js');
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
  host.readFile = (f) => {
    const s = files.get(f);
    return s === undefined ? readFile.call(host, f) : source(s);
  };
  host.getSourceFile = (f, lang, ...rest) => {
    const s = files.get(f);
    return s === undefined ? getSourceFile.call(host, f, lang, ...rest) : ts.createSourceFile(f, source(s), lang, true);
  };
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host, ...(oldProgram ? { oldProgram } : {}) });
  const failures: string[] = [];
  for (const [file, s] of files) {
    const sf = program.getSourceFile(file)!;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line + 1;
      failures.push(`${s.name} (line ${line}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return failures;
}

/**
 * Runs every snippet, each as a module of its own, in one tsx process whose working directory is
 * `dir` (snippets that write files write them there). After each snippet the driver resets the
 * global settings a snippet may change (default dtype, seed). Returns one line per snippet that
 * threw, or the process's failure.
 */
export function runSnippets(snippets: readonly Snippet[], dir: string): string[] {
  const indexUrl = pathToFileURL(INDEX).href;
  const entries = snippets.map((s, i) => {
    const file = join(dir, `snippet-${i}.mts`);
    writeFileSync(file, moduleSource(s.code, indexUrl));
    return { name: s.name, url: pathToFileURL(file).href };
  });
  const driver = join(dir, 'driver.mts');
  writeFileSync(driver, [
    `import { manualSeed, setDefaultDtype } from ${JSON.stringify(indexUrl)};`,
    `const entries: { name: string; url: string }[] = ${JSON.stringify(entries)};`,
    'const failures: string[] = [];',
    `process.chdir(${JSON.stringify(dir)});`,
    'for (const { name, url } of entries) {',
    '  try { await import(url); } catch (e) { failures.push(`${name}: ${e instanceof Error ? e.message : String(e)}`); }',
    "  setDefaultDtype('float32');",
    '  manualSeed(0);',
    '}',
    "console.log('RESULT ' + JSON.stringify(failures));",
  ].join('\n'));
  // From the repository root, so that `--import tsx` resolves tsx from its node_modules.
  const run = spawnSync(process.execPath, ['--import', 'tsx', driver], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) return [`the snippet runner failed: exit ${run.status} ${run.signal ?? ''}\n${run.stderr.slice(-3000)}`];
  const failures = JSON.parse(line.slice('RESULT '.length)) as string[];
  if (run.status !== 0) failures.push(`the snippet runner exited ${run.status}\n${run.stderr.slice(-3000)}`);
  return failures;
}
