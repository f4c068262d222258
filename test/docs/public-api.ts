// Walks tsgrad's public API with the TypeScript compiler API: every export of src/index.ts, the
// members of its namespaces (nn, F, optim, data), and the public members of exported classes. Used
// by api-docs.test.ts (every export documented) and examples-in-docs.test.ts (the @example blocks
// compile and run). Run it directly to list the gaps:
//
//   npx tsx test/docs/public-api.ts
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** What an exported name is, as far as the documentation rules care. */
export type ApiKind = 'function' | 'class' | 'variable' | 'type' | 'namespace' | 'member';

export interface ApiEntry {
  /** The public name: `tensor`, `nn.Linear`, `nn.Linear.forward`. */
  name: string;
  kind: ApiKind;
  /** The TSDoc summary (text before the first block tag), trimmed. */
  summary: string;
  /** The code of each `@example` block (the fenced code, without the fences). */
  examples: string[];
  /** Where it is declared, `src/…:line`. */
  location: string;
}

/** The compiler options of tsconfig.json (the project's own, so the walk sees what tsc sees). */
export function projectOptions(): ts.CompilerOptions {
  const configPath = ts.findConfigFile(ROOT, (f) => ts.sys.fileExists(f), 'tsconfig.json')!;
  const config = ts.readConfigFile(configPath, (f) => ts.sys.readFile(f));
  return ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).options;
}

function tagText(tag: ts.JSDocTagInfo): string {
  return (tag.text ?? []).map((p) => p.text).join('');
}

/**
 * The fenced code blocks of an @example tag's text. An example without a fence (inline code in
 * backticks) is not counted: TypeDoc would not render it as code and it cannot be checked.
 */
export function codeBlocks(text: string): string[] {
  return [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function locationOf(decl: ts.Declaration): string {
  const sf = decl.getSourceFile();
  const { line } = sf.getLineAndCharacterOfPosition(decl.getStart());
  return `${sf.fileName.slice(ROOT.length)}:${line + 1}`;
}

function kindOf(symbol: ts.Symbol, checker: ts.TypeChecker): ApiKind {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & (ts.SymbolFlags.ValueModule | ts.SymbolFlags.NamespaceModule)) return 'namespace';
  if (f & ts.SymbolFlags.Variable) {
    // A const holding a function (`export const relu = (x) => …`) is documented like a function.
    const decl = symbol.valueDeclaration;
    if (decl !== undefined && checker.getTypeOfSymbolAtLocation(symbol, decl).getCallSignatures().length > 0) return 'function';
    return 'variable';
  }
  return 'type';
}

function isPublicMember(decl: ts.Declaration): boolean {
  const flags = ts.getCombinedModifierFlags(decl);
  if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
  const name = ts.getNameOfDeclaration(decl);
  if (name !== undefined && ts.isPrivateIdentifier(name)) return false;
  return true;
}

function entryOf(name: string, kind: ApiKind, symbol: ts.Symbol, checker: ts.TypeChecker): ApiEntry {
  const summary = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  const examples = symbol.getJsDocTags(checker).filter((t) => t.name === 'example').flatMap((t) => codeBlocks(tagText(t)));
  const decl = symbol.declarations?.[0];
  return { name, kind, summary, examples, location: decl === undefined ? '?' : locationOf(decl) };
}

/**
 * The public members of a class declared in that class itself (inherited ones are listed under
 * the class that declares them). Skipped: private/protected members, `#private` ones, and names
 * starting with `_` (the code base's mark for internals that must stay reachable, as in
 * Module's `_explicitParameters`).
 */
function classMembers(className: string, symbol: ts.Symbol, checker: ts.TypeChecker): ApiEntry[] {
  const out: ApiEntry[] = [];
  const visit = (members: ts.SymbolTable | undefined, prefix: string): void => {
    members?.forEach((member, key) => {
      const name = String(key);
      if (name === '__constructor' || name.startsWith('_') || name === 'prototype') return;
      if (member.flags & ts.SymbolFlags.TypeParameter) return;
      const decl = member.declarations?.[0];
      if (decl === undefined || !isPublicMember(decl)) return;
      out.push(entryOf(`${className}.${prefix}${name}`, 'member', member, checker));
    });
  };
  visit(symbol.members, '');
  visit(symbol.exports, ''); // static members
  return out;
}

/** Every public name of tsgrad, in export order, namespaces expanded, class members included. */
export function publicApi(program: ts.Program = ts.createProgram([INDEX], projectOptions())): ApiEntry[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(INDEX)!;
  const moduleSymbol = checker.getSymbolAtLocation(source)!;
  const out: ApiEntry[] = [];
  const seen = new Set<string>();
  const walk = (exports: ts.Symbol[], prefix: string): void => {
    for (const exported of exports) {
      const name = `${prefix}${exported.name}`;
      if (seen.has(name)) continue;
      seen.add(name);
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const kind = kindOf(symbol, checker);
      if (kind === 'namespace') {
        // `export * as nn from …`: the namespace is documented by its members.
        walk(checker.getExportsOfModule(symbol), `${name}.`);
        continue;
      }
      out.push(entryOf(name, kind, symbol, checker));
      if (kind === 'class' || (symbol.flags & ts.SymbolFlags.Interface)) out.push(...classMembers(name, symbol, checker));
    }
  };
  walk(checker.getExportsOfModule(moduleSymbol), '');
  return out;
}

/** The documentation gaps: names without a summary, functions and classes without an example. */
export function documentationGaps(api: ApiEntry[]): { noSummary: ApiEntry[]; noExample: ApiEntry[] } {
  return {
    noSummary: api.filter((e) => e.summary === ''),
    noExample: api.filter((e) => (e.kind === 'function' || e.kind === 'class') && e.examples.length === 0),
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const api = publicApi();
  const { noSummary, noExample } = documentationGaps(api);
  console.log(`${api.length} public names; ${noSummary.length} without a summary, ${noExample.length} functions/classes without an @example`);
  for (const e of noSummary) console.log(`no summary  ${e.kind.padEnd(8)} ${e.name.padEnd(40)} ${e.location}`);
  for (const e of noExample) console.log(`no example  ${e.kind.padEnd(8)} ${e.name.padEnd(40)} ${e.location}`);
}
