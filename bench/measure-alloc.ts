/**
 * What a fresh forward output costs against refilling a kept one: a float32 array of the MNIST CNN's
 * first activation ([32, 8, 28, 28], 784 KB) allocated and filled, against the same array refilled.
 * The difference is the runtime's allocation and zeroing (and page faults), which tsgrad pays for
 * every forward output: with garbage-collected storage it cannot know when one is dead.
 *
 *   npx tsx bench/measure-alloc.ts
 */
const ELEMENTS = 32 * 8 * 28 * 28;
const CALLS = 2000;

/** Keeps the last few arrays alive, as a training step's graph keeps its activations. */
const alive: Float32Array[] = [];

function fresh(): void {
  const a = new Float32Array(ELEMENTS);
  a.fill(1);
  alive.push(a);
  if (alive.length > 6) alive.shift();
}

const kept = new Float32Array(ELEMENTS);
function refill(): void {
  kept.fill(1);
}

for (const [name, run] of [['fresh', fresh], ['refill', refill], ['fresh', fresh], ['refill', refill]] as const) {
  for (let i = 0; i < 200; i++) run();
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) run();
  console.log(`${name.padEnd(6)} ${(((performance.now() - t0) / CALLS) * 1000).toFixed(1)} µs per ${ELEMENTS * 4 / 1024} KB array`);
}
