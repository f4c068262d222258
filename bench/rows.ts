/**
 * The rows of the benchmark table (issue 5). Each row builds identical inputs (seeded) for tsgrad
 * and for each peer, and one run per implementation; bench/run.ts checks the outputs agree before
 * timing. Layouts: tsgrad is NCHW with PyTorch's weight layouts; tfjs runs in its native NHWC (its
 * batchNorm gradient supports channels-last only) and convnetjs on H×W×C volumes, their inputs
 * converted before timing and their outputs converted back for the check only.
 */
import type { Tensor as TfTensor, Tensor4D } from '@tensorflow/tfjs';
import { F, manualSeed, nn, optim, tensor, type Tensor } from '../src/index.js';
import { channelSum } from '../src/tensor/kernels/channel-reduce.js';
import { allocateShared } from '../src/tensor/parallel/pool.js';
import { OPS_PER_CHAIN, opChain } from './op-chain.js';
import { convnetjsCnn, jaxCnn, lossesDecrease, nchwNhwc, oihwToHwio, sgdStep, tfjsCnn, tsgradCnn } from './cnn.js';
import { seededData, type BenchRow, type Built, type Run } from './harness.js';
import { loadConvnetjs, loadJaxJs, loadTfjsCpu, loadTfjsWasm, loadTfjsWasmWithGradients, loadTfjsWithGradients, type Tf, type TfFull } from './peers.js';

/** A tensor's values, flat (no copy when it is contiguous). */
function values(t: Tensor | null): ArrayLike<number> {
  if (t === null) throw new Error('bench: a gradient is missing');
  return t.array.flat();
}

/** Seeded values scaled to standard deviation `std` (seededData's is 0.5). */
function scaled(size: number, seed: number, std: number): Float32Array {
  const v = seededData(size, seed);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * 2 * std;
  return v;
}

/** Train rows check the losses of this many successive steps. */
const TRAIN_CHECK_STEPS = 5;

// ---- matmul --------------------------------------------------------------------------------------

/** tfjs's C = A·B on the row's inputs, on whichever backend `tf` runs. */
function tfjsMatmul512(tf: Tf): Run {
  const a = tf.tensor2d(seededData(512 * 512, 1), [512, 512]);
  const b = tf.tensor2d(seededData(512 * 512, 2), [512, 512]);
  return () => {
    const c = tf.matMul(a, b);
    const out = c.dataSync();
    c.dispose();
    return out;
  };
}

/** C = A·B, 512×512 float32 (2·512³ flops). */
const matmul512: BenchRow = {
  name: 'matmul 512×512 float32',
  unit: 'GFLOP/s',
  work: 2 * 512 ** 3,
  target: '≥ 6.5 GFLOP/s on 1 thread, ≥ 12 on 2 (issue 5); wasm ≥ 1.3× tfjs-wasm, 2 threads ≥ 1.8× 1 (issue 15)',
  tolerance: 1e-5,
  note: 'checks C against tfjs-cpu, tfjs-wasm and jax-js.',
  async tsgrad() {
    const a = tensor(seededData(512 * 512, 1), { shape: [512, 512] });
    const b = tensor(seededData(512 * 512, 2), { shape: [512, 512] });
    return () => a.matmul(b).array.data;
  },
  peers: {
    'tfjs-wasm': async () => tfjsMatmul512(await loadTfjsWasm()),
    'jax-js': async () => {
      const { numpy: np } = await loadJaxJs();
      const a = np.array(seededData(512 * 512, 1), { shape: [512, 512] });
      const b = np.array(seededData(512 * 512, 2), { shape: [512, 512] });
      // jax-js counts references: `.ref` keeps a and b alive; dataSync frees the product.
      return () => np.matmul(a.ref, b.ref).dataSync() as Float32Array;
    },
    'tfjs-cpu': async () => tfjsMatmul512(await loadTfjsCpu()),
  },
};

