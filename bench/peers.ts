/**
 * The peers, loaded on demand. tfjs-cpu is `@tensorflow/tfjs-core` with `@tensorflow/tfjs-backend-cpu`
 * (its pure-JS backend). Note for training rows: the Node CommonJS bundle of tfjs-core registers
 * no gradients; `@tensorflow/tfjs` (also a dev dependency) does, so gradient rows import that.
 */
export type Tf = typeof import('@tensorflow/tfjs-core');

let tfPromise: Promise<Tf> | null = null;

/** tfjs-core on the CPU backend (the banner suggesting tfjs-node is silenced). */
export function loadTfjsCpu(): Promise<Tf> {
  tfPromise ??= (async () => {
    const warn = console.warn;
    console.warn = () => {};
    try {
      const tf = await import('@tensorflow/tfjs-core');
      await import('@tensorflow/tfjs-backend-cpu');
      await tf.setBackend('cpu');
      await tf.ready();
      tf.env().set('DEBUG', false);
      return tf;
    } finally {
      console.warn = warn;
    }
  })();
  return tfPromise;
}
