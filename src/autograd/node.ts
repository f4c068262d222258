import type { Tensor } from './tensor.js';
import { storageVersion } from './version.js';

/** What a node's backward function receives besides the upstream gradient. */
export type NodeBackward = (g: Tensor, createGraph: boolean) => (Tensor | null | undefined)[];

/** A tensor a backward will read, with the version it had when the forward saved it. */
interface SavedTensor {
  tensor: Tensor;
  version: number;
  /** Which input it is, or −1 for the op's output (named only in the error message). */
  input: number;
}

/**
 * One recorded operation in the graph: which op made a tensor, from which inputs, and how to run
 * its backward. After a backward without `retainGraph` the node is freed: its saved values and
 * input links are dropped so the memory can be collected.
 */
export class GraphNode {
  inputs: readonly Tensor[];
  needsGrad: readonly boolean[];
  readonly opName: string;
  private runBackward: NodeBackward | null;
  private saved: SavedTensor[];
  /** The op's backward returns tensors whose storage nothing else refers to (see OpDef.freshGradients). */
  readonly freshGradients: boolean;
  /** The op's backward returns its upstream gradient or views of it (see OpDef.gradientViews). */
  readonly gradientViews: boolean;
  /**
   * A built-in op: its backward keeps no reference to the gradient it receives, so the engine may
   * recycle that gradient's buffer afterwards (grad-memory.ts). False for custom ops (user code).
   */
  readonly builtIn: boolean;

  constructor(
    opName: string,
    inputs: readonly Tensor[],
    needsGrad: readonly boolean[],
    runBackward: NodeBackward,
    flags: { freshGradients?: boolean; gradientViews?: boolean; builtIn?: boolean } = {},
  ) {
    this.opName = opName;
    this.inputs = inputs;
    this.needsGrad = needsGrad;
    this.runBackward = runBackward;
    this.saved = [];
    this.freshGradients = flags.freshGradients ?? false;
    this.gradientViews = flags.gradientViews ?? false;
    this.builtIn = flags.builtIn ?? false;
  }

  /** Remembers that backward reads `tensor`: input `input` of the op, or its output (−1). */
  save(tensor: Tensor, input: number): void {
    this.saved.push({ tensor, version: storageVersion(tensor.array), input });
  }

  get freed(): boolean {
    return this.runBackward === null;
  }

  backward(g: Tensor, createGraph: boolean): (Tensor | null | undefined)[] {
    if (this.runBackward === null) {
      throw new Error(
        `backward: trying to backward through the graph a second time (op '${this.opName}'): its saved values were freed after the first backward. Pass { retainGraph: true } to the first backward() if you need to backward twice.`,
      );
    }
    for (const { tensor, version, input } of this.saved) {
      const now = storageVersion(tensor.array);
      if (now !== version) {
        const role = input < 0 ? 'its output' : `input ${input}`;
        throw new Error(
          `backward of '${this.opName}': one of the tensors it saved for the gradient (${role}, ${tensor.toString()}) was modified by an in-place operation: it is at version ${now}; expected version ${version}. ` +
          'Something wrote it in place between forward and backward (an optimizer step, loadStateDict, nn.init, an in-place op such as add_): run it after backward, or clone() the tensor before.',
        );
      }
    }
    return this.runBackward(g, createGraph);
  }

  free(): void {
    this.runBackward = null;
    this.saved = [];
    this.inputs = [];
  }
}