/** C = A·B, 512×512 float64: no peer has float64 (tfjs has none); js vs wasm. */
const matmul512f64: BenchRow = {
  name: 'matmul 512×512 float64',
  unit: 'GFLOP/s',
  work: 2 * 512 ** 3,
  target: 'wasm ≥ 4× js (issue 15)',
  tolerance: 0,
  note: 'no peer computes in float64: checks the wasm backend against the JS one (bitwise: the same products summed in the same order).',
  async tsgrad() {
    const a = tensor(seededData(512 * 512, 1), { shape: [512, 512], dtype: 'float64' });
    const b = tensor(seededData(512 * 512, 2), { shape: [512, 512], dtype: 'float64' });
    return () => a.matmul(b).array.data;
  },
  peers: {},
};

// ---- MLP train step ------------------------------------------------------------------------------

const MLP_SIZES = [784, 128, 64, 10] as const;
const MLP_LR = 0.01;

/** Layer i's weight [out, in] (PyTorch's layout), He-free 1/sqrt(fan-in) scale, and its bias. */
function mlpWeights(i: number): { w: Float32Array; b: Float32Array } {
  return { w: scaled(MLP_SIZES[i + 1]! * MLP_SIZES[i]!, 300 + i, Math.sqrt(1 / MLP_SIZES[i]!)), b: scaled(MLP_SIZES[i + 1]!, 310 + i, 0.1) };
}

