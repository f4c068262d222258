// Packaging for embedding (issue 7): `npm pack` gives a tarball with dist/, the types, README and
// LICENSE, no tests or fixtures and no runtime dependencies; installed offline into an empty
// project it imports as ESM (and from CommonJS), a consumer .ts file type-checks against its types,
// and a tiny model trains with the worker pool on — workers started from dist/ — and the process
// exits by itself. Takes ~20–30 s: a full build, a pack, an install and a few child processes.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tsgrad-pack-'));
const project = join(tmp, 'consumer');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs a command; fails with its output unless it exits 0 on its own (not killed by the timeout). */
function run(command: string, args: string[], cwd: string, options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: options.timeout ?? 120_000, env: { ...process.env, ...options.env } });
  const what = `${command} ${args.join(' ')} (in ${cwd})`;
  expect(r.error, `${what}: ${String(r.error)}`).toBeUndefined();
  expect(r.signal, `${what} was killed by ${r.signal} — it did not exit by itself\n${r.stdout}\n${r.stderr}`).toBeNull();
  expect(r.status, `${what} exited ${r.status}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

interface PackResult {
  filename: string;
  files: { path: string }[];
}
let packed: PackResult;

beforeAll(() => {
  run('npm', ['run', 'build'], root);
  const r = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], root);
  packed = (JSON.parse(r.stdout) as PackResult[])[0]!;
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  run('npm', ['install', join(tmp, packed.filename), '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], project);
}, 180_000);

// ---- the consumer files -------------------------------------------------------------------------

/**
 * ESM, plain JavaScript. Starts the pool (THREADS threads) through the public API and the pool's
 * own module in dist/ (its diagnostics are not public API), then trains BatchNorm2d → Conv2d → ReLU
 * → Linear for a few SGD steps on an input in shared memory that is big enough (4·64·64 per sample
 * × 16) for BatchNorm's per-channel sums to be split over the threads. Prints each loss exactly and
 * the pool's state, and ends without process.exit: idle workers must not keep it alive.
 */
const consumerMjs = `
import * as tsgrad from 'tsgrad';
import { F, NDArray, Tensor, manualSeed, nn, optim, randn, tensor } from 'tsgrad';

const threads = Number(process.env.THREADS);
if (typeof tsgrad.setNumThreads === 'function') tsgrad.setNumThreads(threads); // else TSGRAD_NUM_THREADS
const pool = await import(new URL('./node_modules/tsgrad/dist/tensor/parallel/pool.js', import.meta.url).href);
const warm = await pool.warmUpPool(20000);
console.log('WARM ' + JSON.stringify({ threads: warm.threads, ready: warm.readyWorkers, errors: warm.workerErrors, last: warm.lastWorkerError }));

manualSeed(0);
const [n, c, h, w] = [16, 4, 64, 64];
const x = new Tensor(new NDArray(new Float32Array(new SharedArrayBuffer(n * c * h * w * 4)), [n, c, h, w]));
x.array.data.set(randn([n, c, h, w]).toArray());
const y = tensor(Array.from({ length: n }, (_, i) => i % 3));
const model = new nn.Sequential(
  new nn.BatchNorm2d(c), new nn.Conv2d(c, 4, 4, { stride: 4 }), new nn.ReLU(), new nn.Flatten(), new nn.Linear(4 * 16 * 16, 3),
);
const opt = new optim.SGD(model.parameters(), { lr: 0.05 });
for (let step = 0; step < 5; step++) {
  const loss = F.crossEntropy(model.call(x), y);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  console.log('LOSS ' + loss.item());
}

// A parallel kernel called directly (the per-channel sums under BatchNorm), on a bigger shared
// input: repeated until a worker, not only the calling thread, has computed a chunk (on 1
// thread: once).
const kernels = await import(new URL('./node_modules/tsgrad/dist/tensor/kernels/channel-reduce.js', import.meta.url).href);
const big = new Float32Array(new SharedArrayBuffer(64 * 4 * 64 * 64 * 4));
big.set(randn([big.length]).toArray());
let sums;
let workerChunks = 0;
// (Time-bounded, not count-bounded: on a loaded machine a worker may wait a while for a core.)
for (const until = Date.now() + 5000; workerChunks === 0 && Date.now() < until;) {
  sums = kernels.channelSums(big, 0, [64, 4, 64, 64]);
  workerChunks = pool.poolInfo().lastTaskOwners.filter((p) => p !== 0).length;
  if (threads === 1) break;
}
const info = pool.poolInfo();
console.log('POOL ' + JSON.stringify({ threads: info.threads, chunks: info.lastTaskOwners.length, workerChunks, errors: info.workerErrors }));
console.log('SUMS ' + JSON.stringify([...sums.sum, ...sums.sumSq]));
`;

/** TypeScript, no Node APIs: type-checked only. The @ts-expect-error lines fail if the types were `any`. */
const consumerTs = `
import { F, gradcheck, nn, optim, randn, tensor, type Tensor } from 'tsgrad';

const model: nn.Sequential = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 2));
const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
const x: Tensor = randn([4, 2]);
const loss: Tensor = F.crossEntropy(model.call(x), tensor([0, 1, 1, 0]));
loss.backward();
opt.step();
const shape: readonly number[] = loss.shape;
const values: Float32Array | Float64Array | Int32Array | Uint8Array = x.toArray();
const labels: Int32Array = tensor([0, 1], { dtype: 'int32' }).toArray() as Int32Array;
const check: { ok: boolean; report: string } = gradcheck((t) => t.tanh().sum(), [randn([3], { dtype: 'float64', requiresGrad: true })]);
// @ts-expect-error: dtype is 'float32' | 'float64' | 'int32' | 'bool'
tensor([1], { dtype: 'int8' });
// @ts-expect-error: Linear takes sizes, not a string
new nn.Linear('2', 8);
export { shape, values, labels, check };
`;

/** CommonJS: require() of the ESM package (Node ≥ 20.19 / 22.12) and dynamic import() (any Node ≥ 20). */
const consumerCjs = `
const requireWorks = ${JSON.stringify(requireEsmSupported())};
const viaRequire = requireWorks ? require('tsgrad') : null;
import('tsgrad').then((m) => {
  const t = m.tensor([1, 2, 3]).mul(2).sum().item();
  console.log('IMPORT ' + t);
  if (viaRequire !== null) console.log('REQUIRE ' + viaRequire.tensor([1, 2, 3]).mul(2).sum().item() + ' same=' + (viaRequire.tensor === m.tensor));
});
`;

/** Node 20.19+ and 22.12+ load ES modules with require() without a flag. */
function requireEsmSupported(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  return major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
}

function tsconfig(types: string[], skipLibCheck: boolean): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
      skipLibCheck, types, typeRoots: [join(root, 'node_modules/@types')],
    },
    files: ['consumer.ts'],
  });
}

// ---- the tests --------------------------------------------------------------------------------

describe('npm pack', () => {
  it('packs dist/ with types, README, LICENSE and package.json — no sources, tests or fixtures', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths.filter((p) => !p.startsWith('dist/')).sort()).toEqual(['LICENSE', 'README.md', 'package.json']);
    for (const p of ['dist/index.js', 'dist/index.d.ts', 'dist/tensor/parallel/worker.js', 'dist/tensor/parallel/pool.js']) {
      expect(paths).toContain(p);
    }
    expect(paths.filter((p) => /test|fixture|\.map$/.test(p) || (p.endsWith('.ts') && !p.endsWith('.d.ts')))).toEqual([]);
    // Every module has its declaration file.
    const js = paths.filter((p) => p.endsWith('.js'));
    expect(js.filter((p) => !paths.includes(p.replace(/\.js$/, '.d.ts')))).toEqual([]);
  });

  it('has zero runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules/tsgrad/package.json'), 'utf8')) as Record<string, unknown>;
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'bundleDependencies']) {
      expect(pkg[field], field).toBeUndefined();
    }
    // The install brought in tsgrad alone.
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    expect(Object.keys(lock.packages).sort()).toEqual(['', 'node_modules/tsgrad']);
  });
});

describe('the installed tarball', () => {
  let twoThreads: string[] = [];

  it('imports as ESM, starts the worker pool from dist/, trains a tiny model on 2 threads and exits by itself', () => {
    writeFileSync(join(project, 'consumer.mjs'), consumerMjs);
    const r = run(process.execPath, ['consumer.mjs'], project, { env: { THREADS: '2', TSGRAD_NUM_THREADS: '2' }, timeout: 60_000 });
    const warm = JSON.parse(/^WARM (.*)$/m.exec(r.stdout)![1]!) as { threads: number; ready: number; errors: number; last: string };
    // The worker started from dist/tensor/parallel/worker.js (not the tsx bootstrap of the sources).
    expect(warm, r.stderr).toEqual({ threads: 2, ready: 1, errors: 0, last: '' });
    const losses = [...r.stdout.matchAll(/^LOSS (.*)$/gm)].map((m) => Number(m[1]));
    expect(losses).toHaveLength(5);
    expect(losses[4]!).toBeLessThan(losses[0]!);
    const pool = JSON.parse(/^POOL (.*)$/m.exec(r.stdout)![1]!) as { threads: number; chunks: number; workerChunks: number; errors: number };
    // A parallel task ran and the worker (loaded from dist/) computed part of it, without an error.
    expect(pool.chunks).toBeGreaterThan(1);
    expect(pool.workerChunks).toBeGreaterThan(0);
    expect(pool.errors).toBe(0);
    expect(r.stderr).not.toMatch(/failed to start|Error/);
    twoThreads = r.stdout.split('\n').filter((l) => /^(LOSS|SUMS) /.test(l));
  });

  it('gives bitwise the same losses and sums on 1 thread', () => {
    expect(twoThreads, 'the 2-thread run must pass first').toHaveLength(6);
    const r = run(process.execPath, ['consumer.mjs'], project, { env: { THREADS: '1', TSGRAD_NUM_THREADS: '1' }, timeout: 60_000 });
    expect(r.stdout).toContain('"threads":1,');
    expect(r.stdout.split('\n').filter((l) => /^(LOSS|SUMS) /.test(l))).toEqual(twoThreads);
  });

  it('type-checks a consumer .ts file with tsc (strict, NodeNext), with @types/node and full lib check', () => {
    writeFileSync(join(project, 'consumer.ts'), consumerTs);
    writeFileSync(join(project, 'tsconfig.json'), tsconfig(['node'], false));
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], project);
  });

  it('type-checks the same file without Node types (skipLibCheck, as most projects set it)', () => {
    writeFileSync(join(project, 'tsconfig.plain.json'), tsconfig([], true));
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.plain.json'], project);
  });

  it('loads from CommonJS with dynamic import() (and require() on Node ≥ 20.19)', () => {
    writeFileSync(join(project, 'consumer.cjs'), consumerCjs);
    const r = run(process.execPath, ['consumer.cjs'], project, { timeout: 30_000 });
    expect(r.stdout).toContain('IMPORT 12');
    if (requireEsmSupported()) expect(r.stdout).toContain('REQUIRE 12 same=true');
  });
});
