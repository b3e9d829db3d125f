/** A 2-D setting (kernel, stride, padding, dilation) as one number for both axes or as [h, w]. */
export type Pair = number | readonly [number, number];

/** `[h, w]` of a 2-D setting; `dflt` for both axes when it is omitted. */
export function pair(v: Pair): [number, number];
export function pair(v: Pair | undefined, dflt: number): [number, number];
export function pair(v: Pair | undefined, dflt = 1): [number, number] {
  return v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
}