/** [rows, cols] row-major → [cols, rows] row-major. */
function transposed(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/**
 * One SGD step (lr 0.01) of the MLP 784-128-64-10 (ReLU, cross-entropy, mean over the batch) on a
 * fixed seeded batch with labels 0…9, 0…; returns the loss. jax-js runs the whole step (forward,
 * `valueAndGrad`, the update) as one `jit`-compiled function, as the issue measured it.
 */
function mlpRow(batch: number): BenchRow {
  const input = (): Float32Array => seededData(batch * MLP_SIZES[0], 320);
  const labels = Array.from({ length: batch }, (_, i) => i % 10);
  return {
    name: `train step, MLP 784-128-64-10, batch ${batch}`,
    unit: 'samples/s',
    work: batch,
    target: '≥ 1.0× jax-js jitted (issue 15)',
    tolerance: 1e-5,
    checkCalls: TRAIN_CHECK_STEPS,
    validate: lossesDecrease,
    timing: { warmupMs: 3000, minSampleMs: 150 },
    note: `checks the losses of the first ${TRAIN_CHECK_STEPS} SGD steps (the wasm backend and jax-js against tsgrad js) and that they decrease. jax-js: the step jitted (forward, valueAndGrad, update in one compiled function), 1 thread.`,
    async tsgrad() {
      const layers: nn.Module[] = [];
      for (let i = 0; i + 1 < MLP_SIZES.length; i++) {
        const fc = new nn.Linear(MLP_SIZES[i]!, MLP_SIZES[i + 1]!);
        const { w, b } = mlpWeights(i);
        fc.loadStateDict({ weight: tensor(w, { shape: [MLP_SIZES[i + 1]!, MLP_SIZES[i]!] }), bias: tensor(b) });
        layers.push(fc);
        if (i + 2 < MLP_SIZES.length) layers.push(new nn.ReLU());
      }
      const model = new nn.Sequential(...layers);
      return sgdStep(model, new optim.SGD(model.parameters(), { lr: MLP_LR }), tensor(input(), { shape: [batch, MLP_SIZES[0]] }), labels);
    },
    peers: {
      'jax-js': async () => {
        const { numpy: np, nn: jnn, jit, valueAndGrad, tree } = await loadJaxJs();
        type JaxArray = ReturnType<typeof np.array>;
        type Params = Record<string, JaxArray>;
        let params: Params = {};
        for (let i = 0; i + 1 < MLP_SIZES.length; i++) {
          const { w, b } = mlpWeights(i);
          params[`w${i}`] = np.array(transposed(w, MLP_SIZES[i + 1]!, MLP_SIZES[i]!), { shape: [MLP_SIZES[i]!, MLP_SIZES[i + 1]!] });
          params[`b${i}`] = np.array(b, { shape: [MLP_SIZES[i + 1]!] });
        }
        const x = np.array(input(), { shape: [batch, MLP_SIZES[0]] });
        const oneHot = np.array(Float32Array.from({ length: batch * 10 }, (_, k) => (k % 10 === labels[Math.floor(k / 10)] ? 1 : 0)), { shape: [batch, 10] });
        // jax-js counts references: every use of an array but its last takes `.ref` (tree.ref).
        const loss = (p: Params, xb: JaxArray, yb: JaxArray): JaxArray => {
          const a1 = jnn.relu(np.dot(xb, p['w0']!).add(p['b0']!));
          const a2 = jnn.relu(np.dot(a1, p['w1']!).add(p['b1']!));
          const z3 = np.dot(a2, p['w2']!).add(p['b2']!);
          return jnn.logSoftmax(z3).mul(yb).sum().mul(-1 / batch);
        };
        const step = jit((p: Params, xb: JaxArray, yb: JaxArray) => {
          const [l, g] = valueAndGrad(loss)(tree.ref(p), xb, yb);
          return [l, tree.map((pi: JaxArray, gi: JaxArray) => pi.sub(gi.mul(MLP_LR)), p, g as Params)];
        });
        return () => {
          const [l, next] = step(tree.ref(params), x.ref, oneHot.ref) as [JaxArray, Params];
          tree.dispose(params);
          params = next;
          return [l.dataSync()[0]!];
        };
      },
    },
  };
}

// ---- conv2d forward + backward -------------------------------------------------------------------

const CV = { n: 8, cin: 16, cout: 32, h: 32, w: 32, k: 3 };
/** Forward, grad input and grad weight: 3 × 2·N·Cout·H·W·Cin·k² flops (the bias is left out). */
const CONV_FLOPS = 3 * 2 * CV.n * CV.cout * CV.h * CV.w * CV.cin * CV.k * CV.k;
const convX = (): Float32Array => seededData(CV.n * CV.cin * CV.h * CV.w, 11);
const convW = (): Float32Array => scaled(CV.cout * CV.cin * CV.k * CV.k, 12, Math.sqrt(2 / (CV.cin * CV.k * CV.k)));
const convG = (): Float32Array => seededData(CV.n * CV.cout * CV.h * CV.w, 13);

/** y = conv2d(x, w, pad 1), then dx, dw for an upstream gradient g; output y, dx, dw. */
const conv2dRow: BenchRow = {
  name: 'conv2d fwd+bwd, N=8, 16→32 ch, 32×32, 3×3, pad 1',
  unit: 'GFLOP/s',
  work: CONV_FLOPS,
  target: '≥ 5.5 GFLOP/s on 1 thread, ≥ 10 on 2',
  tolerance: 1e-5,
  note: "checks y, dx and dw (upstream gradient given) against tfjs-cpu (`tf.valueAndGrads` of `tf.conv2d`, one forward), convnetjs (`ConvLayer` forward/backward, one sample at a time, float64) and jax-js (`lax.conv` and `vjp`, jitted as one function, 1 thread). tfjs-wasm 4.22 cannot: it has no `Conv2DBackpropFilter` kernel (measured: 'Kernel not registered for backend wasm'). FLOPs = forward + grad input + grad weight, as in the issue.",
  peerNotes: { 'tfjs-wasm': 'no Conv2DBackpropFilter kernel' },
  async tsgrad() {
    const x = tensor(convX(), { shape: [CV.n, CV.cin, CV.h, CV.w], requiresGrad: true });
    const w = tensor(convW(), { shape: [CV.cout, CV.cin, CV.k, CV.k], requiresGrad: true });
    const g = tensor(convG(), { shape: [CV.n, CV.cout, CV.h, CV.w] });
    return () => {
      x.grad = null;
      w.grad = null;
      const y = F.conv2d(x, w, null, { padding: 1 });
      y.backward(g);
      return [values(y), values(x.grad), values(w.grad)];
    };
  },
  peers: {
    'tfjs-cpu': async () => tfjsConv(await loadTfjsWithGradients()),
    'jax-js': jaxConv,
    convnetjs: async (): Promise<Built> => {
      const cn = await loadConvnetjs();
      const layer = new cn.ConvLayer({ in_sx: CV.w, in_sy: CV.h, in_depth: CV.cin, sx: CV.k, filters: CV.cout, stride: 1, pad: 1, bias_pref: 0 });
      const wt = convW();
      const kk = CV.k * CV.k;
      // A filter is a k×k×Cin Vol, index (k·y + x)·Cin + c.
      layer.filters.forEach((f, o) => {
        for (let c = 0; c < CV.cin; c++) for (let p = 0; p < kk; p++) f.w[p * CV.cin + c] = wt[(o * CV.cin + c) * kk + p]!;
      });
      const xs = nchwNhwc(convX(), CV.n, CV.cin, CV.h, CV.w, true);
      const gs = nchwNhwc(convG(), CV.n, CV.cout, CV.h, CV.w, true);
      const per = CV.h * CV.w;
      const vols = Array.from({ length: CV.n }, (_, i) => {
        const v = new cn.Vol(CV.w, CV.h, CV.cin, 0);
        v.w.set(xs.subarray(i * per * CV.cin, (i + 1) * per * CV.cin));
        return v;
      });
      return {
        run: () => {
          for (const f of layer.filters) f.dw.fill(0);
          layer.biases.dw.fill(0);
          const ys: Float64Array[] = [];
          for (let i = 0; i < CV.n; i++) {
            const y = layer.forward(vols[i]!, true);
            y.dw.set(gs.subarray(i * per * CV.cout, (i + 1) * per * CV.cout));
            layer.backward();
            ys.push(y.w);
          }
          return [...ys, ...vols.map((v) => v.dw), ...layer.filters.map((f) => f.dw)];
        },
        toReference: (parts) => {
          const cat = (from: number, count: number): Float64Array => {
            const out = new Float64Array(parts.slice(from, from + count).reduce((s, p) => s + p.length, 0));
            let at = 0;
            for (const p of parts.slice(from, from + count)) {
              out.set(p, at);
              at += p.length;
            }
            return out;
          };
          const dwHwc = cat(2 * CV.n, CV.cout); // [Cout][k·k·Cin]
          const dw = new Float32Array(dwHwc.length);
          for (let o = 0; o < CV.cout; o++) {
            for (let c = 0; c < CV.cin; c++) for (let p = 0; p < kk; p++) dw[(o * CV.cin + c) * kk + p] = dwHwc[o * kk * CV.cin + p * CV.cin + c]!;
          }
          return [
            nchwNhwc(cat(0, CV.n), CV.n, CV.cout, CV.h, CV.w, false),
            nchwNhwc(cat(CV.n, CV.n), CV.n, CV.cin, CV.h, CV.w, false),
            dw,
          ];
        },
      };
    },
  },
};

/** tfjs's conv2d forward and gradients (NHWC, HWIO filter), on whichever backend `tf` runs. */
function tfjsConv(tf: TfFull): Built {
  const x = tf.tensor4d(nchwNhwc(convX(), CV.n, CV.cin, CV.h, CV.w, true), [CV.n, CV.h, CV.w, CV.cin]);
  const w = tf.tensor4d(oihwToHwio(convW(), CV.cout, CV.cin, CV.k), [CV.k, CV.k, CV.cin, CV.cout]);
  const g = tf.tensor4d(nchwNhwc(convG(), CV.n, CV.cout, CV.h, CV.w, true), [CV.n, CV.h, CV.w, CV.cout]);
  const f = tf.valueAndGrads((a: TfTensor, b: TfTensor) => tf.conv2d(a as Tensor4D, b as Tensor4D, 1, 'same'));
  return {
    run: () => {
      const { value, grads } = f([x, w], g);
      const out = [value.dataSync(), grads[0]!.dataSync(), grads[1]!.dataSync()];
      tf.dispose([value, ...grads]);
      return out;
    },
    toReference: ([y, dx, dw]) => [
      nchwNhwc(y!, CV.n, CV.cout, CV.h, CV.w, false),
      nchwNhwc(dx!, CV.n, CV.cin, CV.h, CV.w, false),
      hwioToOihw(dw!, CV.cout, CV.cin, CV.k),
    ],
  };
}

/**
 * jax-js's conv2d forward and gradients, jitted as one function (`lax.conv`, NCHW with an OIHW
 * filter as tsgrad's; `vjp` for dx, dw). jax-js counts references: `.ref` keeps the inputs alive.
 */
async function jaxConv(): Promise<Run> {
  const { numpy: np, lax, jit, vjp } = await loadJaxJs();
  type JaxArray = ReturnType<typeof np.array>;
  const x = np.array(convX(), { shape: [CV.n, CV.cin, CV.h, CV.w] });
  const w = np.array(convW(), { shape: [CV.cout, CV.cin, CV.k, CV.k] });
  const g = np.array(convG(), { shape: [CV.n, CV.cout, CV.h, CV.w] });
  const step = jit((xa: JaxArray, wa: JaxArray, ga: JaxArray) => {
    const [y, back] = vjp((a: JaxArray, b: JaxArray) => lax.conv(a, b, [1, 1], 'SAME'), [xa, wa]);
    const [dx, dw] = back(ga) as [JaxArray, JaxArray];
    return [y, dx, dw];
  });
  return () => {
    const [y, dx, dw] = step(x.ref, w.ref, g.ref) as [JaxArray, JaxArray, JaxArray];
    return [y.dataSync(), dx.dataSync(), dw.dataSync()];
  };
}

/** [kH, kW, Cin, Cout] → [Cout, Cin, kH, kW]. */
function hwioToOihw(w: ArrayLike<number>, cout: number, cin: number, k: number): Float32Array {
  const out = new Float32Array(cout * cin * k * k);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      for (let p = 0; p < k * k; p++) out[(o * cin + i) * k * k + p] = w[(p * cin + i) * cout + o]!;
    }
  }
  return out;
}

