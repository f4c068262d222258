/**
 * The engine hands back the buffers of gradients it made and consumed (engine.ts, shared-memory.ts
 * releaseStorage) — shared ones on 2 threads, ordinary ones on 1 — and later allocations reuse
 * them: gradients stay bitwise the same as on one thread with reuse switched off
 * (setBufferReuse(false): every buffer fresh) over several steps, buffers are actually reused, a
 * custom op's backward may keep the gradient it received without it being overwritten, two
 * backward passes through a retained graph accumulate correctly, and a gradient used twice
 * (summed) is right. Each on 1 thread with reuse and on 2 threads. No timing is asserted. And a
 * gradient handed to the caller — kept by a hook (on a node or a leaf), or returned by
 * autograd.grad for a non-leaf — is never recycled: later passes leave it as it was.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { F, NDArray, autograd, customOp, nn, setNumThreads, tensor, type Tensor } from '../../src/index.js';
import { warmUpPool } from '../../src/tensor/parallel/pool.js';
import { setBufferReuse, sharedMemoryInfo } from '../../src/tensor/parallel/shared-memory.js';
import { uniformValues } from '../helpers/random.js';

afterAll(() => {
  setNumThreads(1);
  setBufferReuse(true);
});

/** The reference: one thread, every buffer fresh. */
function withoutReuse<T>(run: () => T): T {
  setNumThreads(1);
  setBufferReuse(false);
  try {
    return run();
  } finally {
    setBufferReuse(true);
  }
}

/** The runs compared with the reference: 1 thread reusing ordinary buffers, 2 threads reusing shared ones. */
const REUSING = [1, 2] as const;

async function onThreads(threads: number): Promise<void> {
  setNumThreads(threads);
  if (threads > 1) await warmUpPool();
}

/** Three forward/backward passes of a small CNN on [32, 1, 28, 28]; every gradient of every pass. */
function threeSteps(): number[] {
  const conv1 = new nn.Conv2d(1, 8, 3, { padding: 1 });
  const conv2 = new nn.Conv2d(8, 16, 3, { padding: 1 });
  const params = [...conv1.parameters(), ...conv2.parameters()];
  params.forEach((p, i) => {
    p.array.data.set(uniformValues(p.array.size, 10 + i));
  });
  const out: number[] = [];
  for (let step = 0; step < 3; step++) {
    const x = tensor(uniformValues(32 * 28 * 28, step), { shape: [32, 1, 28, 28], requiresGrad: true });
    const h = F.maxPool2d(F.relu(F.batchNorm(conv1.call(x), null, null, { training: true })), 2);
    const y = F.relu(F.batchNorm(conv2.call(h), null, null, { training: true }));
    y.mul(y).sum().backward();
    out.push(...x.grad!.toArray());
    for (const p of params) {
      out.push(...p.grad!.toArray());
      p.grad = null;
    }
  }
  return out;
}

