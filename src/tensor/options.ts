// Checks the options object of a public function. PyTorch rejects a keyword it does not know
// (`TypeError: conv2d() got an unexpected keyword argument 'strid'`); an options object in
// JavaScript does not, so a typo, PyTorch's snake_case name or a shape array passed where the
// options go would be silently ignored and the call would compute something else. Every public
// function that takes options checks them here first.
import { formatValue } from './shape.js';

/**
 * Every name an options type accepts, each mapped to `'flag'` when the option is a boolean and to
 * `true` otherwise. Written as a record (not a list) so the compiler checks it against the type:
 * a missing or an extra name, or a boolean option not marked `'flag'`, is a type error.
 * checkOptions then also checks that a flag's value is true or false: `{ bias: 'false' }` would
 * otherwise be truthy and keep the bias.
 */
export type OptionNames<T> = { readonly [K in keyof Required<T>]: NameKind<Exclude<T[K], undefined>> };

/** `'flag'` for a boolean option, `true` for any other (an option typed only `undefined` included). */
type NameKind<V> = [V] extends [never] ? true : [V] extends [boolean] ? 'flag' : true;

/** How an argument of the wrong kind is shown in an error. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array ${formatValue(value)}`;
  if (typeof value === 'object') {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null) return `an object ${formatValue(value)}`;
    return `a ${(value as object).constructor?.name ?? 'non-plain object'}`;
  }
  return `${typeof value} ${formatValue(value)}`;
}

/** 'label_smoothing' → 'labelSmoothing': PyTorch's keyword as tsgrad spells it. */
function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Throws unless `options` is undefined or a plain object whose keys are all in `names`. The error
 * names the function (`where`), the unknown key and the accepted ones, and suggests the camelCase
 * name when the key is PyTorch's snake_case spelling of one. Methods called every step (sum's
 * siblings, backward, the losses) pass here, so the accepted path allocates nothing; the message
 * is built only to throw.
 */
export function checkOptions<T extends object>(options: T | undefined, names: NoInfer<OptionNames<T>>, where: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw notAnObject(options, names, where);
  const prototype: unknown = Object.getPrototypeOf(options);
  if (prototype !== Object.prototype && prototype !== null) throw notAnObject(options, names, where);
  for (const key in options) {
    if (!Object.prototype.hasOwnProperty.call(names, key)) throw unknownOption(key, names, where);
    if ((names as Record<string, unknown>)[key] === 'flag') checkFlag((options as Record<string, unknown>)[key], key, where);
  }
}

/**
 * {@link checkOptions} for a function whose options hold a required key (a scheduler's stepSize):
 * leaving them out is an error naming the function, not a TypeError from reading a field of undefined.
 */
export function checkRequiredOptions<T extends object>(options: T | undefined, names: NoInfer<OptionNames<T>>, where: string): asserts options is T {
  if (options === undefined) throw new Error(`${where}: expected an options object with keys among ${expectedNames(names)}, got none`);
  checkOptions(options, names, where);
}

/**
 * Throws unless `value` is a boolean. A positional flag (sum's keepdim, train's mode) would take
 * any truthy value as true: `x.sum(1, { keepdim: false })`, PyTorch's keyword written as an
 * object, kept the dim. `undefined` means the default and passes.
 */
export function checkFlag(value: unknown, name: string, where: string): void {
  if (value === undefined || typeof value === 'boolean') return;
  const keyword = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, name)
    ? ` (${name} is given on its own here, as true or false, not as { ${name}: … })`
    : '';
  throw new Error(`${where}: ${name} must be true or false, got ${describeValue(value)}${keyword}`);
}

function expectedNames(names: object): string {
  return Object.keys(names).length > 0 ? Object.keys(names).join(', ') : 'none';
}

function notAnObject(options: unknown, names: object, where: string): Error {
  // tensor(data, [2, 3]) is the likely slip: the shape given where the options go.
  const hint = Array.isArray(options) && Object.prototype.hasOwnProperty.call(names, 'shape') ? ` — did you mean { shape: ${formatValue(options)} }?` : '';
  return new Error(`${where}: options must be an object with keys among ${expectedNames(names)}, got ${describeValue(options)}${hint}`);
}

function unknownOption(key: string, names: object, where: string): Error {
  const camel = camelCase(key);
  const hint = camel !== key && Object.prototype.hasOwnProperty.call(names, camel) ? ` — did you mean '${camel}'?` : '';
  return new Error(`${where}: unknown option '${key}'${hint} (expected ${expectedNames(names)})`);
}