// ---- BatchNorm2d forward + backward --------------------------------------------------------------

const BN = { n: 8, c: 32, h: 32, w: 32 };
const bnX = (): Float32Array => seededData(BN.n * BN.c * BN.h * BN.w, 21);
const bnG = (): Float32Array => seededData(BN.n * BN.c * BN.h * BN.w, 22);

/** BatchNorm2d in training mode (batch statistics), γ = 1, β = 0; output y, dx, dγ, dβ. */
async function tsgradBatchNorm(implementation: 'fused' | 'composite'): Promise<Run> {
  const shape = [BN.n, BN.c, BN.h, BN.w];
  const bn = new nn.BatchNorm2d(BN.c, { implementation });
  bn.train();
  const x = tensor(bnX(), { shape, requiresGrad: true });
  const g = tensor(bnG(), { shape });
  return () => {
    x.grad = null;
    bn.zeroGrad();
    const y = bn.call(x);
    y.backward(g);
    return [values(y), values(x.grad), values(bn.weight!.grad), values(bn.bias!.grad)];
  };
}

/** tfjs's BatchNorm (moments over N,H,W + batchNorm, NHWC) forward and gradients, on `tf`'s backend. */
function tfjsBatchNorm(tf: TfFull): Built {
  const x = tf.tensor4d(nchwNhwc(bnX(), BN.n, BN.c, BN.h, BN.w, true), [BN.n, BN.h, BN.w, BN.c]);
  const g = tf.tensor4d(nchwNhwc(bnG(), BN.n, BN.c, BN.h, BN.w, true), [BN.n, BN.h, BN.w, BN.c]);
  const gamma = tf.ones([BN.c]);
  const beta = tf.zeros([BN.c]);
  const f = tf.valueAndGrads((a: TfTensor, ga: TfTensor, be: TfTensor) => {
    const { mean, variance } = tf.moments(a, [0, 1, 2]);
    return tf.batchNorm(a, mean, variance, be, ga, 1e-5);
  });
  return {
    run: () => {
      const { value, grads } = f([x, gamma, beta], g);
      const out = [value.dataSync(), ...grads.map((t) => t.dataSync())];
      tf.dispose([value, ...grads]);
      return out;
    },
    toReference: ([y, dx, dg, db]) => [
      nchwNhwc(y!, BN.n, BN.c, BN.h, BN.w, false), nchwNhwc(dx!, BN.n, BN.c, BN.h, BN.w, false), dg!, db!,
    ],
  };
}

