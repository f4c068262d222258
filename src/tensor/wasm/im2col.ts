/**
 * im2col on the wasm backend: the image is copied (one memcpy) into the free scratch region of
 * this thread's wasm memory (wasm/gemm.ts `wasmScratchRegion`), and the emitted kernel
 * (wasm/im2col-module.ts) unfolds it into the GEMM's staging region, where `wasmGemmInPlace` reads
 * it. The columns are bitwise those of the JS kernel (kernels/conv.ts `im2col`, the reference):
 * the same copies and zeros, moved 16 bytes at a time.
 *
 * Each thread compiles the module once, on first use, and instantiates it on its own memory.
 */
import type { FloatStorage as Storage } from '../dtype.js';
import type { Conv2dGeometry } from '../kernels/conv.js';
import { wasmGemmInPlaceBuffer, wasmScratchRegion } from './gemm.js';
import type { WasmFloat } from './gemm-module.js';
import { IM2COL_TYPES, im2colModuleBytes, im2colName } from './im2col-module.js';
import { threadModule } from './thread-module.js';

type Im2colFn = (
  src: number, dst: number, channels: number, h: number, w: number, kH: number, kW: number, outH: number, outW: number,
  sH: number, sW: number, pH: number, pW: number, dH: number, dW: number,
) => void;

/** This thread's im2col kernels, on the GEMM's memory, by export name ({@link im2colName}). */
const im2colKernels = threadModule('im2col', im2colModuleBytes, ({ exports }) =>
  new Map(IM2COL_TYPES.map((t) => [t, exports[im2colName(t)] as Im2colFn])));

function floatOf(a: Storage): WasmFloat {
  return a instanceof Float32Array ? 'f32' : 'f64';
}

/**
 * Whether {@link wasmIm2col} can unfold `channels` planes of `x` into columns of `like`'s type:
 * the same type (there is no converting kernel), and the image fits the scratch region.
 */
export function wasmIm2colFits(g: Conv2dGeometry, channels: number, x: Storage, like: Storage): boolean {
  if (floatOf(x) !== floatOf(like)) return false;
  // The block copies of a stride-1 conv read up to (kW − 1)·dilationW elements past the image
  // (into columns they then zero): those bytes must lie in the memory too.
  return (channels * g.h * g.w + (g.kW - 1) * g.dilationW) * x.BYTES_PER_ELEMENT <= wasmScratchRegion().byteLength;
}

/**
 * The wasm version of kernels/conv.ts `im2col(g, channels, x, xOffset, cols, colsOffset)` where
 * cols is {@link wasmGemmInPlaceBuffer}`(x).buffer` and `colsOffset` an element offset in it
 * (check {@link wasmIm2colFits}). Overwrites the scratch region.
 *
 * @example
 * ```ts
 * const g = conv2dGeometry([1, 1, 3, 3], [1, 1, 2, 2], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 });
 * const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * const { buffer, offset } = wasmGemmInPlaceBuffer(x);
 * wasmIm2col(g, 1, x, 0, offset); // buffer[offset…offset+16] = 1 2 4 5, 2 3 5 6, 4 5 7 8, 5 6 8 9
 * ```
 */
export function wasmIm2col(
  g: Conv2dGeometry, channels: number, x: Storage, xOffset: number, colsOffset: number,
): void {
  // The image into the scratch region, in its own type.
  const view = wasmGemmInPlaceBuffer(x).buffer;
  const scratch = wasmScratchRegion().byteOffset;
  const count = channels * g.h * g.w;
  view.set(x.subarray(xOffset, xOffset + count), scratch / x.BYTES_PER_ELEMENT);
  const kernel = im2colKernels().get(floatOf(x))!;
  kernel(
    scratch, colsOffset * x.BYTES_PER_ELEMENT, channels, g.h, g.w, g.kH, g.kW, g.outH, g.outW,
    g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW,
  );
}
