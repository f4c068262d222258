// The op table: every primitive's forward and backward, by name. Its type (OpTable) requires an
// entry for every name in OpTypes, so an op without a backward does not compile.
import type { OpTable } from '../op.js';
import { activationOps } from './activation.js';
import { binaryOps } from './binary.js';
import { catPadOps } from './cat-pad.js';
import { indexingOps } from './indexing.js';
import { convOps } from './conv.js';
import { mathOps } from './math.js';
import { matmulOps } from './matmul.js';
import { movementOps } from './movement.js';
import { normOps } from './norm.js';
import { reduceOps } from './reduce.js';
import { resampleOps } from './resample.js';
import { scanOps } from './scan.js';
import { slicingOps } from './slicing.js';
import { unaryOps } from './unary.js';

export const ops: OpTable = {
  ...unaryOps,
  ...binaryOps,
  ...reduceOps,
  ...movementOps,
  ...matmulOps,
  ...convOps,
  ...activationOps,
  ...catPadOps,
  ...normOps,
  ...indexingOps,
  ...resampleOps,
  ...mathOps,
  ...scanOps,
  ...slicingOps,
};
