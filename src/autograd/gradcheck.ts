import { NDArray } from '../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { Generator } from '../tensor/rng.js';
import { zerosLike } from './creation.js';
import { enableGrad, noGrad } from './grad-mode.js';
import { grad } from './grad.js';
import { Tensor } from './tensor.js';

/** Options of `gradcheck` (PyTorch's defaults: eps 1e-6, atol 1e-5, rtol 1e-3). */
export interface GradcheckOptions {
  /** Central-difference step. */
  eps?: number;
  /** Absolute tolerance: an entry passes when |analytical − numerical| ≤ atol + rtol·|numerical|. */
  atol?: number;
  /** Relative tolerance (see atol). */
  rtol?: number;
  /**
   * `false`: compare full Jacobians; `true`: compare vᵀJu for random v, u (one number per input,
   * as PyTorch's fast mode); `'auto'` (default): full when the Jacobians hold at most
   * `maxFullEntries` entries.
   */
  fastMode?: boolean | 'auto';
  /** Jacobian size above which `'auto'` switches to fast mode (default 20 000). */
  maxFullEntries?: number;
  /** Seed for the random v and u of fast mode and of the extra checks (default 0). */
  seed?: number;
  /** How many of the worst entries the failure report lists (default 8). */
  reportRows?: number;
}

const GRADCHECK_OPTIONS: OptionNames<GradcheckOptions> = {
  eps: true, atol: true, rtol: true, fastMode: true, maxFullEntries: true, seed: true, reportRows: true,
};

/** What `gradcheck` returns: whether every check passed, and a short report. */
export interface GradcheckResult {
  /**
   * True when the analytical and numerical gradients agree everywhere and the extra checks pass.
   */
  ok: boolean;
  /** One line when it passes; a short table of the worst entries when it fails. */
  report: string;
}

type Fn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

interface Mismatch {
  input: number;
  index: string;
  output: string;
  analytical: number;
  numerical: number;
  excess: number;
}

/**
 * Checks the gradients of `fn` at `inputs` against float64 central differences, as PyTorch's
 * `torch.autograd.gradcheck` does, plus two consistency checks: backward twice gives bitwise the
 * same gradients, and a zero upstream gradient gives zero input gradients. Inputs with
 * `requiresGrad` are checked; the others are held constant. `inputs` are not modified (copies are
 * perturbed) and their `.grad` is left alone.
 *
 * @example
 * ```ts
 * import { gradcheck, randn } from 'tsgrad';
 * const x = randn([3, 4], { dtype: 'float64', requiresGrad: true });
 * const { ok, report } = gradcheck((t) => t.tanh().sum(1), [x]);
 * if (!ok) throw new Error(report);
 * ```
 */
export function gradcheck(fn: Fn, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  checkOptions(options, GRADCHECK_OPTIONS, 'gradcheck');
  return checkGradients(fn, inputs, options, { label: 'gradcheck', inputName: String });
}

/** How a report names the check and its inputs (gradgradcheck adds the upstream gradients). */
interface ReportNames {
  label: string;
  inputName: (index: number) => string;
}