/**
 * jax-js's BatchNorm forward (batch statistics over N, H, W, biased variance, ε 1e-5) and its
 * gradients by `vjp`, jitted as one function, NCHW as tsgrad's. jax-js counts references: every
 * use of an array but its last takes `.ref`.
 */
async function jaxBatchNorm(): Promise<Run> {
  const { numpy: np, jit, vjp } = await loadJaxJs();
  type JaxArray = ReturnType<typeof np.array>;
  const x = np.array(bnX(), { shape: [BN.n, BN.c, BN.h, BN.w] });
  const g = np.array(bnG(), { shape: [BN.n, BN.c, BN.h, BN.w] });
  const gamma = np.array(new Float32Array(BN.c).fill(1), { shape: [BN.c] });
  const beta = np.array(new Float32Array(BN.c), { shape: [BN.c] });
  const norm = (a: JaxArray, ga: JaxArray, be: JaxArray): JaxArray => {
    const centred = a.ref.sub(np.mean(a, [0, 2, 3], { keepdims: true }));
    const variance = np.mean(centred.ref.mul(centred.ref), [0, 2, 3], { keepdims: true });
    const xHat = centred.div(np.sqrt(variance.add(1e-5)));
    return xHat.mul(ga.reshape([1, BN.c, 1, 1])).add(be.reshape([1, BN.c, 1, 1]));
  };
  const step = jit((xa: JaxArray, ga: JaxArray, be: JaxArray, up: JaxArray) => {
    const [y, back] = vjp(norm, [xa, ga, be]);
    const [dx, dg, db] = back(up) as [JaxArray, JaxArray, JaxArray];
    return [y, dx, dg, db];
  });
  return () => {
    const outs = step(x.ref, gamma.ref, beta.ref, g.ref) as JaxArray[];
    return outs.map((t) => t.dataSync());
  };
}

