/**
 * A bag-of-embeddings sentiment classifier: each word of a sentence is looked up in an
 * `nn.Embedding`, the vectors are averaged (mean pooling over the real words, padding excluded) and
 * an `nn.Linear` maps the average to two logits. The corpus is generated from templates ("the plot
 * was really awful", "i adored this film"), labelled by the sentiment words in them; the model is
 * trained with cross-entropy and Adam and scored by accuracy (argmax of the logits = label) on the
 * sentences of one template it never saw, whose filler words it has never seen either.
 *
 *   npx tsx examples/text-classifier.ts                       # 2 000 sentences, 300 steps
 *   npx tsx examples/text-classifier.ts --steps 60 --sentences 400   # a tiny run (CI)
 *
 * Flags: --steps N (default 300), --sentences N (generated; those of the held-out template, about 1 in 5, are the test; default 2000),
 * --seed N (default 1).
 */
import { F, Generator, manualSeed, nn, noGrad, optim, tensor, type Tensor } from '../src/index.js';
import { exampleFlags, FlagError } from './lib/flags.js';

const { steps, sentences, seed } = exampleFlags('text-classifier.ts', 'Sentiment of generated sentences with nn.Embedding + mean pooling + nn.Linear.', {
  steps: { kind: 'int', min: 1, default: 300, help: 'training steps (batches of 32 sentences)' },
  sentences: { kind: 'int', min: 1, default: 2000, help: 'sentences to generate, about 1 in 5 held out (at least 20)' },
  seed: { kind: 'int', min: 0, default: 1, help: 'seed of the corpus, the initialisation and the batch order' },
}, (f) => {
  if (f.sentences < 20) throw new FlagError(`--sentences expects an integer ≥ 20, got '${f.sentences}'`);
});
manualSeed(seed);

// ---- the corpus -----------------------------------------------------------------------------------
const WORDS = {
  positive: ['good', 'great', 'excellent', 'wonderful', 'brilliant', 'delightful', 'superb', 'charming'],
  negative: ['bad', 'terrible', 'awful', 'boring', 'dull', 'dreadful', 'weak', 'clumsy'],
  liked: ['loved', 'enjoyed', 'adored', 'liked'],
  disliked: ['hated', 'disliked', 'regretted', 'endured'],
  noun: ['movie', 'film', 'plot', 'acting', 'story', 'ending', 'cast', 'script', 'soundtrack'],
  adverb: ['really', 'very', 'quite', 'truly', 'so', 'rather'],
};
type Slot = keyof typeof WORDS;
/** Templates: `adj` and `verb` are filled with words of the sentence's sentiment. */
const TEMPLATES = [
  'the noun was adverb adj',
  'i verb this noun',
  'what a adj noun',
  'the noun and the noun were adj',
  'adverb adj noun , i verb it',
];

/** The template whose sentences are held out: the test asks about a sentence shape never trained on. */
const HELD_OUT = TEMPLATES.length - 1;

/** One sentence of the given sentiment (1 positive, 0 negative) from a random template. */
function sentence(gen: Generator, positive: boolean): { words: string[]; template: number } {
  const pick = (slot: Slot): string => WORDS[slot][gen.int(WORDS[slot].length)]!;
  const template = gen.int(TEMPLATES.length);
  const words = TEMPLATES[template]!.split(' ').map((w) => {
    if (w === 'adj') return pick(positive ? 'positive' : 'negative');
    if (w === 'verb') return pick(positive ? 'liked' : 'disliked');
    return w in WORDS ? pick(w as Slot) : w;
  });
  return { words, template };
}

const gen = new Generator(seed);
const corpus = Array.from({ length: sentences }, () => {
  const label = gen.int(2);
  return { ...sentence(gen, label === 1), label };
});

// Vocabulary: index 0 is padding, then every word in order of first appearance.
const PAD = 0;
const vocabulary = new Map<string, number>();
for (const { words } of corpus) for (const w of words) if (!vocabulary.has(w)) vocabulary.set(w, vocabulary.size + 1);
const maxLength = Math.max(...corpus.map((s) => s.words.length));