function checkGradients(fn: Fn, inputs: readonly Tensor[], options: GradcheckOptions, names: ReportNames): GradcheckResult {
  const { label } = names;
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const gen = new Generator(options.seed ?? 0);
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`${label}: input ${i} is not a Tensor`);
    if (t.dtype !== 'float64') {
      throw new Error(`${label}: input ${i} has dtype ${t.dtype}; gradcheck needs float64 inputs (central differences in float32 are too coarse to trust). Convert with .to('float64').`);
    }
  });
  // Fresh contiguous leaves: perturbing them never touches the caller's tensors.
  const leaves = inputs.map((t) => (t.requiresGrad ? new Tensor(t.array.copy(), { requiresGrad: true }) : t));
  const checked = leaves.map((t, i) => (t.requiresGrad ? i : -1)).filter((i) => i >= 0);
  if (checked.length === 0) throw new Error(`${label}: no input has requiresGrad: true, so there is nothing to check`);

  const outputs = evaluate(fn, leaves);
  outputs.forEach((o, i) => {
    if (o.dtype !== 'float64') throw new Error(`${label}: output ${i} has dtype ${o.dtype}; expected float64 (is a constant float32 inside fn?)`);
  });
  const outSizes = outputs.map((o) => o.numel);
  const totalOut = outSizes.reduce((p, n) => p + n, 0);
  const totalIn = checked.reduce((p, i) => p + leaves[i]!.numel, 0);
  const fast = options.fastMode === 'auto' || options.fastMode === undefined
    ? totalIn * totalOut > (options.maxFullEntries ?? 20_000)
    : options.fastMode;

  const mismatches: Mismatch[] = [];
  let compared = 0;
  let worst = 0;
  const note = (m: Omit<Mismatch, 'excess'>): void => {
    compared++;
    const diff = Math.abs(m.analytical - m.numerical);
    const excess = diff - (atol + rtol * Math.abs(m.numerical));
    worst = Math.max(worst, Number.isNaN(diff) ? Infinity : diff);
    if (excess > 0 || Number.isNaN(diff)) mismatches.push({ ...m, excess: Number.isNaN(excess) ? Infinity : excess });
  };

  if (!fast) {
    // Analytical Jacobian, one row per output element: backward with a one-hot upstream gradient.
    const analytical = checked.map((i) => new Float64Array(totalOut * leaves[i]!.numel));
    for (let o = 0; o < totalOut; o++) {
      const oneHot = new Float64Array(totalOut);
      oneHot[o] = 1;
      const grads = vectorJacobian(fn, leaves, checked, oneHot);
      checked.forEach((_, c) => {
        const n = grads[c]!.length;
        analytical[c]!.set(grads[c]!, o * n);
      });
    }
    // Numerical Jacobian, one column per input element: central differences.
    checked.forEach((inputIndex, c) => {
      const leaf = leaves[inputIndex]!;
      for (let j = 0; j < leaf.numel; j++) {
        const column = centralDifference(fn, leaves, inputIndex, oneHotArray(leaf.numel, j), eps);
        for (let o = 0; o < totalOut; o++) {
          note({
            input: inputIndex,
            index: formatIndex(leaf.shape, j),
            output: formatOutput(outSizes, outputs, o),
            analytical: analytical[c]![o * leaf.numel + j]!,
            numerical: column[o]!,
          });
        }
      }
    });
  } else {
    // vᵀJu per input: one backward with a random v, one central difference along a random u.
    const v = randomVector(totalOut, gen);
    const grads = vectorJacobian(fn, leaves, checked, v);
    checked.forEach((inputIndex, c) => {
      const u = randomVector(leaves[inputIndex]!.numel, gen);
      const column = centralDifference(fn, leaves, inputIndex, u, eps);
      note({
        input: inputIndex,
        index: 'vᵀJu',
        output: 'all',
        analytical: dot(grads[c]!, u),
        numerical: dot(column, v),
      });
    });
  }

  const problems: string[] = [];
  // Backward twice with the same upstream gradient must give bitwise identical results.
  const v = randomVector(totalOut, gen);
  const first = vectorJacobian(fn, leaves, checked, v);
  const second = vectorJacobian(fn, leaves, checked, v);
  checked.forEach((inputIndex, c) => {
    const k = first[c]!.findIndex((x, idx) => !Object.is(x, second[c]![idx]));
    if (k >= 0) problems.push(`backward is not reproducible: input ${names.inputName(inputIndex)} at ${formatIndex(leaves[inputIndex]!.shape, k)} gave ${first[c]![k]} then ${second[c]![k]}`);
  });
  // A zero upstream gradient must give zero input gradients.
  const zero = vectorJacobian(fn, leaves, checked, new Float64Array(totalOut));
  checked.forEach((inputIndex, c) => {
    const k = zero[c]!.findIndex((x) => x !== 0);
    if (k >= 0) problems.push(`a zero upstream gradient gave a non-zero gradient ${zero[c]![k]} for input ${names.inputName(inputIndex)} at ${formatIndex(leaves[inputIndex]!.shape, k)}`);
  });

  const ok = mismatches.length === 0 && problems.length === 0;
  const mode = fast ? 'fast mode (vᵀJu)' : 'full Jacobian';
  if (ok) {
    return { ok, report: `${label} passed: ${compared} entries compared (${mode}), max |Δ| = ${worst.toExponential(2)}` };
  }
  const lines: string[] = [];
  if (mismatches.length > 0) {
    lines.push(`${label} failed: ${mismatches.length} of ${compared} entries (${mode}) exceed atol ${atol} + rtol ${rtol}·|numerical|. Worst:`);
    lines.push(table(mismatches.sort((a, b) => b.excess - a.excess).slice(0, options.reportRows ?? 8), names.inputName));
  } else {
    lines.push(`${label} failed: the Jacobians agree (${compared} entries, ${mode}), but:`);
  }
  for (const p of problems) lines.push(`- ${p}`);
  return { ok, report: lines.join('\n') };
}