const batchNormRow: BenchRow = {
  name: 'BatchNorm2d fwd+bwd, N=8, C=32, 32×32',
  unit: 'ms',
  work: 1,
  target: '≤ 1.5 ms',
  tolerance: 1e-5,
  note: "checks y, dx, dγ, dβ against tfjs-cpu and tfjs-wasm (`tf.moments` over N,H,W + `tf.batchNorm`, differentiated by `tf.valueAndGrads`; tfjs keeps no running statistics, tsgrad's module updates them), jax-js (the same formula in `numpy` ops, `vjp`, jitted, 1 thread) and tsgrad's composite BatchNorm (autograd primitives).",
  tsgrad: () => tsgradBatchNorm('fused'),
  selfCheck: { name: 'tsgrad composite', build: () => tsgradBatchNorm('composite') },
  peers: {
    'tfjs-cpu': async () => tfjsBatchNorm(await loadTfjsWithGradients()),
    'tfjs-wasm': async () => tfjsBatchNorm(await loadTfjsWasmWithGradients()),
    'jax-js': jaxBatchNorm,
  },
};

// ---- per-channel sum -----------------------------------------------------------------------------

/** Σx per channel over N, H, W of [32, 64, 32, 32] float32 (bytes read: 4 per element). */
const channelSum32: BenchRow = {
  name: 'per-channel sum over N,H,W, [32,64,32,32] float32 (kernel channelSum)',
  unit: 'GB/s',
  work: 32 * 64 * 32 * 32 * 4,
  target: '≥ 10 GB/s on 1 thread, ≥ 18 on 2',
  tolerance: 1e-5,
  note: 'checks the 64 sums against tfjs-cpu (`tf.sum` over axes 0, 2, 3).',
  async tsgrad() {
    const shape = [32, 64, 32, 32];
    // Shared memory, so the pool's workers read it in place.
    const x = allocateShared('float32', 32 * 64 * 32 * 32);
    x.set(seededData(x.length, 3));
    return () => channelSum(x, 0, shape);
  },
  peers: {
    'tfjs-cpu': async () => {
      const tf = await loadTfjsCpu();
      const x = tf.tensor4d(seededData(32 * 64 * 32 * 32, 3), [32, 64, 32, 32]);
      return () => {
        const s = tf.sum(x, [0, 2, 3]);
        const out = s.dataSync();
        s.dispose();
        return out;
      };
    },
  },
};

// ---- a 2-layer norm chain: BKN and BN ------------------------------------------------------------

