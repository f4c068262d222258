// nn.Embedding: a learned lookup table over F.embedding, with PyTorch's initialisation (N(0, 1),
// the padding row zeroed) and state-dict key (`weight`), so its safetensors file loads into
// torch.nn.Embedding.
import { zeros } from '../autograd/creation.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { IndexLike, Tensor } from '../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { embedding, normalizePaddingIdx } from './functional/embedding.js';
import * as init from './init.js';
import { checkSize, LAYER_OPTIONS, type LayerOptions } from './layers.js';
import { Module, Parameter } from './module.js';

/** Options of `nn.Embedding` (PyTorch's keywords). */
export interface EmbeddingModuleOptions extends LayerOptions {
  /** A row that starts at zero and never receives a gradient (negative counts from the end). */
  paddingIdx?: number | null;
  /** Rows looked up are rescaled in place to at most this norm (see F.embedding). */
  maxNorm?: number | null;
  /** The p of the norm for `maxNorm` (default 2). */
  normType?: number;
  /**
   * An initial table of shape [numEmbeddings, embeddingDim], copied and used as is: nothing is
   * drawn from the generator and the padding row is not zeroed (PyTorch's `_weight`).
   */
  weight?: Tensor;
}

/** Options of `nn.Embedding.fromPretrained` (PyTorch's keywords). */
export interface EmbeddingFromPretrainedOptions extends Omit<EmbeddingModuleOptions, 'dtype' | 'weight'> {
  /** Keep the table out of training: the weight does not require grad (default true). */
  freeze?: boolean;
}

const EMBEDDING_OPTIONS: OptionNames<EmbeddingModuleOptions> = { paddingIdx: true, maxNorm: true, normType: true, weight: true, ...LAYER_OPTIONS };
const FROM_PRETRAINED_OPTIONS: OptionNames<EmbeddingFromPretrainedOptions> = { freeze: 'flag', paddingIdx: true, maxNorm: true, normType: true };

/**
 * A table of `numEmbeddings` learned vectors of size `embeddingDim` (`torch.nn.Embedding`):
 * `call(indices)` returns the rows at the indices (an int32 tensor or an array of integers, any
 * shape), shape [...indices.shape, embeddingDim]. The weight starts as N(0, 1) draws from the global
 * generator, with the `paddingIdx` row set to zero, as PyTorch's `reset_parameters`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * const embed = new nn.Embedding(100, 8, { paddingIdx: 0 });
 * const tokens = tensor([[5, 17, 0], [3, 0, 0]], { dtype: 'int32' });
 * embed.call(tokens).shape; // [2, 3, 8]
 * ```
 */
export class Embedding extends Module {
  /** The table, shape [numEmbeddings, embeddingDim]. */
  weight: Parameter;
  /** The padding row as a row number in [0, numEmbeddings), or null. */
  readonly paddingIdx: number | null;
  /** See `EmbeddingModuleOptions.maxNorm`. */
  readonly maxNorm: number | null;
  /** See `EmbeddingModuleOptions.normType`. */
  readonly normType: number;

  /**
   * @param numEmbeddings - Rows of the table (the vocabulary size).
   * @param embeddingDim - Size of each vector.
   * @param options - paddingIdx, maxNorm, normType, dtype.
   */
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: EmbeddingModuleOptions = {}) {
    super();
    const fn = 'Embedding';
    checkOptions(options, EMBEDDING_OPTIONS, fn);
    checkSize(numEmbeddings, 'numEmbeddings', fn);
    checkSize(embeddingDim, 'embeddingDim', fn);
    this.paddingIdx = normalizePaddingIdx(options.paddingIdx, numEmbeddings, fn);
    this.maxNorm = options.maxNorm ?? null;
    this.normType = options.normType ?? 2;
    if (options.weight !== undefined) {
      const given = options.weight;
      if (given.ndim !== 2 || given.shape[0] !== numEmbeddings || given.shape[1] !== embeddingDim) {
        throw new Error(`${fn}: weight must have shape [${numEmbeddings}, ${embeddingDim}], got [${given.shape.join(', ')}]`);
      }
      this.weight = new Parameter(given.detach().to(options.dtype ?? given.dtype).clone());
      return;
    }
    this.weight = new Parameter(zeros([numEmbeddings, embeddingDim], { dtype: options.dtype }));
    this.resetParameters();
  }

  /**
   * An Embedding holding a copy of `embeddings` ([numEmbeddings, embeddingDim]), as PyTorch's
   * `Embedding.from_pretrained`: frozen (the weight does not require grad) unless `freeze: false`.
   * The padding row is kept as given (not zeroed), as PyTorch.
   *
   * @example
   * ```ts
   * import { nn, tensor } from 'tsgrad';
   * const e = nn.Embedding.fromPretrained(tensor([[1, 2], [3, 4]]));
   * e.forward([1, 1]).toNested(); // [[3, 4], [3, 4]]
   * ```
   */
  static fromPretrained(embeddings: Tensor, options: EmbeddingFromPretrainedOptions = {}): Embedding {
    checkOptions(options, FROM_PRETRAINED_OPTIONS, 'Embedding.fromPretrained');
    if (embeddings.ndim !== 2) throw new Error(`Embedding.fromPretrained: embeddings must be 2-d [numEmbeddings, embeddingDim], got shape [${embeddings.shape.join(', ')}]`);
    if (embeddings.dtype !== 'float32' && embeddings.dtype !== 'float64') throw new Error(`Embedding.fromPretrained: embeddings must be float32 or float64, got ${embeddings.dtype}`);
    const [rows, dim] = embeddings.shape as [number, number];
    const { freeze, ...layerOptions } = options; // freeze is not the constructor's
    const e = new Embedding(rows, dim, { ...layerOptions, weight: embeddings });
    e.weight.requiresGrad = !(freeze ?? true);
    return e;
  }

  /** Re-draws the weight as PyTorch does: N(0, 1), then the padding row zeroed. */
  resetParameters(): void {
    init.normal(this.weight);
    if (this.paddingIdx !== null) {
      const row = this.paddingIdx;
      noGrad(() => this.weight.narrow(0, row, 1).zero_());
    }
  }

  /** The rows at `indices` (Module.call passes tensors; this also takes arrays of integers). */
  forward(indices: IndexLike): Tensor {
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx, maxNorm: this.maxNorm, normType: this.normType });
  }

  override extraRepr(): string {
    const extras = [this.paddingIdx !== null ? `paddingIdx=${this.paddingIdx}` : '', this.maxNorm !== null ? `maxNorm=${this.maxNorm}` : ''];
    return [`${this.numEmbeddings}, ${this.embeddingDim}`, ...extras.filter((e) => e !== '')].join(', ');
  }
}