function evaluate(fn: Fn, leaves: readonly Tensor[]): Tensor[] {
  const out = fn(...leaves);
  const list = out instanceof Tensor ? [out] : [...out];
  if (list.length === 0 || list.some((t) => !(t instanceof Tensor))) throw new Error('gradcheck: fn must return a Tensor or an array of Tensors');
  return list;
}

/** Flattened gradients of Σ_o v_o·out_o with respect to each checked input (fresh graph each call). */
function vectorJacobian(fn: Fn, leaves: readonly Tensor[], checked: readonly number[], v: Float64Array): Float64Array[] {
  for (const i of checked) leaves[i]!.grad = null;
  const outputs = evaluate(fn, leaves);
  let start = 0;
  for (const out of outputs) {
    const slice = v.slice(start, start + out.numel);
    start += out.numel;
    if (!out.requiresGrad) continue;
    out.backward(new Tensor(new NDArray(slice, [...out.shape])), { retainGraph: true });
  }
  return checked.map((i) => {
    const leaf = leaves[i]!;
    const grad = leaf.grad;
    leaf.grad = null;
    return grad === null ? new Float64Array(leaf.numel) : Float64Array.from(grad.toArray());
  });
}

/** (f(x + eps·u) − f(x − eps·u)) / (2·eps), flattened over all outputs; x is restored after. */
function centralDifference(fn: Fn, leaves: readonly Tensor[], inputIndex: number, u: Float64Array, eps: number): Float64Array {
  const data = leaves[inputIndex]!.array.data;
  const original = Float64Array.from(data);
  const run = (sign: number): Float64Array => {
    for (let j = 0; j < u.length; j++) data[j] = original[j]! + sign * eps * u[j]!;
    const outputs = noGrad(() => evaluate(fn, leaves));
    return concat(outputs.map((o) => o.toArray()));
  };
  try {
    const plus = run(1);
    const minus = run(-1);
    return plus.map((p, o) => (p - minus[o]!) / (2 * eps));
  } finally {
    data.set(original);
  }
}

function concat(parts: ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((p, a) => p + a.length, 0));
  let start = 0;
  for (const part of parts) {
    out.set(part, start);
    start += part.length;
  }
  return out;
}

function oneHotArray(n: number, j: number): Float64Array {
  const out = new Float64Array(n);
  out[j] = 1;
  return out;
}

function randomVector(n: number, gen: Generator): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = gen.normal();
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function formatIndex(shape: readonly number[], flat: number): string {
  if (shape.length === 0) return '()';
  const index = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = rest % shape[d]!;
    rest = Math.floor(rest / shape[d]!);
  }
  return `(${index.join(', ')})`;
}

