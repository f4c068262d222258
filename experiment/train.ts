/**
 * One training run of the experiment: build the configuration's model from a seed, train it with
 * SGD + momentum on shuffled batches, evaluate the test error along the way (for the curves), and
 * at the end measure test accuracy in eval mode and with train-mode statistics.
 *
 * Determinism: everything random is drawn from tsgrad's seeded generators — the model's
 * initialisation from `manualSeed(seed)`, the data order from its own `Generator`, and the noise
 * BKN's sampled prediction draws from the global generator re-seeded from (seed, step) before every
 * step. So a run depends on its seed and settings only: not on the thread count (tsgrad's kernels
 * merge their chunks in a fixed order), and not on how often it is evaluated.
 */
import { F, Generator, manualSeed, nn, noGrad, optim, tensor, type Tensor } from '../src/index.js';
import type { Configuration, ExperimentOptions } from './config.js';
import { buildModel } from './models.js';
import type { ProgressReporter } from './progress.js';
import { finalLoss, type CurvePoint, type RunResult } from './results.js';

/** Images (row-major [count, C, H, W], float32) and their class labels. */
export interface Split {
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

/** A dataset ready for training: standardized images, and what they are. */
export interface ExperimentData {
  name: string;
  /** [C, H, W]. */
  inputShape: [number, number, number];
  classes: number;
  train: Split;
  test: Split;
}

/** Samples per forward pass when evaluating in eval mode (the batch size does not change the result). */
const EVAL_BATCH = 250;

/** Mixes two integers into a 32-bit seed (so seed s, step t and seed s', step t' rarely collide). */
export function mixSeed(a: number, b: number): number {
  let h = Math.imul(a + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}

/** A random permutation of 0 … n−1 (Fisher–Yates) from `gen`. */
export function permutation(n: number, gen: Generator): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = gen.int(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** The samples at `indices[start … start+size)` as an input tensor [size, C, H, W] and their labels. */
export function gatherBatch(split: Split, shape: readonly number[], indices: Int32Array | null, start: number, size: number): { x: Tensor; y: number[] } {
  const per = shape[0]! * shape[1]! * shape[2]!;
  const data = new Float32Array(size * per);
  const y: number[] = new Array<number>(size);
  for (let i = 0; i < size; i++) {
    const k = indices === null ? start + i : indices[start + i]!;
    data.set(split.images.subarray(k * per, (k + 1) * per), i * per);
    y[i] = split.labels[k]!;
  }
  return { x: tensor(data, { shape: [size, ...shape] }), y };
}

/**
 * Counts the rows of `logits` [n, classes] whose largest entry is at the label. NOTE: argmax counts a
 * NaN as the maximum (as PyTorch), so a row holding a NaN (a diverged model) is ruled out: it never
 * counts.
 */
export function countCorrect(logits: Tensor, labels: readonly number[]): number {
  const hit = logits.argmax(1).eq(tensor(labels, { dtype: 'int32' }));
  return hit.logicalAnd(logits.isnan().any(1).logicalNot()).sum().item();
}

/** Test accuracy (%) in eval mode (running statistics) over the first `limit` samples of `split`. */
export function evalModeAccuracy(model: nn.Module, data: ExperimentData, split: Split, limit = split.count): number {
  const n = Math.min(limit, split.count);
  model.eval();
  let correct = 0;
  noGrad(() => {
    for (let start = 0; start < n; start += EVAL_BATCH) {
      const size = Math.min(EVAL_BATCH, n - start);
      const { x, y } = gatherBatch(split, data.inputShape, null, start, size);
      correct += countCorrect(model.call(x), y);
    }
  });
  model.train();
  return (100 * correct) / n;
}

/**
 * Test accuracy (%) with train-mode statistics: the test split goes through in batches of the
 * optimizer batch size, each normalized in chunks of the normalization batch exactly as in
 * training (a final partial batch is left out: the chunks must divide it). The running statistics
 * and every other buffer are restored afterwards, so this measurement does not change the model.
 * Returns the accuracy and the number of samples it used.
 */
export function trainModeAccuracy(model: nn.Module, data: ExperimentData, split: Split, batch: number, noiseSeed: number): { accuracy: number; samples: number } {
  const n = Math.floor(split.count / batch) * batch;
  const saved = model.namedBuffers().map(([name, b]) => [name, b.toArray().slice()] as const);
  manualSeed(noiseSeed);
  model.train();
  let correct = 0;
  noGrad(() => {
    for (let start = 0; start < n; start += batch) {
      const { x, y } = gatherBatch(split, data.inputShape, null, start, batch);
      correct += countCorrect(model.call(x), y);
    }
  });
  const current = new Map(model.namedBuffers());
  for (const [name, values] of saved) {
    const b = current.get(name);
    if (b === undefined) throw new Error(`trainModeAccuracy: buffer ${name} disappeared during evaluation`);
    const a = b.array;
    if (!a.isContiguous() || a.size !== values.length) throw new Error(`trainModeAccuracy: cannot restore buffer ${name} in place`);
    a.data.set(values, a.offset);
  }
  return { accuracy: n === 0 ? NaN : (100 * correct) / n, samples: n };
}

/** The steps at which the test-error curve is measured: `points` steps spread evenly over 0 … total. */
export function curveSteps(total: number, points: number): number[] {
  if (points <= 1) return [total];
  const out = new Set<number>();
  for (let k = 0; k < points; k++) out.add(Math.round((k * total) / (points - 1)));
  return [...out].sort((a, b) => a - b);
}

export interface RunSettings {
  options: ExperimentOptions;
  /** Test samples for the curve's evaluations (the first ones of the test split). */
  curveTestSize: number;
}

/**
 * Trains one configuration with one seed and measures it.
 *
 * @example
 * ```ts
 * const r = trainRun(config, 0, data, { options, curveTestSize: 1000 }, progress);
 * r.evalAccuracy; // e.g. 95.9
 * ```
 */
export function trainRun(
  config: Configuration,
  seed: number,
  data: ExperimentData,
  settings: RunSettings,
  progress: ProgressReporter | null,
  /** Called with every step's loss exactly as computed (the golden pin compares them bitwise). */
  onLoss?: (loss: number) => void,
): RunResult {
  const { options } = settings;
  const start = performance.now();
  manualSeed(seed);
  const model = buildModel(config, data.inputShape, data.classes);
  model.train();
  const opt = new optim.SGD(model.parameters(), { lr: options.lr, momentum: options.momentum });
  const order = new Generator(mixSeed(seed, 0x5eed));

  const stepsPerEpoch = Math.floor(data.train.count / options.batch);
  const total = Math.min(options.epochs * stepsPerEpoch, options.maxSteps ?? Infinity);
  const evalAt = new Set(curveSteps(total, options.curvePoints));
  // Stepped once per optimizer step: lr·(1 + cos(π·step/total))/2 for the step after `step`.
  const scheduler = options.schedule === 'cosine' ? new optim.CosineAnnealingLR(opt, { tMax: total }) : null;
  const losses: number[] = [];
  const curve: CurvePoint[] = [];
  let trainMs = 0;
  let perm: Int32Array = new Int32Array(0);
  let diverged = false;

  const measureCurve = (step: number): void => {
    curve.push({ step, testError: 100 - evalModeAccuracy(model, data, data.test, settings.curveTestSize) });
  };
  progress?.startRun(`${config.id} seed ${seed}`, total, options.batch);
  if (evalAt.has(0)) measureCurve(0);

  for (let step = 1; step <= total && !diverged; step++) {
    const t0 = performance.now();
    const within = (step - 1) % stepsPerEpoch;
    if (within === 0) perm = permutation(data.train.count, order);
    const { x, y } = gatherBatch(data.train, data.inputShape, perm, within * options.batch, options.batch);
    manualSeed(mixSeed(seed, step));
    const loss = F.crossEntropy(model.call(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    scheduler?.step();
    const value = loss.item();
    onLoss?.(value);
    trainMs += performance.now() - t0;
    // The loss is a float32: 9 significant digits hold it exactly and keep results.json small.
    losses.push(Number(value.toPrecision(9)));
    progress?.step(step, value, trainMs / 1000);
    if (!Number.isFinite(value)) {
      // The parameters are no longer numbers: training cannot recover, and the model will not
      // change again — the remaining curve points are that model's error.
      diverged = true;
      progress?.note(`${config.id} seed ${seed}: loss is ${value} at step ${step}; stopping this run`);
      const err = 100 - evalModeAccuracy(model, data, data.test, settings.curveTestSize);
      for (const s of [...evalAt].filter((s) => s >= step).sort((a, b) => a - b)) curve.push({ step: s, testError: err });
    } else if (evalAt.has(step)) measureCurve(step);
  }

  // Read before the train-mode evaluation, which runs (and counts) forward passes too.
  const bknGuard = model.namedModules()
    .filter((entry): entry is [string, nn.BatchKalmanNorm] => entry[1] instanceof nn.BatchKalmanNorm && entry[1].guardCounts.steps > 0)
    .map(([layer, m]) => ({ layer, used: m.guardCounts.used, steps: m.guardCounts.steps }));
  const evalAccuracy = evalModeAccuracy(model, data, data.test);
  const trainMode = trainModeAccuracy(model, data, data.test, options.batch, mixSeed(seed, 0x7e57));
  const result: RunResult = {
    configId: config.id,
    seed,
    steps: losses.length,
    evalAccuracy,
    trainModeAccuracy: trainMode.accuracy,
    finalTrainLoss: finalLoss(losses),
    losses,
    curve,
    wallSeconds: (performance.now() - start) / 1000,
    samplesPerSecond: trainMs > 0 ? (losses.length * options.batch) / (trainMs / 1000) : NaN,
    ...(bknGuard.length > 0 ? { bknGuard } : {}),
  };
  progress?.endRun(
    `eval-mode acc ${evalAccuracy.toFixed(2)}%, train-mode acc ${trainMode.accuracy.toFixed(2)}%, final loss ${result.finalTrainLoss.toFixed(4)}, ${result.samplesPerSecond.toFixed(0)} samples/s`,
  );
  return result;
}
