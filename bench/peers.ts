/**
 * The peers, loaded on demand (only in the child process that runs them). tfjs-cpu is tfjs's
 * pure-JS CPU backend: `@tensorflow/tfjs-core` with `@tensorflow/tfjs-backend-cpu` for forward-only
 * rows, and `@tensorflow/tfjs` (same core and backend, 4.22) for rows with gradients — the Node
 * CommonJS bundle of tfjs-core registers no gradients, `@tensorflow/tfjs` does. convnetjs 0.3 is
 * Karpathy's ConvNetJS (float64 `Vol`s, one sample at a time). tfjs-wasm is tfjs-core 4.22 on
 * `@tensorflow/tfjs-backend-wasm` (XNNPACK, SIMD, one thread: its threads need browser shims in
 * Node). jax-js is `@jax-js/jax` on its "wasm" device (WebAssembly it emits from TypeScript, one
 * thread in Node).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export type Tf = typeof import('@tensorflow/tfjs-core');
export type TfFull = typeof import('@tensorflow/tfjs');
export type JaxJs = typeof import('@jax-js/jax');

/** Silences tfjs's banner suggesting tfjs-node (printed on load and on the first op). */
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const { warn, log } = console;
  console.warn = () => {};
  console.log = () => {};
  try {
    return await f();
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

let tfPromise: Promise<Tf> | null = null;

/** tfjs-core on the CPU backend. */
export function loadTfjsCpu(): Promise<Tf> {
  tfPromise ??= quietly(async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
    await tf.ready();
    tf.env().set('DEBUG', false);
    tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
    return tf;
  });
  return tfPromise;
}

let tfFullPromise: Promise<TfFull> | null = null;

/** `@tensorflow/tfjs` (gradients registered) on the CPU backend. */
export function loadTfjsWithGradients(): Promise<TfFull> {
  tfFullPromise ??= quietly(async () => {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    await tf.ready();
    if (tf.getBackend() !== 'cpu') throw new Error(`tfjs: expected the cpu backend, got ${tf.getBackend()}`);
    tf.env().set('DEBUG', false);
    tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
    return tf;
  });
  return tfFullPromise;
}

// ---- convnetjs (untyped CommonJS): the parts the bench uses ------------------------------------

/** A convnetjs volume: sx × sy × depth values, index ((sx·y) + x)·depth + d, with their gradient. */
export interface CnVol {
  sx: number;
  sy: number;
  depth: number;
  w: Float64Array;
  dw: Float64Array;
}

export interface CnConvLayer {
  filters: CnVol[];
  biases: CnVol;
  out_act: CnVol;
  forward(v: CnVol, isTraining: boolean): CnVol;
  backward(): void;
}

export interface CnLayer {
  layer_type: string;
  filters?: CnVol[];
  biases?: CnVol;
}

export interface CnNet {
  layers: CnLayer[];
  makeLayers(defs: Record<string, unknown>[]): void;
}

export interface CnTrainer {
  train(x: CnVol, y: number): { cost_loss: number };
}

export interface Convnetjs {
  Vol: new (sx: number, sy: number, depth: number, c?: number) => CnVol;
  ConvLayer: new (opt: Record<string, unknown>) => CnConvLayer;
  Net: new () => CnNet;
  Trainer: new (net: CnNet, opt: Record<string, unknown>) => CnTrainer;
}

/** convnetjs 0.3. */
export async function loadConvnetjs(): Promise<Convnetjs> {
  // @ts-expect-error convnetjs ships no types; the interface above covers what is used.
  const mod = (await import('convnetjs')) as { default: Convnetjs };
  return mod.default;
}

/**
 * Switches a tfjs module to the wasm backend (SIMD, one thread: threads need shims), its .wasm files
 * loaded from node_modules; throws unless the SIMD backend is the one running.
 */
async function startTfjsWasm(tf: Pick<Tf, 'env' | 'setBackend' | 'ready' | 'getBackend'>): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'))}/`);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  if (tf.getBackend() !== 'wasm' || !tf.env().getBool('WASM_HAS_SIMD_SUPPORT')) throw new Error('tfjs-wasm: the SIMD wasm backend did not start');
}

let tfWasmPromise: Promise<Tf> | null = null;

/** tfjs-core on the wasm backend (SIMD, one thread), its .wasm files loaded from node_modules. */
export function loadTfjsWasm(): Promise<Tf> {
  tfWasmPromise ??= quietly(async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await startTfjsWasm(tf);
    return tf;
  });
  return tfWasmPromise;
}

let tfWasmGradPromise: Promise<TfFull> | null = null;

/**
 * `@tensorflow/tfjs` (gradients registered) on the wasm backend (SIMD, one thread), for the rows
 * with gradients: the same tfjs-core module as {@link loadTfjsWasm}, with tfjs's gradients.
 */
export function loadTfjsWasmWithGradients(): Promise<TfFull> {
  tfWasmGradPromise ??= quietly(async () => {
    const tf = await import('@tensorflow/tfjs');
    await startTfjsWasm(tf);
    tf.env().set('DEBUG', false);
    return tf;
  });
  return tfWasmGradPromise;
}

let jaxPromise: Promise<JaxJs> | null = null;

/** jax-js with its "wasm" device as the default. */
export function loadJaxJs(): Promise<JaxJs> {
  jaxPromise ??= (async () => {
    const jax = await import('@jax-js/jax');
    const devices = await jax.init('wasm');
    if (!devices.includes('wasm')) throw new Error(`jax-js: no wasm device (devices: ${devices.join(', ')})`);
    jax.defaultDevice('wasm');
    return jax;
  })();
  return jaxPromise;
}