function formatOutput(sizes: readonly number[], outputs: readonly Tensor[], flat: number): string {
  let rest = flat;
  for (let i = 0; i < sizes.length; i++) {
    if (rest < sizes[i]!) {
      const index = formatIndex(outputs[i]!.shape, rest);
      return sizes.length > 1 ? `out ${i} ${index}` : index;
    }
    rest -= sizes[i]!;
  }
  return String(flat);
}

function table(rows: readonly Mismatch[], inputName: (index: number) => string): string {
  const header = ['input', 'index', 'output', 'analytical', 'numerical', '|Δ|'];
  const body = rows.map((r) => [
    inputName(r.input), r.index, r.output, fmt(r.analytical), fmt(r.numerical), fmt(Math.abs(r.analytical - r.numerical)),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((s, c) => s.padEnd(widths[c]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(6) : String(x);
}

/** Options of `gradgradcheck`: gradcheck's, plus the upstream gradients to differentiate along. */
export interface GradgradcheckOptions extends GradcheckOptions {
  /**
   * The upstream gradient of each output, float64 (random N(0, 1) from `seed` when omitted, as
   * PyTorch draws them); they become inputs of the check, so the second derivative is checked in
   * them too.
   */
  gradOutputs?: readonly Tensor[];
}

const GRADGRADCHECK_OPTIONS: OptionNames<GradgradcheckOptions> = { ...GRADCHECK_OPTIONS, gradOutputs: true };

/**
 * Checks second derivatives (PyTorch's `gradgradcheck`): runs `gradcheck` on the first derivative
 * itself — the function (x, v) ↦ vᵀ·∂fn/∂x computed by `autograd.grad` with `createGraph` — so
 * central differences of the analytical first derivative are compared with its own analytical
 * derivative (the recorded backward), in full or fast mode. Float64 only; the report names the
 * inputs `0, 1, …` and the upstream gradients `v0, v1, …`.
 *
 * @example
 * ```ts
 * import { gradgradcheck, randn } from 'tsgrad';
 * const x = randn([3], { dtype: 'float64', requiresGrad: true });
 * gradgradcheck((t) => t.tanh().mul(t), [x]).ok; // true
 * ```
 */
export function gradgradcheck(fn: Fn, inputs: readonly Tensor[], options: GradgradcheckOptions = {}): GradcheckResult {
  checkOptions(options, GRADGRADCHECK_OPTIONS, 'gradgradcheck');
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`gradgradcheck: input ${i} is not a Tensor`);
  });
  const outputs = enableGrad(() => evaluate(fn, inputs));
  const gen = new Generator((options.seed ?? 0) + 1);
  const vs = options.gradOutputs ?? outputs.map((o) => new Tensor(new NDArray(randomVector(o.numel, gen), [...o.shape])));
  if (vs.length !== outputs.length) throw new Error(`gradgradcheck: got ${vs.length} gradOutputs for ${outputs.length} outputs`);
  const upstream = vs.map((v, i) => {
    if (!(v instanceof Tensor) || v.dtype !== 'float64') throw new Error(`gradgradcheck: gradOutputs[${i}] must be a float64 Tensor`);
    return new Tensor(v.array.copy(), { requiresGrad: true });
  });
  const n = inputs.length;
  const firstDerivative = (...all: Tensor[]): Tensor[] => enableGrad(() => {
    const xs = all.slice(0, n);
    const differentiable = xs.filter((x) => x.requiresGrad);
    const outs = evaluate(fn, xs);
    const used = outs.map((o) => o.requiresGrad);
    if (!used.some((u) => u)) return differentiable.map((x) => zerosLike(x));
    const grads = grad(outs.filter((_, i) => used[i]), differentiable, {
      gradOutputs: all.slice(n).filter((_, i) => used[i]), createGraph: true, allowUnused: true,
    });
    return grads.map((g, i) => g ?? zerosLike(differentiable[i]!));
  });
  return checkGradients(firstDerivative, [...inputs, ...upstream], options, {
    label: 'gradgradcheck',
    inputName: (i) => (i < n ? String(i) : `v${i - n}`),
  });
}