describe('reuse of gradient buffers', () => {
  it('gradients over several steps are bitwise those without reuse, and buffers are reused', async () => {
    const before0 = sharedMemoryInfo().reused;
    const one = withoutReuse(threeSteps);
    expect(sharedMemoryInfo().reused, 'nothing reused with reuse off').toBe(before0);
    for (const threads of REUSING) {
      await onThreads(threads);
      const before = sharedMemoryInfo().reused;
      const two = threeSteps();
      expect(sharedMemoryInfo().reused - before, `released gradient buffers were allocated again (${threads} threads)`).toBeGreaterThan(0);
      expect(two.length).toBe(one.length);
      for (let i = 0; i < one.length; i++) if (!Object.is(two[i], one[i])) throw new Error(`${threads} threads, value ${i}: ${two[i]} vs ${one[i]}`);
    }
  });

  it.each(REUSING)('a custom op may keep the gradient it receives: it is not handed back for reuse (%i threads)', async (threads) => {
    await onThreads(threads);
    const kept: NDArray[] = [];
    const identity = customOp<null>({
      name: 'keep-gradient',
      forward: ([x]) => [x!.contiguous(), null],
      backward: (g) => {
        kept.push(g);
        return [g.copy()];
      },
    });
    const size = 32 * 8 * 28 * 28; // big enough to be shared on 2 threads, and to be kept for reuse
    const x = tensor(uniformValues(size, 3), { shape: [32, 8, 28, 28], requiresGrad: true });
    // relu's backward makes a fresh shared gradient, which the custom op then receives.
    identity(F.relu(x).mul(tensor(2))).relu().sum().backward();
    const snapshot = Float64Array.from(kept[0]!.contiguous().flat());
    expect(snapshot.some((v) => v !== 0)).toBe(true);
    // More backward passes that allocate and release buffers of the same size.
    for (let r = 0; r < 4; r++) {
      const z = tensor(uniformValues(size, 20 + r), { shape: [32, 8, 28, 28], requiresGrad: true });
      F.relu(F.relu(z).mul(tensor(3))).sum().backward();
    }
    const after = Float64Array.from(kept[0]!.contiguous().flat());
    for (let i = 0; i < snapshot.length; i++) if (after[i] !== snapshot[i]) throw new Error(`kept gradient changed at ${i}`);
  });

  it('two backward passes through a retained graph accumulate the same gradients as on one thread', async () => {
    const run = (): number[] => {
      const size = 32 * 8 * 28 * 28;
      const x = tensor(uniformValues(size, 9), { shape: [32, 8, 28, 28], requiresGrad: true });
      const y = F.maxPool2d(F.relu(x.mul(tensor(1.5))), 2);
      const loss = y.mul(y).sum();
      loss.backward(undefined, { retainGraph: true });
      const first = Array.from(x.grad!.toArray().slice(0, 4000));
      loss.backward();
      return [...first, ...Array.from(x.grad!.toArray().slice(0, 4000))];
    };
    const one = withoutReuse(run);
    for (const threads of REUSING) {
      await onThreads(threads);
      for (let r = 0; r < 2; r++) {
        const two = run();
        for (let i = 0; i < one.length; i++) if (!Object.is(two[i], one[i])) throw new Error(`${threads} threads, run ${r}, value ${i}: ${two[i]} vs ${one[i]}`);
      }
    }
  });

  it('a tensor used twice gets the sum of both big gradients (both addends released after the sum)', async () => {
    const run = (): number[] => {
      const size = 32 * 8 * 28 * 28;
      const x = tensor(uniformValues(size, 5), { shape: [32, 8, 28, 28], requiresGrad: true });
      const a = F.relu(x);
      const y: Tensor = F.relu(a.mul(tensor(2))).add(F.relu(a.mul(tensor(-3))));
      y.mul(y).sum().backward();
      return Array.from(x.grad!.toArray().slice(0, 5000));
    };
    const one = withoutReuse(run);
    for (const threads of REUSING) {
      await onThreads(threads);
      for (let r = 0; r < 3; r++) {
        const two = run();
        for (let i = 0; i < one.length; i++) if (!Object.is(two[i], one[i])) throw new Error(`${threads} threads, run ${r}, value ${i}: ${two[i]} vs ${one[i]}`);
      }
    }
  });

  it('a gradient handed to the caller (kept by a hook, returned by autograd.grad) is never recycled by later passes', async () => {
    const size = 32 * 8 * 28 * 28;
    const uValues = uniformValues(size, 30);
    /** h = 2x, y = Σ 3h·u: dh = 3u and dx = 2·dh, in float32. */
    const graph = (): { x: Tensor; h: Tensor; y: Tensor } => {
      const x = tensor(uniformValues(size, 31), { requiresGrad: true });
      const h = x.mul(2);
      return { x, h, y: h.mul(3).mul(tensor(uValues)).sum() };
    };
    /** Passes of the same sizes that allocate and release gradient buffers. */
    const laterWork = (): void => {
      for (let i = 0; i < 3; i++) graph().y.backward();
    };
    const expectUnchanged = (kept: Tensor, snapshot: Float32Array, what: string): void => {
      const now = kept.toArray();
      for (let i = 0; i < size; i++) if (now[i] !== snapshot[i]) throw new Error(`${what}: changed at ${i}`);
    };
    for (const threads of REUSING) {
      await onThreads(threads);
      // A hook on a node that keeps its argument (and returns nothing), and one on the leaf.
      const { x, h, y } = graph();
      let keptH: Tensor | null = null;
      let keptX: Tensor | null = null;
      h.registerHook((g) => {
        keptH = g;
      });
      x.registerHook((g) => {
        keptX = g;
        return g;
      });
      y.backward();
      const hSnapshot = keptH!.toArray() as Float32Array;
      const xSnapshot = keptX!.toArray() as Float32Array;
      for (let i = 0; i < size; i++) {
        const dh = Math.fround(3 * Math.fround(uValues[i]!));
        if (hSnapshot[i] !== dh || xSnapshot[i] !== Math.fround(2 * dh)) throw new Error(`${threads} threads: wrong gradient at ${i}`);
      }
      // autograd.grad of a non-leaf and of the leaf behind it (so the non-leaf's node runs its
      // backward after its gradient was captured).
      const second = graph();
      const [gh] = autograd.grad([second.y], [second.h, second.x]);
      const ghSnapshot = gh!.toArray() as Float32Array;
      expect(ghSnapshot[7]).toBe(Math.fround(3 * Math.fround(uValues[7]!)));
      laterWork();
      expectUnchanged(keptH!, hSnapshot, `${threads} threads: the node hook's gradient`);
      expectUnchanged(keptX!, xSnapshot, `${threads} threads: the leaf hook's gradient`);
      expectUnchanged(gh!, ghSnapshot, `${threads} threads: autograd.grad's gradient of a non-leaf`);
    }
  });
});
