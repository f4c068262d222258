/**
 * The command-line flags of the examples, parsed strictly: an unknown flag, a missing or bad value,
 * a repeated flag or a stray argument stops the example with one line on stderr and exit code 2
 * (as `npm run experiment` does), before anything trains. `--help` prints the flags and exits 0.
 *
 *   const flags = exampleFlags('mlp-train.ts', 'A 2-layer MLP with hand-written SGD.', {
 *     steps: { kind: 'int', min: 1, default: 3000, help: 'training steps' },
 *   });
 *   flags.steps; // a number, checked
 */

/** A whole number ≥ min (`default` may be Infinity: "no limit"). */
export interface IntFlag { kind: 'int'; min: 0 | 1; default: number; help: string }
/** A finite number > 0. */
export interface PositiveFlag { kind: 'positive'; default: number; help: string }
/** Any non-empty text (a path), or null when absent and there is no default. */
export interface TextFlag { kind: 'text'; default: string | null; help: string }
/** A comma-separated list of names from `choices` (repeats removed). */
export interface ChoicesFlag<T extends string> { kind: 'choices'; choices: readonly T[]; default: readonly T[]; help: string }
/** A comma-separated list of whole numbers ≥ min (repeats removed). */
export interface IntListFlag { kind: 'ints'; min: 0 | 1; default: readonly number[]; help: string }

export type FlagSpec = IntFlag | PositiveFlag | TextFlag | ChoicesFlag<string> | IntListFlag;

/** The parsed value of one flag. */
export type FlagValue<S> = S extends IntFlag | PositiveFlag ? number
  : S extends { kind: 'text'; default: string } ? string
  : S extends TextFlag ? string | null
  : S extends { kind: 'choices'; choices: readonly (infer T)[] } ? T[]
  : S extends IntListFlag ? number[]
  : never;

export type Flags<Spec extends Record<string, FlagSpec>> = { [K in keyof Spec]: FlagValue<Spec[K]> };

/** A bad command line; the message is the one line shown to the user. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

function wholeNumber(flag: string, text: string, min: 0 | 1): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < min) {
    throw new FlagError(`--${flag} expects a ${min === 1 ? 'positive' : 'non-negative'} integer, got '${text}'`);
  }
  return v;
}

function items(flag: string, text: string): string[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((s) => s === '')) throw new FlagError(`--${flag} expects a comma-separated list without empty items, got '${text}'`);
  return [...new Set(parts)];
}

function parseValue(flag: string, spec: FlagSpec, text: string): FlagValue<FlagSpec> {
  switch (spec.kind) {
    case 'int':
      return wholeNumber(flag, text, spec.min);
    case 'positive': {
      const v = Number(text);
      if (text.trim() === '' || !Number.isFinite(v) || v <= 0) throw new FlagError(`--${flag} expects a positive number, got '${text}'`);
      return v;
    }
    case 'text':
      if (text.trim() === '') throw new FlagError(`--${flag} expects a value, got ''`);
      return text;
    case 'choices':
      return items(flag, text).map((name) => {
        if (!spec.choices.includes(name)) throw new FlagError(`unknown value '${name}' in --${flag} (choose from ${spec.choices.join(', ')})`);
        return name;
      });
    case 'ints':
      return items(flag, text).map((s) => wholeNumber(flag, s, spec.min));
  }
}

function defaultValue(spec: FlagSpec): FlagValue<FlagSpec> {
  switch (spec.kind) {
    case 'choices':
      return [...spec.default];
    case 'ints':
      return [...spec.default];
    default:
      return spec.default;
  }
}

/** `--help` text: the description, then one line per flag with its default. */
export function usage(script: string, description: string, spec: Record<string, FlagSpec>): string {
  const shown = (s: FlagSpec): string => {
    const d = s.default;
    if (d === null) return '';
    if (Array.isArray(d)) return ` (default ${d.join(',')})`;
    return d === Infinity ? ' (default: no limit)' : ` (default ${String(d)})`;
  };
  const lines = Object.entries(spec).map(([name, s]) => `  --${name.padEnd(14)} ${s.help}${shown(s)}`);
  return [`Usage: npx tsx examples/${script} [options]`, '', description, '', ...lines, `  --${'help'.padEnd(14)} this text`].join('\n');
}

/**
 * Parses `argv` (without `node script`) against `spec`. Throws a {@link FlagError} for an unknown
 * flag, a missing, bad or repeated value, or a positional argument; returns 'help' for `--help`.
 */
export function parseFlags<Spec extends Record<string, FlagSpec>>(argv: readonly string[], spec: Spec): Flags<Spec> | 'help' {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--')) throw new FlagError(`unexpected argument '${arg}' (options start with --; see --help)`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (!Object.hasOwn(spec, name)) throw new FlagError(`unknown option --${name} (see --help)`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new FlagError(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (given.has(name)) throw new FlagError(`--${name} is given twice`);
    given.set(name, value);
  }
  const out: Record<string, FlagValue<FlagSpec>> = {};
  for (const [name, s] of Object.entries(spec)) {
    const text = given.get(name);
    out[name] = text === undefined ? defaultValue(s) : parseValue(name, s, text);
  }
  return out as Flags<Spec>;
}

/**
 * The flags of a running example, from `process.argv`. On a bad command line it prints
 * `<script>: error: <one line>` to stderr and exits with code 2; on `--help` it prints the usage and
 * exits 0. `check` adds the example's own cross-flag rules (throw a {@link FlagError}).
 */
export function exampleFlags<Spec extends Record<string, FlagSpec>>(
  script: string,
  description: string,
  spec: Spec,
  check: (flags: Flags<Spec>) => void = () => {},
): Flags<Spec> {
  try {
    const flags = parseFlags(process.argv.slice(2), spec);
    if (flags === 'help') {
      process.stdout.write(`${usage(script, description, spec)}\n`);
      process.exit(0);
    }
    check(flags);
    return flags;
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${script}: error: ${err.message}\n`);
    process.exit(2);
  }
}
