/**
 * The MNIST CNN of issue 5's train-step rows, for the tsgrad-only scripts (memory.ts,
 * profile-train-step.ts): conv(1→8)-BN-ReLU-pool-conv(8→16)-BN-ReLU-pool-linear, PyTorch's default
 * initialization. (The bench rows build it in cnn.ts from fixed weights shared with the peers.)
 */
import { nn } from '../src/index.js';

export function mnistCnn(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1 }),
    new nn.BatchNorm2d(16),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * 7 * 7, 10),
  );
}
