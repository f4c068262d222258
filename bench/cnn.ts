/**
 * The MNIST CNN of issue 5's train-step rows, in tsgrad, tfjs-cpu and convnetjs, from the same
 * seeded weights and batch:
 *
 *   conv(1→8, 3×3, pad 1) - norm - ReLU - maxpool 2 - conv(8→16, 3×3, pad 1) - norm - ReLU - maxpool 2
 *   - flatten - linear(16·7·7 → 10), softmax cross-entropy (mean over the batch), plain SGD (lr 0.01)
 *
 * norm: BatchNorm2d, BatchKalmanNorm2d (tsgrad only) or none (convnetjs has no BatchNorm). One run
 * is one SGD step on a fixed batch of 28×28 inputs (seeded, not real digits: the time of a step does
 * not depend on the values, and loading the `mnist` package — CommonJS — into tsgrad's process
 * through tsx would slow its typed arrays, bench/README.md) and returns the step's loss. Each
 * library's weights start from the same values, converted from PyTorch's layout (weights
 * [Cout, Cin, kH, kW], NCHW flatten order) to its own: tfjs is NHWC with conv filters
 * [kH, kW, Cin, Cout] and dense weights [in, out]; convnetjs keeps each sample as an H×W×C `Vol`.
 * So the losses of the first steps agree across libraries (the check), within float32 rounding.
 */
import { F, manualSeed, nn, optim, tensor, type Tensor } from '../src/index.js';
import { seededData, type Run } from './harness.js';
import type { Scalar, Tensor1D, Tensor4D } from '@tensorflow/tfjs';
import { loadConvnetjs, loadJaxJs, loadTfjsWithGradients, type CnLayer } from './peers.js';

export type CnnNorm = 'bn' | 'bkn' | 'none';

const LR = 0.01;
const C1 = 8;
const C2 = 16;
const SIDE = 28;
const FLAT = C2 * 7 * 7;
const CLASSES = 10;

/** Seeded values scaled to standard deviation `std` (seededData's is 0.5). */
function scaled(size: number, seed: number, std: number): Float32Array {
  const v = seededData(size, seed);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * 2 * std;
  return v;
}

/** The starting weights, PyTorch's layout; He-scaled convs, 1/sqrt(fan-in) linear. */
export interface CnnWeights {
  conv1w: Float32Array; // [8, 1, 3, 3]
  conv1b: Float32Array; // [8]
  conv2w: Float32Array; // [16, 8, 3, 3]
  conv2b: Float32Array; // [16]
  fcw: Float32Array; // [10, 784], input index c·49 + h·7 + w
  fcb: Float32Array; // [10]
}

export function cnnWeights(): CnnWeights {
  return {
    conv1w: scaled(C1 * 9, 101, Math.sqrt(2 / 9)),
    conv1b: scaled(C1, 102, 0.1),
    conv2w: scaled(C2 * C1 * 9, 103, Math.sqrt(2 / (C1 * 9))),
    conv2b: scaled(C2, 104, 0.1),
    fcw: scaled(CLASSES * FLAT, 105, Math.sqrt(1 / FLAT)),
    fcb: scaled(CLASSES, 106, 0.1),
  };
}

/** The fixed batch: inputs [n, 1, 28, 28] and labels 0, 1, …, 9, 0, 1, … */
export function cnnBatch(n: number): { x: Float32Array; labels: number[] } {
  return { x: seededData(n * SIDE * SIDE, 107 + n), labels: Array.from({ length: n }, (_, i) => i % CLASSES) };
}

/** Losses finite and decreasing over the checked steps (the same batch each step). */
export function lossesDecrease(out: Float64Array): string | null {
  if (out.length < 2) return 'fewer than two losses';
  if (!out.every(Number.isFinite)) return `a loss is not finite: ${[...out].join(', ')}`;
  if (!(out[out.length - 1]! < out[0]!)) return `the loss did not decrease over ${out.length} steps: ${[...out].join(', ')}`;
  return null;
}

// ---- tsgrad -------------------------------------------------------------------------------------

export interface TsgradCnnOptions {
  norm: CnnNorm;
  batch: number;
  /** Normalization chunks per batch (default 1: the whole batch). */
  groups?: number;
  /** The norms' kernels: 'fused' (default) or the 'composite' built from autograd primitives. */
  implementation?: 'fused' | 'composite';
}

