import { describe, expect, it } from 'vitest';
import { F, manualSeed, nn, randn } from '../../src/index.js';
import { buildGrid, type ModelName, type NormName } from '../../experiment/config.js';
import { GROUP_NORM_GROUPS, buildModel } from '../../experiment/models.js';

type ModuleClass = abstract new (...args: never[]) => nn.Module;
/** The class of a model's norm layers: 1-d ones in the MLP. */
function normClass(norm: NormName, model: ModelName): ModuleClass | null {
  const oneD = model === 'mlp';
  const classes: Record<NormName, ModuleClass | null> = {
    bn: oneD ? nn.BatchNorm1d : nn.BatchNorm2d,
    brn: oneD ? nn.BatchRenorm1d : nn.BatchRenorm2d,
    gn: nn.GroupNorm,
    bkn: oneD ? nn.BatchKalmanNorm1d : nn.BatchKalmanNorm2d,
    'bkn-paper': oneD ? nn.BatchKalmanNorm1d : nn.BatchKalmanNorm2d,
    'bkn-sampled': oneD ? nn.BatchKalmanNorm1d : nn.BatchKalmanNorm2d,
    'bkn-analytic': oneD ? nn.BatchKalmanNorm1d : nn.BatchKalmanNorm2d,
    none: null,
  };
  return classes[norm];
}
const NORM_LAYERS: Record<ModelName, number> = { cnn: 2, mlp: 2, vgg: 4, resnet: 8 };

describe('the experiment models', () => {
  // Small inputs keep this fast: [8, 1, 8, 8] (the MLP flattens them), batch 8 in chunks of 2.
  const grid = buildGrid({ models: ['cnn', 'mlp', 'vgg', 'resnet'], norms: ['bn', 'bkn', 'bkn-paper', 'gn', 'brn', 'none', 'bkn-sampled', 'bkn-analytic'], normBatches: [2], batch: 8 });

  it.each(grid.map((c) => [c.id, c] as const))('%s trains one step: logits [N, 10], a gradient for every parameter', (_id, config) => {
    manualSeed(1);
    const model = buildModel(config, [1, 8, 8], 10);
    const x = randn([8, 1, 8, 8]);
    const logits = model.call(x);
    expect(logits.shape).toEqual([8, 10]);
    F.crossEntropy(logits, [0, 1, 2, 3, 4, 5, 6, 7]).backward();
    for (const [name, p] of model.namedParameters()) expect(p.grad, name).not.toBeNull();

    const cls = normClass(config.norm, config.model);
    const normLayers = model.modules().filter((m) => cls !== null && m instanceof cls);
    expect(normLayers).toHaveLength(cls === null ? 0 : NORM_LAYERS[config.model]);
    for (const m of normLayers) {
      if (config.norm === 'gn') expect((m as nn.GroupNorm).numGroups).toBe(GROUP_NORM_GROUPS);
      else if (config.norm !== 'none') expect((m as unknown as { groups: number }).groups).toBe(4);
    }
    if (config.norm.startsWith('bkn')) {
      // The chain is wired: every BKN layer but the first was predicted from its predecessor.
      const bkn = normLayers as nn.BatchKalmanNorm[];
      expect(bkn.filter((m) => m.guardCounts.steps === 1)).toHaveLength(bkn.length - 1);
      if (config.norm === 'bkn-paper') {
        for (const m of bkn) {
          expect(m.transition).toBe('sampled-prenorm');
          expect(m.gain).toBe(0.1);
          expect(m.firstPrior).toBe('none');
          expect(m.guardMean).toBe('arithmetic');
        }
      } else {
        const transition = config.norm === 'bkn-sampled' ? 'sampled' : 'analytic'; // 'analytic' is the default
        for (const m of bkn) expect([m.transition, m.gain, m.firstPrior, m.guardMean]).toEqual([transition, 'count', 'observations', 'geometric']);
        // The CNN's and the MLP's patterns are covered; the resnet's joins fall back to 'sampled'.
        if (config.norm === 'bkn-analytic' && config.model !== 'resnet') for (const m of bkn) expect(m.analyticFallback).toBeNull();
      }
    }
  });

  it('vgg: four conv-norm-ReLU blocks; on 28×28 inputs the norms see 28², 14², 7² and 3² positions', () => {
    manualSeed(2);
    const [config] = buildGrid({ models: ['vgg'], norms: ['bn'], normBatches: [2], batch: 4 });
    const model = buildModel(config!, [1, 28, 28], 10);
    const seen: number[][] = [];
    for (const m of model.modules()) {
      if (m instanceof nn.BatchNorm2d) m.registerForwardHook((_mod, input) => { seen.push(input[0]!.shape.slice(1)); });
    }
    expect(model.call(randn([4, 1, 28, 28])).shape).toEqual([4, 10]);
    expect(seen).toEqual([[8, 28, 28], [16, 14, 14], [32, 7, 7], [32, 3, 3]]);
  });
});
