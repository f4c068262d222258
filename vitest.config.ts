import { defineConfig } from 'vitest/config';

/**
 * Two projects (`npx vitest run --project js` runs one):
 * - `js`: every test, on the JS kernels (TSGRAD_BACKEND=js). Tests that pin results bitwise
 *   (committed tsgrad outputs, golden training losses) were made with these kernels.
 * - `wasm`: the tests of the ops whose kernels the wasm backend replaces (GEMM under matmul,
 *   linear and conv2d, conv2d's im2col, float32 relu and its gradient) run a second time on the wasm backend: the kernel and pool determinism
 *   tests, the op properties and gradchecks, the PyTorch fixtures (first and second order), the norms, the optimizers and
 *   the MNIST CNN example. Not twice: packaging, docs, experiment, data, the pool's fault tests
 *   for kernels that have no wasm version, and the wasm tests themselves (they pick their backend).
 */
const WASM_TWICE = [
  'test/tensor/backend.test.ts',
  'test/tensor/gemm.test.ts',
  'test/tensor/gemm-parallel.test.ts',
  'test/tensor/conv-parallel.test.ts',
  'test/tensor/pool-relu-parallel.test.ts',
  'test/tensor/fast-kernels.test.ts',
  'test/tensor/kernels.test.ts',
  'test/autograd/op-properties.test.ts',
  'test/autograd/tensor-forward.test.ts',
  'test/autograd/gradcheck.test.ts',
  'test/autograd/engine.test.ts',
  'test/fixtures-core.test.ts',
  'test/second-order-fixtures.test.ts',
  'test/nn/**/*.test.ts',
  'test/norm/**/*.test.ts',
  'test/optim/optimizers.test.ts',
  'test/examples/mnist-cnn.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'js', include: ['test/**/*.test.ts'], env: { TSGRAD_BACKEND: 'js' } } },
      { extends: true, test: { name: 'wasm', include: WASM_TWICE, env: { TSGRAD_BACKEND: 'wasm' } } },
    ],
  },
});