/** The tsgrad model and one SGD step per run. */
export async function tsgradCnn(o: TsgradCnnOptions): Promise<Run> {
  // BKN's sampled prediction draws noise from the global generator: the same sequence in every process.
  manualSeed(1);
  const w = cnnWeights();
  const conv1 = new nn.Conv2d(1, C1, 3, { padding: 1 });
  const conv2 = new nn.Conv2d(C1, C2, 3, { padding: 1 });
  const fc = new nn.Linear(FLAT, CLASSES);
  conv1.loadStateDict({ weight: tensor(w.conv1w, { shape: [C1, 1, 3, 3] }), bias: tensor(w.conv1b) });
  conv2.loadStateDict({ weight: tensor(w.conv2w, { shape: [C2, C1, 3, 3] }), bias: tensor(w.conv2b) });
  fc.loadStateDict({ weight: tensor(w.fcw, { shape: [CLASSES, FLAT] }), bias: tensor(w.fcb) });
  const options = { groups: o.groups ?? 1, implementation: o.implementation ?? 'fused' };
  const norm = (c: number): nn.Module[] => {
    if (o.norm === 'none') return [];
    return [o.norm === 'bn' ? new nn.BatchNorm2d(c, options) : new nn.BatchKalmanNorm2d(c, options)];
  };
  // A Sequential links the two BKN layers into one chain by itself (BKN.md, "Wiring the chain").
  const model = new nn.Sequential(
    conv1, ...norm(C1), new nn.ReLU(), new nn.MaxPool2d(2),
    conv2, ...norm(C2), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), fc,
  );
  model.train();
  const { x: xs, labels } = cnnBatch(o.batch);
  return sgdStep(model, new optim.SGD(model.parameters(), { lr: LR }), tensor(xs, { shape: [o.batch, 1, SIDE, SIDE] }), labels);
}

/** One training step as a bench run: cross-entropy of `model(x)` against `labels`, backward, `opt.step()`; returns the loss. */
export function sgdStep(model: nn.Module, opt: optim.SGD, x: Tensor, labels: number[]): Run {
  return () => {
    const loss = F.crossEntropy(model.call(x), labels);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    return [loss.item()];
  };
}

// ---- layout conversions -------------------------------------------------------------------------

/** [Cout, Cin, kH, kW] → [kH, kW, Cin, Cout] (tfjs's filter layout). */
export function oihwToHwio(w: Float32Array, cout: number, cin: number, k: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) out[((y * k + x) * cin + i) * cout + o] = w[((o * cin + i) * k + y) * k + x]!;
    }
  }
  return out;
}

/** [N, C, H, W] ↔ [N, H, W, C]: `toNhwc` false converts back. */
export function nchwNhwc(a: ArrayLike<number>, n: number, c: number, h: number, w: number, toNhwc: boolean): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < h * w; p++) {
        const nchw = (b * c + ch) * h * w + p;
        const nhwc = (b * h * w + p) * c + ch;
        if (toNhwc) out[nhwc] = a[nchw]!;
        else out[nchw] = a[nhwc]!;
      }
    }
  }
  return out;
}

/** The linear weight [10, C·H·W] (NCHW flatten order) → per class, H·W·C order. */
function fcRowsHwc(fcw: Float32Array): Float32Array[] {
  const rows: Float32Array[] = [];
  for (let o = 0; o < CLASSES; o++) rows.push(nchwNhwc(fcw.subarray(o * FLAT, (o + 1) * FLAT), 1, C2, 7, 7, true));
  return rows;
}

// ---- tfjs-cpu -----------------------------------------------------------------------------------

/**
 * The same network written by hand in tfjs (NHWC), trained with `tf.variableGrads` and
 * `tf.train.sgd`. BatchNorm is `tf.moments` over N, H, W + `tf.batchNorm` (ε 1e-5), differentiated
 * by tfjs; it keeps no running statistics (tsgrad's BatchNorm2d updates them, a few µs).
 */
