// Child process for the stale-temp-file test in test/nn/safetensors.test.ts: writes a save's
// temporary file, prints its path, and then hangs before the rename until it is killed — so the
// kill (-9) always leaves the temporary file of a dead process behind.
// Usage: node --import tsx test/helpers/safetensors-stuck-child.ts <target>
import { serializeSafetensors, writeFileAtomic } from '../../src/nn/safetensors.js';
import { tensor } from '../../src/index.js';

const [target] = process.argv.slice(2);
if (target === undefined) throw new Error('usage: safetensors-stuck-child.ts <target>');
writeFileAtomic(target, serializeSafetensors({ w: tensor([1, 2, 3]) }), {
  beforeRename: (temp) => {
    process.stdout.write(`${temp}\n`);
    // Block the thread (no event loop turn is needed to be killed by SIGKILL).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  },
});
