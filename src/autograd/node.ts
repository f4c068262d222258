import type { NDArray } from '../tensor/ndarray.js';
import type { Tensor } from './tensor.js';

/**
 * One recorded operation in the graph: which op made a tensor, from which inputs, and how to run
 * its backward. After a backward without `retainGraph` the node is freed: its saved arrays and
 * input links are dropped so the memory can be collected.
 */
export class GraphNode {
  inputs: readonly Tensor[];
  needsGrad: readonly boolean[];
  private runBackward: ((g: NDArray) => (NDArray | null)[]) | null;
  readonly opName: string;
  /** The op's backward returns arrays nothing else refers to (see OpDef.freshGradients). */
  readonly freshGradients: boolean;
  /**
   * A built-in op: its backward keeps no reference to the gradient it receives, so the engine may
   * reuse that gradient's buffer afterwards (engine.ts). False for custom ops, whose backward is
   * user code.
   */
  readonly builtIn: boolean;

  constructor(
    opName: string,
    inputs: readonly Tensor[],
    needsGrad: readonly boolean[],
    runBackward: (g: NDArray) => (NDArray | null)[],
    freshGradients = false,
    builtIn = false,
  ) {
    this.opName = opName;
    this.inputs = inputs;
    this.needsGrad = needsGrad;
    this.runBackward = runBackward;
    this.freshGradients = freshGradients;
    this.builtIn = builtIn;
  }

  get freed(): boolean {
    return this.runBackward === null;
  }

  backward(g: NDArray): (NDArray | null)[] {
    if (this.runBackward === null) {
      throw new Error(
        `backward: trying to backward through the graph a second time (op '${this.opName}'): its saved values were freed after the first backward. Pass { retainGraph: true } to the first backward() if you need to backward twice.`,
      );
    }
    return this.runBackward(g);
  }

  free(): void {
    this.runBackward = null;
  }
}