export async function tfjsCnn(norm: 'bn' | 'none', batch: number): Promise<Run> {
  const tf = await loadTfjsWithGradients();
  const w = cnnWeights();
  const fcRows = fcRowsHwc(w.fcw);
  const fcw = new Float32Array(FLAT * CLASSES); // [784, 10]
  for (let o = 0; o < CLASSES; o++) for (let i = 0; i < FLAT; i++) fcw[i * CLASSES + o] = fcRows[o]![i]!;
  const w1 = tf.variable(tf.tensor4d(oihwToHwio(w.conv1w, C1, 1, 3), [3, 3, 1, C1]));
  const b1 = tf.variable(tf.tensor1d(w.conv1b));
  const w2 = tf.variable(tf.tensor4d(oihwToHwio(w.conv2w, C2, C1, 3), [3, 3, C1, C2]));
  const b2 = tf.variable(tf.tensor1d(w.conv2b));
  const wf = tf.variable(tf.tensor2d(fcw, [FLAT, CLASSES]));
  const bf = tf.variable(tf.tensor1d(w.fcb));
  const g1 = tf.variable(tf.tensor1d(new Float32Array(C1).fill(1)));
  const be1 = tf.variable(tf.tensor1d(new Float32Array(C1)));
  const g2 = tf.variable(tf.tensor1d(new Float32Array(C2).fill(1)));
  const be2 = tf.variable(tf.tensor1d(new Float32Array(C2)));
  const { x: xs, labels } = cnnBatch(batch);
  const x = tf.tensor4d(xs, [batch, SIDE, SIDE, 1]); // one channel: NCHW and NHWC coincide
  const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES).toFloat();
  const opt = tf.train.sgd(LR);
  const normed = (h: Tensor4D, gamma: Tensor1D, beta: Tensor1D): Tensor4D => {
    if (norm === 'none') return h;
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    return tf.batchNorm(h, mean, variance, beta, gamma, 1e-5) as Tensor4D;
  };
  const lossFn = (): Scalar => {
    let h = tf.add(tf.conv2d(x, w1, 1, 'same'), b1) as Tensor4D;
    h = tf.maxPool(tf.relu(normed(h, g1, be1)), 2, 2, 'valid');
    h = tf.add(tf.conv2d(h, w2, 1, 'same'), b2) as Tensor4D;
    h = tf.maxPool(tf.relu(normed(h, g2, be2)), 2, 2, 'valid');
    const logits = tf.add(tf.matMul(tf.reshape(h, [batch, FLAT]), wf), bf);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1))) as Scalar;
  };
  const vars = norm === 'bn' ? [w1, b1, w2, b2, wf, bf, g1, be1, g2, be2] : [w1, b1, w2, b2, wf, bf];
  return () => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn, vars);
      opt.applyGradients(grads);
      return value;
    });
    const out = loss.dataSync()[0]!;
    loss.dispose();
    return [out];
  };
}

// ---- convnetjs ----------------------------------------------------------------------------------

/**
 * The network without normalization (convnetjs has none) in convnetjs: layers input, conv, relu,
 * pool, conv, relu, pool, softmax (= fc + softmax); its `Trainer` with vanilla SGD (momentum 0,
 * no weight decay), batch_size = the batch: it runs forward/backward one sample at a time,
 * accumulating gradients, and updates with their mean — one train step per `batch` samples.
 */
export async function convnetjsCnn(batch: number): Promise<Run> {
  const cn = await loadConvnetjs();
  const w = cnnWeights();
  const net = new cn.Net();
  net.makeLayers([
    { type: 'input', out_sx: SIDE, out_sy: SIDE, out_depth: 1 },
    { type: 'conv', sx: 3, filters: C1, stride: 1, pad: 1, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: 3, filters: C2, stride: 1, pad: 1, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'softmax', num_classes: CLASSES },
  ]);
  const convs = net.layers.filter((l) => l.layer_type === 'conv');
  const fc = net.layers.find((l) => l.layer_type === 'fc');
  if (convs.length !== 2 || fc === undefined) throw new Error('convnetjs: unexpected layers');
  // A convnetjs filter is a 3×3×Cin Vol, index (3·y + x)·Cin + c.
  const setConv = (layer: CnLayer, wt: Float32Array, bias: Float32Array, cin: number): void => {
    layer.filters!.forEach((f, o) => {
      for (let c = 0; c < cin; c++) for (let p = 0; p < 9; p++) f.w[p * cin + c] = wt[(o * cin + c) * 9 + p]!;
    });
    layer.biases!.w.set(bias);
  };
  setConv(convs[0]!, w.conv1w, w.conv1b, 1);
  setConv(convs[1]!, w.conv2w, w.conv2b, C1);
  const rows = fcRowsHwc(w.fcw);
  fc.filters!.forEach((f, o) => f.w.set(rows[o]!));
  fc.biases!.w.set(w.fcb);
  const trainer = new cn.Trainer(net, { method: 'sgd', learning_rate: LR, momentum: 0, l1_decay: 0, l2_decay: 0, batch_size: batch });
  const { x, labels } = cnnBatch(batch);
  const vols = labels.map((_, i) => {
    const v = new cn.Vol(SIDE, SIDE, 1, 0);
    v.w.set(x.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE));
    return v;
  });
  return () => {
    let sum = 0;
    for (let i = 0; i < batch; i++) sum += trainer.train(vols[i]!, labels[i]!).cost_loss;
    return [sum / batch];
  };
}

