/**
 * Every public function, method and constructor that takes an options object checks it with
 * `checkOptions` (src/tensor/options.ts): an unknown key (a typo, PyTorch's snake_case name) or
 * a shape array where the options go would otherwise be ignored without a word and the call
 * would compute something else. This test reads the sources with the TypeScript parser and lists
 * each exported function, and each public method or constructor of an exported class, with a
 * parameter that is an options object (named `options`/`opts`, or typed `…Options`), whose body
 * does not call `checkOptions` (or `checkRequiredOptions`). The behaviour itself (the messages, each function rejecting an
 * unknown key) is tested beside each folder's functions; this test keeps the next function from
 * being forgotten.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { checkOptions, checkRequiredOptions, type OptionNames } from '../src/tensor/options.js';
import { errorOf } from './helpers/expect-error.js';

const SRC = join(import.meta.dirname, '..', 'src');

/**
 * Functions that take an options object but need not check it, each with the reason. Keys are
 * `file:name` (`file:Class.method` for methods).
 */
const NOT_CHECKED: Record<string, string> = {
  'tensor/options.ts:checkOptions': 'the check itself',
  'nn/functional/pooling.ts:maxPool2d': 'poolingOptions checks the options in either form (kernel size first or one object)',
  'nn/functional/pooling.ts:avgPool2d': 'poolingOptions checks the options in either form (kernel size first or one object)',
  'data/mnist-package.ts:loadDigitsPackage': 'internal (not exported from data/index.ts): loadMnistPackage, its public caller, checks the options',
  'tensor/parallel/pool.ts:runChunks': 'internal (not exported from index.ts): the kernels call it with literal options',
  'norm/kalman.ts:BatchKalmanNorm1d.constructor': "BatchKalmanNorm's constructor checks them, under this class's name",
  'norm/kalman.ts:BatchKalmanNorm2d.constructor': "BatchKalmanNorm's constructor checks them, under this class's name",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function isOptionsParameter(p: ts.ParameterDeclaration, file: ts.SourceFile): boolean {
  const name = p.name.getText(file);
  const type = p.type?.getText(file) ?? '';
  return /^(options|opts)$/.test(name) || /Options$/.test(name) || /\b[A-Z]\w*Options\b/.test(type);
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

/** `file:name` of every public function with an options parameter whose body never calls checkOptions. */
function uncheckedFunctions(): { unchecked: string[]; seen: number } {
  const unchecked: string[] = [];
  let seen = 0;
  const consider = (node: ts.FunctionLikeDeclaration, label: string, file: ts.SourceFile): void => {
    if (node.body === undefined || !node.parameters.some((p) => isOptionsParameter(p, file))) return;
    seen++;
    if (!/\bcheck(Required)?Options\(/.test(node.body.getText(file))) unchecked.push(label);
  };
  for (const path of sourceFiles(SRC)) {
    const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
    const where = relative(SRC, path);
    for (const statement of file.statements) {
      if (!hasModifier(statement, ts.SyntaxKind.ExportKeyword)) continue;
      if (ts.isFunctionDeclaration(statement) && statement.name) {
        consider(statement, `${where}:${statement.name.text}`, file);
      } else if (ts.isClassDeclaration(statement) && statement.name) {
        for (const member of statement.members) {
          const hidden = hasModifier(member, ts.SyntaxKind.PrivateKeyword) || hasModifier(member, ts.SyntaxKind.ProtectedKeyword);
          if (hidden) continue;
          if (ts.isConstructorDeclaration(member)) consider(member, `${where}:${statement.name.text}.constructor`, file);
          else if (ts.isMethodDeclaration(member) && !member.name.getText(file).startsWith('#')) {
            consider(member, `${where}:${statement.name.text}.${member.name.getText(file)}`, file);
          }
        }
      }
    }
  }
  return { unchecked, seen };
}

describe('options objects are checked', () => {
  it('every public function, method and constructor taking options calls checkOptions (or says why not)', () => {
    const { unchecked, seen } = uncheckedFunctions();
    // The scan must find the options-taking surface (dozens of functions), not pass on nothing.
    expect(seen).toBeGreaterThan(50);
    expect(unchecked.filter((label) => !(label in NOT_CHECKED))).toEqual([]);
  });

  it('the exceptions list names only functions that exist and still skip the check', () => {
    const { unchecked } = uncheckedFunctions();
    expect(Object.keys(NOT_CHECKED).filter((label) => !unchecked.includes(label))).toEqual([]);
  });
});

interface Demo {
  stride?: number;
  labelSmoothing?: number;
  shape?: readonly number[];
}
const DEMO: OptionNames<Demo> = { stride: true, labelSmoothing: true, shape: true };


describe('checkOptions', () => {
  it('accepts undefined, {} and known keys (undefined values included), with or without a prototype', () => {
    expect(() => checkOptions(undefined, DEMO, 'demo')).not.toThrow();
    expect(() => checkOptions({}, DEMO, 'demo')).not.toThrow();
    expect(() => checkOptions({ stride: 2, labelSmoothing: undefined }, DEMO, 'demo')).not.toThrow();
    const bare = Object.create(null) as Demo;
    bare.stride = 1;
    expect(() => checkOptions(bare, DEMO, 'demo')).not.toThrow();
  });

  it('names the function, the unknown key and the accepted ones', () => {
    expect(errorOf(() => checkOptions({ strid: 2 } as Demo, DEMO, 'demo'))).toBe(
      "demo: unknown option 'strid' (expected stride, labelSmoothing, shape)",
    );
  });

  it("suggests the camelCase name for PyTorch's snake_case keyword", () => {
    expect(errorOf(() => checkOptions({ label_smoothing: 0.1 } as Demo, DEMO, 'demo'))).toBe(
      "demo: unknown option 'label_smoothing' — did you mean 'labelSmoothing'? (expected stride, labelSmoothing, shape)",
    );
  });

  it('rejects what is not a plain object: arrays (with the shape hint), strings, numbers, null, class instances', () => {
    const message = (value: unknown): string => errorOf(() => checkOptions(value as Demo, DEMO, 'demo'));
    expect(message([2, 3])).toBe('demo: options must be an object with keys among stride, labelSmoothing, shape, got an array [2, 3] — did you mean { shape: [2, 3] }?');
    expect(message('float64')).toBe('demo: options must be an object with keys among stride, labelSmoothing, shape, got string "float64"');
    expect(message(3)).toBe('demo: options must be an object with keys among stride, labelSmoothing, shape, got number 3');
    expect(message(null)).toBe('demo: options must be an object with keys among stride, labelSmoothing, shape, got null');
    expect(message(new Map())).toBe('demo: options must be an object with keys among stride, labelSmoothing, shape, got a Map');
  });

  it('an array gets the shape hint only where a shape option exists', () => {
    const noShape: OptionNames<{ stride?: number }> = { stride: true };
    expect(errorOf(() => checkOptions([1] as unknown as { stride?: number }, noShape, 'demo'))).toBe(
      'demo: options must be an object with keys among stride, got an array [1]',
    );
  });

  it('checkRequiredOptions: no options at all is an error naming the function; otherwise as checkOptions', () => {
    expect(errorOf(() => checkRequiredOptions(undefined, DEMO, 'demo'))).toBe('demo: expected an options object with keys among stride, labelSmoothing, shape, got none');
    expect(errorOf(() => checkRequiredOptions({ strid: 1 } as Demo, DEMO, 'demo'))).toBe("demo: unknown option 'strid' (expected stride, labelSmoothing, shape)");
    expect(() => checkRequiredOptions({ stride: 1 }, DEMO, 'demo')).not.toThrow();
  });

  it("a flag option (marked 'flag') takes true, false or undefined only", () => {
    interface WithFlag { bias?: boolean; size?: number }
    const names: OptionNames<WithFlag> = { bias: 'flag', size: true };
    expect(() => checkOptions({ bias: true, size: 3 }, names, 'demo')).not.toThrow();
    expect(() => checkOptions({ bias: undefined } as WithFlag, names, 'demo')).not.toThrow();
    expect(errorOf(() => checkOptions({ bias: 'false' } as unknown as WithFlag, names, 'demo'))).toBe('demo: bias must be true or false, got string "false"');
    expect(errorOf(() => checkOptions({ bias: null } as unknown as WithFlag, names, 'demo'))).toBe('demo: bias must be true or false, got null');
  });

  it('a function that takes no options says so', () => {
    const none: OptionNames<Record<string, never>> = {};
    expect(errorOf(() => checkOptions({ x: 1 } as unknown as Record<string, never>, none, 'demo'))).toBe("demo: unknown option 'x' (expected none)");
  });
});
