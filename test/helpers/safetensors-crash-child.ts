// Child process for the crash test in test/nn/safetensors.test.ts: saves two different state dicts to
// the same path, alternately, until it is killed. Prints "saved" after the first complete save.
// Usage: node --import tsx test/helpers/safetensors-crash-child.ts <target> <elements>
import { Tensor } from '../../src/autograd/tensor.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { saveSafetensors } from '../../src/nn/safetensors.js';

const [target, sizeArg] = process.argv.slice(2);
if (target === undefined || sizeArg === undefined) throw new Error('usage: safetensors-crash-child.ts <target> <elements>');
const size = Number(sizeArg);

/** A state dict whose every element equals `fill` (so a reader can tell which save it sees). */
function state(fill: number): Map<string, Tensor> {
  const data = new Float64Array(size).fill(fill);
  return new Map([
    ['a.weight', new Tensor(new NDArray(data, [size]))],
    ['a.num_batches_tracked', new Tensor(new NDArray(new Float64Array([fill]), []))],
  ]);
}

const states = [state(1), state(2)];
for (let i = 0; ; i++) {
  saveSafetensors(target, states[i % 2]!);
  if (i === 0) process.stdout.write('saved\n');
}