/** Sentences as an int32 [N, maxLength] tensor of word indices, padded with PAD, and their labels. */
function encode(part: typeof corpus): { tokens: Tensor; labels: Tensor } {
  const ids = part.map(({ words }) => [...words.map((w) => vocabulary.get(w)!), ...new Array<number>(maxLength - words.length).fill(PAD)]);
  return { tokens: tensor(ids, { dtype: 'int32' }), labels: tensor(part.map((s) => s.label), { dtype: 'int32' }) };
}
const trainPart = corpus.filter((s) => s.template !== HELD_OUT);
const testPart = corpus.filter((s) => s.template === HELD_OUT);
const cut = trainPart.length;
const train = encode(trainPart);
const test = encode(testPart);
console.log(`corpus: ${corpus.length} generated sentences, ${vocabulary.size} words, e.g. "${corpus[0]!.words.join(' ')}" (${corpus[0]!.label === 1 ? 'positive' : 'negative'})`);
const trainWords = new Set(trainPart.flatMap((t) => t.words));
const unseen = [...new Set(testPart.flatMap((t) => t.words))].filter((w) => !trainWords.has(w));
console.log(`held out: the ${testPart.length} sentences of the template "${TEMPLATES[HELD_OUT]}"; words never in the ${cut} training sentences: ${unseen.map((w) => `'${w}'`).join(', ') || 'none'}`);

// ---- model ----------------------------------------------------------------------------------------
class BagOfEmbeddings extends nn.Module {
  embed = new nn.Embedding(vocabulary.size + 1, 16, { paddingIdx: PAD });
  classify = new nn.Linear(16, 2);

  forward(tokens: Tensor): Tensor {
    // The padding row is zero (and gets no gradient), so the sum over all positions divided by the
    // number of real words is the mean over the real words.
    const summed = this.embed.call(tokens).sum(1); //                   [N, 16]
    const lengths = tokens.ne(PAD).sum(1, true).to('float32'); //        [N, 1]
    return this.classify.call(summed.div(lengths)); //                  [N, 2] logits
  }
}
const model = new BagOfEmbeddings();

/** Accuracy (%): the predicted class is the larger logit. */
function accuracy(part: { tokens: Tensor; labels: Tensor }): number {
  return noGrad(() => (100 * model.call(part.tokens).argmax(1).eq(part.labels).sum().item()) / part.labels.shape[0]!);
}

// ---- training: minibatches of 32 sentences, in a fresh random order each epoch --------------------
const optimizer = new optim.Adam(model.parameters(), { lr: 0.02 });
const batchSize = 32;
const order = (n: number, g: Generator): number[] => {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = g.int(i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx;
};
const before = accuracy(test);
const shuffle = new Generator(seed + 1);
let batches: number[] = [];
let loss = NaN;
for (let step = 1; step <= steps; step++) {
  if (batches.length < batchSize) batches = order(cut, shuffle);
  const rows = batches.splice(0, batchSize);
  optimizer.zeroGrad();
  const l = F.crossEntropy(model.call(train.tokens.indexSelect(0, rows)), train.labels.indexSelect(0, rows));
  l.backward();
  optimizer.step();
  loss = l.item();
  if (step === 1 || step % 100 === 0 || step === steps) console.log(`step ${step}: loss ${loss.toFixed(4)}`);
}
console.log(`held-out accuracy: ${before.toFixed(1)}% before training, ${accuracy(test).toFixed(1)}% after ${steps} steps (training accuracy ${accuracy(train).toFixed(1)}%)`);

// What the classifier learned per word: the logit margin (positive − negative) of a one-word sentence.
const margins = noGrad(() => {
  const words = [...vocabulary.keys()];
  const logits = model.call(tensor(words.map((w) => [vocabulary.get(w)!]), { dtype: 'int32' })).toNested() as number[][];
  return words.map((w, i) => ({ w, margin: logits[i]![1]! - logits[i]![0]! })).sort((a, b) => b.margin - a.margin);
});
const show = (list: typeof margins): string => list.map(({ w, margin }) => `${w} ${margin >= 0 ? '+' : ''}${margin.toFixed(1)}`).join(', ');
console.log(`most positive words: ${show(margins.slice(0, 5))}`);
console.log(`most negative words: ${show(margins.slice(-5).reverse())}`);