// ---- jax-js -------------------------------------------------------------------------------------

/**
 * The BN network in jax-js on its wasm device (NCHW, OIHW filters: tsgrad's layouts; the dense
 * weight transposed to [in, out]), the whole step — forward, `valueAndGrad`, the SGD update — as
 * one `jit`-compiled function, as the MLP row runs it. BatchNorm: batch statistics over N, H, W,
 * biased variance, ε 1e-5, γ and β trained (no running statistics: they do not change the loss).
 * Max pooling 2×2 as a max over a [N, C, H/2, 2, W/2, 2] reshape. jax-js counts references: every
 * use of an array but its last takes `.ref` (tree.ref for the parameters).
 */
export async function jaxCnn(batch: number): Promise<Run> {
  const { numpy: np, nn: jnn, lax, jit, valueAndGrad, tree } = await loadJaxJs();
  type JaxArray = ReturnType<typeof np.array>;
  type Params = Record<string, JaxArray>;
  const w = cnnWeights();
  const fcw = new Float32Array(FLAT * CLASSES); // [784, 10]
  for (let o = 0; o < CLASSES; o++) for (let i = 0; i < FLAT; i++) fcw[i * CLASSES + o] = w.fcw[o * FLAT + i]!;
  let params: Params = {
    c1w: np.array(w.conv1w, { shape: [C1, 1, 3, 3] }), c1b: np.array(w.conv1b, { shape: [C1] }),
    g1: np.array(new Float32Array(C1).fill(1), { shape: [C1] }), b1: np.array(new Float32Array(C1), { shape: [C1] }),
    c2w: np.array(w.conv2w, { shape: [C2, C1, 3, 3] }), c2b: np.array(w.conv2b, { shape: [C2] }),
    g2: np.array(new Float32Array(C2).fill(1), { shape: [C2] }), b2: np.array(new Float32Array(C2), { shape: [C2] }),
    fw: np.array(fcw, { shape: [FLAT, CLASSES] }), fb: np.array(w.fcb, { shape: [CLASSES] }),
  };
  const { x: xs, labels } = cnnBatch(batch);
  const x = np.array(xs, { shape: [batch, 1, SIDE, SIDE] });
  const oneHot = np.array(Float32Array.from({ length: batch * CLASSES }, (_, k) => (k % CLASSES === labels[Math.floor(k / CLASSES)] ? 1 : 0)), { shape: [batch, CLASSES] });
  const block = (a: JaxArray, cw: JaxArray, cb: JaxArray, gamma: JaxArray, beta: JaxArray, c: number, side: number): JaxArray => {
    const z = lax.conv(a, cw, [1, 1], 'SAME').add(cb.reshape([1, c, 1, 1]));
    const centred = z.ref.sub(np.mean(z, [0, 2, 3], { keepdims: true }));
    const variance = np.mean(centred.ref.mul(centred.ref), [0, 2, 3], { keepdims: true });
    const y = centred.div(np.sqrt(variance.add(1e-5))).mul(gamma.reshape([1, c, 1, 1])).add(beta.reshape([1, c, 1, 1]));
    return np.max(jnn.relu(y).reshape([batch, c, side / 2, 2, side / 2, 2]), [3, 5]);
  };
  const loss = (p: Params, xb: JaxArray, yb: JaxArray): JaxArray => {
    const h1 = block(xb, p['c1w']!, p['c1b']!, p['g1']!, p['b1']!, C1, SIDE);
    const h2 = block(h1, p['c2w']!, p['c2b']!, p['g2']!, p['b2']!, C2, SIDE / 2);
    const z = np.dot(h2.reshape([batch, FLAT]), p['fw']!).add(p['fb']!);
    return jnn.logSoftmax(z).mul(yb).sum().mul(-1 / batch);
  };
  const step = jit((p: Params, xb: JaxArray, yb: JaxArray) => {
    const [l, g] = valueAndGrad(loss)(tree.ref(p), xb, yb);
    return [l, tree.map((pi: JaxArray, gi: JaxArray) => pi.sub(gi.mul(LR)), p, g as Params)];
  });
  return () => {
    const [l, next] = step(tree.ref(params), x.ref, oneHot.ref) as [JaxArray, Params];
    tree.dispose(params);
    params = next;
    return [l.dataSync()[0]!];
  };
}
