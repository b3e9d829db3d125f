import { upsampleBilinear, upsampleNearest } from '../ops/conv.js';
import { fromFunction } from './activation.js';
import type { Layer, NoState } from './layer.js';

/** Upsampling by an integer factor, nearest or bilinear: `[N, C, H, W] → [N, C, sH, sW]`. */
export function Upsample(scale: number, mode: 'nearest' | 'bilinear' = 'nearest'): Layer<NoState, NoState> {
  const f = mode === 'nearest' ? upsampleNearest : upsampleBilinear;
  return fromFunction(`Upsample(${scale}, ${mode})`, (x) => f(x, scale), (s) => [s[0]!, ...s.slice(1).map((d) => d * scale)]);
}