const CH = { n: 8, c: 16, h: 32, w: 32, groups: 4 };
const BN_CHAIN_NAME = 'same chain with BatchNorm2d (BN-ReLU-conv-BN), groups 4';

/**
 * norm(16) - ReLU - conv(16→16, 3×3, pad 1) - norm(16) on [8, 16, 32, 32], `groups: 4`
 * (normalization batch 2), forward + backward for a given upstream gradient; output y, dx, the
 * conv's dw, both norms' dγ. For BKN the Sequential chains the two layers: the second predicts its
 * statistics from the first through ReLU-conv (the default 'sampled' transition, count gain,
 * first-layer prior from observations); the noise is re-seeded every run.
 */
async function tsgradChain(kind: 'bn' | 'bkn', implementation: 'fused' | 'composite'): Promise<Run> {
  manualSeed(1);
  const shape = [CH.n, CH.c, CH.h, CH.w];
  const norm = (): nn.BatchNorm2d | nn.BatchKalmanNorm2d =>
    kind === 'bn' ? new nn.BatchNorm2d(CH.c, { groups: CH.groups, implementation }) : new nn.BatchKalmanNorm2d(CH.c, { groups: CH.groups, implementation });
  const n1 = norm();
  const conv = new nn.Conv2d(CH.c, CH.c, 3, { padding: 1 });
  conv.loadStateDict({
    weight: tensor(scaled(CH.c * CH.c * 9, 31, Math.sqrt(2 / (CH.c * 9))), { shape: [CH.c, CH.c, 3, 3] }),
    bias: tensor(scaled(CH.c, 32, 0.1)),
  });
  const n2 = norm();
  const model = new nn.Sequential(n1, new nn.ReLU(), conv, n2);
  model.train();
  const x = tensor(seededData(CH.n * CH.c * CH.h * CH.w, 33), { shape, requiresGrad: true });
  const g = tensor(seededData(CH.n * CH.c * CH.h * CH.w, 34), { shape });
  return () => {
    manualSeed(2);
    x.grad = null;
    model.zeroGrad();
    const y = model.call(x);
    y.backward(g);
    return [values(y), values(x.grad), values(conv.weight.grad), values(n1.weight!.grad), values(n2.weight!.grad)];
  };
}

const bknChainRow: BenchRow = {
  name: 'BKN fwd+bwd: BKN-ReLU-conv-BKN chain, [8,16,32,32], groups 4 (norm batch 2)',
  unit: 'ms',
  work: 1,
  target: '— (issue 5 asks for the row; compare with the BN chain below)',
  tolerance: 1e-5,
  note: 'no peer has Batch Kalman Normalization: checks y, dx, the conv\'s dw and both dγ against tsgrad\'s composite BKN (autograd primitives, same noise). The difference to the BN chain is what BKN costs over BatchNorm: the noise rows (one per chunk here) through ReLU-conv and back, the prediction\'s moments, the update.',
  peerNotes: { 'tfjs-cpu': 'no BKN', convnetjs: 'no BKN' },
  compareWith: BN_CHAIN_NAME,
  tsgrad: () => tsgradChain('bkn', 'fused'),
  selfCheck: { name: 'tsgrad composite', build: () => tsgradChain('bkn', 'composite') },
  peers: {},
};

const bnChainRow: BenchRow = {
  name: BN_CHAIN_NAME,
  unit: 'ms',
  work: 1,
  target: '— (comparison for the BKN row)',
  tolerance: 1e-5,
  note: "tsgrad only (the BatchNorm and conv rows above are checked against tfjs-cpu): checks the same outputs against tsgrad's composite BatchNorm.",
  tsgrad: () => tsgradChain('bn', 'fused'),
  selfCheck: { name: 'tsgrad composite', build: () => tsgradChain('bn', 'composite') },
  peers: {},
};

// ---- the engine's overhead per op ----------------------------------------------------------------

/**
 * A chain of small elementwise ops forward and backward (bench/op-chain.ts): the time per op is
 * almost all the engine's (tensors, graph nodes, checks, dispatch, allocation, the backward walk).
 */
