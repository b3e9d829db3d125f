/**
 * The WebGPU lowering (lower.ts) is shape-free: an equation's WGSL depends only on its primitive
 * and variant, never on its shapes or geometry (those are params words), so one pipeline serves
 * every shape. Pure: no device needed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Eqn } from '../../../src/backend/graph.js';
import { convGeometry } from '../../../src/backend/geometry.js';
import { lowerEqn } from '../../../src/backend/webgpu/lower.js';

type Shapes = readonly (readonly number[])[];

/** The WGSL sources of an equation's dispatches. */
function sources(eqn: Eqn, shapes: Shapes): string[] {
  const l = lowerEqn(eqn, shapes);
  assert.equal(l.kind, 'dispatches');
  return l.kind === 'dispatches' ? l.dispatches.map((d) => d.wgsl) : [];
}

const eqn = (prim: Eqn['prim'], params: unknown, inputs: number): Eqn => ({ prim, params, inputs: Array.from({ length: inputs }, (_, i) => i), out: inputs }) as Eqn;

const arbShape = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 });

/** Per kernel kind, an equation of that kind at a random shape (and geometry, scalar parameter). */
type Case = readonly [Eqn, Shapes];
const KINDS: readonly fc.Arbitrary<Case>[] = [
  arbShape.map((s): Case => [eqn('exp', {}, 1), [s, s]]),
  arbShape.chain((s) => fc.integer({ min: 0, max: s.length }).map((drop): Case => [eqn('mul', {}, 2), [s, s.slice(drop), s]])),
  fc.tuple(arbShape, fc.double({ min: 0.01, max: 0.5, noNaN: true })).map(([s, slope]): Case => [eqn('leakyRelu', { slope }, 1), [s, s]]),
  arbShape.map((s): Case => [eqn('sum', { axes: [0] }, 1), [s, s.slice(1)]]),
  arbShape.map((s): Case => [eqn('max', { axes: [s.length - 1] }, 1), [s, s.slice(0, -1)]]),
  arbShape.map((s): Case => [eqn('transpose', { perm: s.map((_, i) => s.length - 1 - i) }, 1), [s, [...s].reverse()]]),
  arbShape.map((s): Case => [eqn('pad', { lo: s.map(() => 1), hi: s.map(() => 0), interior: s.map(() => 1) }, 1), [s, s.map((d) => 2 * d)]]),
  arbShape.map((s): Case => [eqn('concat', { axis: 0 }, 2), [s, s, [2 * s[0]!, ...s.slice(1)]]]),
  fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 })).map(([m, k, n]): Case => [eqn('matmul', { transA: false, transB: true }, 2), [[m, k], [n, k], [m, n]]]),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })).map(([r, c]): Case => [eqn('powerIteration', { eps: 1e-12 }, 2), [[r, c], [r], [r + c + 1]]]),
  fc
    .record({ n: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 1, max: 4 }), hw: fc.integer({ min: 4, max: 9 }), o: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), padding: fc.integer({ min: 0, max: 1 }) })
    .map((r): Case => {
      const g = convGeometry([r.n, r.c, r.hw, r.hw], [r.o, r.c, r.k, r.k], { stride: r.stride, padding: r.padding, dilation: 1 });
      return [eqn('conv2dGradInput', { geometry: g }, 2), [[g.n, g.o, g.oh, g.ow], [g.o, g.c, g.kh, g.kw], [g.n, g.c, g.h, g.w]]];
    }),
];

describe('webgpu lowering', () => {
  it('gives an equation of one kind the same WGSL at every shape, geometry and scalar parameter', () => {
    const twoOfOneKind = fc.constantFrom(...KINDS).chain((kind) => fc.tuple(kind, kind));
    fc.assert(
      fc.property(twoOfOneKind, ([x, y]) => {
        assert.deepEqual(sources(...x), sources(...y), `${x[0].prim} at ${JSON.stringify(x[1])} and at ${JSON.stringify(y[1])}`);
      }),
      { numRuns: 300 },
    );
  });

  it('gives different shapes different params words', () => {
    const words = (n: number): readonly number[] => {
      const l = lowerEqn(eqn('exp', {}, 1), [[n], [n]]);
      return l.kind === 'dispatches' ? l.dispatches[0]!.params : [];
    };
    assert.notDeepEqual(words(3), words(4));
  });
});
