/**
 * The peers, loaded on demand (only in the child process that runs them). tfjs-cpu is tfjs's
 * pure-JS CPU backend: `@tensorflow/tfjs-core` with `@tensorflow/tfjs-backend-cpu` for forward-only
 * rows, and `@tensorflow/tfjs` (same core and backend, 4.22) for rows with gradients — the Node
 * CommonJS bundle of tfjs-core registers no gradients, `@tensorflow/tfjs` does. convnetjs 0.3 is
 * Karpathy's ConvNetJS (float64 `Vol`s, one sample at a time).
 */
export type Tf = typeof import('@tensorflow/tfjs-core');
export type TfFull = typeof import('@tensorflow/tfjs');

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