const opOverheadRow: BenchRow = {
  name: `engine overhead: ${OPS_PER_CHAIN} elementwise ops on [256] float32, fwd+bwd`,
  unit: 'µs/op',
  work: OPS_PER_CHAIN,
  target: 'µs per op before and after (issue 15, item 4)',
  tolerance: 0,
  note: `mul, add, relu, sub and mul by a scalar, ${OPS_PER_CHAIN / 5} times, on a [256] float32 tensor that requires grad, then sum().backward(); time ÷ ${OPS_PER_CHAIN} forward ops. Checks x.grad (the same on both backends: no GEMM). No peer runs an eager graph of the same ops (jax-js would trace it; the cell says so).`,
  peerNotes: { 'jax-js': 'traces, no eager graph', 'tfjs-wasm': 'not written' },
  tsgrad: async () => opChain(),
  peers: {},
};

// ---- train steps of the MNIST CNN ----------------------------------------------------------------

function trainRow(norm: 'bn' | 'bkn', batch: number): BenchRow {
  const label = norm === 'bn' ? 'BN' : 'BKN';
  const common = {
    name: `train step, MNIST CNN with ${label}, batch ${batch}`,
    unit: 'samples/s' as const,
    work: batch,
    target: batch >= 32 ? '≥ 3000 samples/s at batch 32' : '≥ 1500 samples/s at batch 2',
    tolerance: 1e-4,
    checkCalls: TRAIN_CHECK_STEPS,
    validate: lossesDecrease,
    // A training run is thousands of steps: time the steady state. The first ~100 steps of a
    // fresh process run slower (V8 still optimizing, the collector's heap sizing, no released
    // gradient buffers yet): measured 13.7 ms per step with the default 400 ms warm-up against
    // 2 794 samples/s (11.5 ms) over a 2 000-step run in the same bench.
    timing: { warmupMs: 3000, minSampleMs: 150 },
  };
  if (norm === 'bkn') {
    return {
      ...common,
      note: `no peer has BKN: checks the losses of the first ${TRAIN_CHECK_STEPS} SGD steps against tsgrad with the composite BKN (same weights, same noise), and that they are finite and decreasing (same batch every step).`,
      peerNotes: { 'tfjs-cpu': 'no BKN', convnetjs: 'no BKN' },
      compareWith: `train step, MNIST CNN with BN, batch ${batch}`,
      tsgrad: () => tsgradCnn({ norm: 'bkn', batch }),
      selfCheck: { name: 'tsgrad composite', build: () => tsgradCnn({ norm: 'bkn', batch, implementation: 'composite' }) },
      peers: {},
    };
  }
  return {
    ...common,
    note: `one SGD step (lr 0.01) on a fixed batch, from the same weights in every library: checks the losses of the first ${TRAIN_CHECK_STEPS} steps against tfjs-cpu (hand-written NHWC model, \`tf.variableGrads\` + \`tf.train.sgd\`), jax-js (the same model in NCHW, the whole step jitted, 1 thread; tfjs-wasm 4.22 has no \`Conv2DBackpropFilter\` kernel) and, for convnetjs (no BatchNorm), against tsgrad's same CNN without BN; and that tsgrad's losses are finite and decreasing. The convnetjs column trains the CNN without BN, so its speed-up compares different models.`,
    peerNotes: { convnetjs: 'no BN', 'tfjs-wasm': 'no Conv2DBackpropFilter kernel' },
    memory: batch === 32,
    tsgrad: () => tsgradCnn({ norm: 'bn', batch }),
    peers: {
      'tfjs-cpu': () => tfjsCnn('bn', batch),
      convnetjs: { build: () => convnetjsCnn(batch), reference: () => tsgradCnn({ norm: 'none', batch }) },
      'jax-js': () => jaxCnn(batch),
    },
  };
}

/** Every row, in table order. */
export const ROWS: readonly BenchRow[] = [
  opOverheadRow, matmul512, matmul512f64, mlpRow(32), mlpRow(128), conv2dRow, batchNormRow, channelSum32, bknChainRow, bnChainRow,
  trainRow('bn', 32), trainRow('bn', 2), trainRow('bkn', 32), trainRow('bkn', 2),
];
