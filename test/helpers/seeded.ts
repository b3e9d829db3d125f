/**
 * Test support (no tests of its own): mulberry32, a small seeded generator of numbers in
 * [0, 1), so each fast-check case can draw bulk data from the case's own seed.
 */
export function mulberry(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}
