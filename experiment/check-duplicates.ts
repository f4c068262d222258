/**
 * Checks the fashion-mnist package and the experiment's split of it for repeated images (exact
 * pixels), and prints the counts: images per class, duplicates within the package (and how many
 * carry two different labels), and the overlap between the training and the test split that
 * experiment/data.ts removes from the test split.
 *
 *   npx tsx experiment/check-duplicates.ts
 */
import { fileURLToPath } from 'node:url';
import { data, Generator } from '../src/index.js';
import { FASHION_TEST_PER_CLASS, FASHION_TRAIN_PER_CLASS, PACKAGE_SPLIT_SEED, fashionSplit, imageKeys, stratifiedSplit } from './data.js';

/** How often each key repeats: images that are a copy of an earlier one, and the groups they form. */
function repeats(keys: readonly string[], indices: ArrayLike<number>): { extraCopies: number; groups: number } {
  const counts = new Map<string, number>();
  for (let i = 0; i < indices.length; i++) {
    const k = keys[indices[i]!]!;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  let extraCopies = 0;
  let groups = 0;
  for (const c of counts.values()) {
    if (c > 1) {
      extraCopies += c - 1;
      groups++;
    }
  }
  return { extraCopies, groups };
}

function perClass(labels: Int32Array, indices: ArrayLike<number>): number[] {
  const out = new Array<number>(10).fill(0);
  for (let i = 0; i < indices.length; i++) out[labels[indices[i]!]!]!++;
  return out;
}

/**
 * Prints the duplicate report (the numbers docs/experiment.md quotes).
 *
 * @example
 * ```ts
 * checkDuplicates((line) => console.log(line));
 * ```
 */
export function checkDuplicates(print: (line: string) => void): void {
  const t0 = performance.now();
  const { all, train, test, droppedFromTest } = fashionSplit();
  const seconds = (performance.now() - t0) / 1000;
  const keys = imageKeys(all, 28 * 28);
  const everything = Int32Array.from({ length: all.count }, (_, i) => i);
  print(`fashion-mnist package: ${all.count} images, loaded, split and hashed in ${seconds.toFixed(2)} s`);
  print(`images per class (${data.FASHION_MNIST_CLASSES.join(', ')}): ${perClass(all.labels, everything).join(' ')}`);

  let sum = 0;
  let sumSq = 0;
  for (const v of all.images) {
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / all.images.length;
  print(`pixel mean ${mean.toFixed(4)}, standard deviation ${Math.sqrt(sumSq / all.images.length - mean * mean).toFixed(4)} (of pixel / 255)`);

  const within = repeats(keys, everything);
  print(`within the package: ${within.extraCopies} images repeat an earlier one exactly (${within.groups} distinct images occur more than once)`);
  const labelsOf = new Map<string, Set<number>>();
  keys.forEach((k, i) => labelsOf.set(k, (labelsOf.get(k) ?? new Set<number>()).add(all.labels[i]!)));
  const conflicts = [...labelsOf.values()].filter((s) => s.size > 1);
  const conflictPairs = conflicts.map((s) => [...s].map((y) => data.FASHION_MNIST_CLASSES[y]).join(' / '));
  print(`  of those, ${conflicts.length} carry more than one label${conflicts.length > 0 ? `: ${conflictPairs.join('; ')}` : ''}`);

  // The split before the test images seen in training are dropped (stratifiedSplit is deterministic).
  const raw = stratifiedSplit(all.labels, 10, FASHION_TRAIN_PER_CLASS, FASHION_TEST_PER_CLASS, new Generator(PACKAGE_SPLIT_SEED));
  const inTrain = repeats(keys, raw.train);
  const inTest = repeats(keys, raw.test);
  print(`split (seed ${PACKAGE_SPLIT_SEED}, ${FASHION_TRAIN_PER_CLASS} / ${FASHION_TEST_PER_CLASS} per class): ${raw.train.length} train, ${raw.test.length} test`);
  print(`  repeats within the training split: ${inTrain.extraCopies}; within the test split: ${inTest.extraCopies}`);
  print(`  test images whose exact pixels occur in the training split: ${droppedFromTest} (dropped)`);
  print(`  dropped per class: ${perClass(all.labels, raw.test).map((n, k) => n - perClass(all.labels, test)[k]!).join(' ')}`);
  print(`experiment split: ${train.length} train (per class ${perClass(all.labels, train).join(' ')}), ${test.length} test (per class ${perClass(all.labels, test).join(' ')})`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  checkDuplicates((line) => process.stdout.write(`${line}\n`));
}
