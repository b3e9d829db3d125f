import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  treeFlatten,
  treeUnflatten,
  treeMap,
  treeZipWith,
  treePaths,
  treeLeaves,
} from '../../src/core/pytree.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { ShapeError } from '../../src/core/errors.js';

const t = (...xs: number[]): Tensor => tensor([xs.length], xs);

/** Arbitrary pytrees of numbers, tensors, arrays, objects and static values. */
const arbTree = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.double({ noNaN: true }),
    fc.array(fc.float({ noNaN: true }), { maxLength: 4 }).map((xs) => tensor([xs.length], xs)),
    fc.constantFrom(null, 'relu', true),
    fc.array(tie('tree'), { maxLength: 3 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }).filter((k) => k !== '__proto__'), tie('tree'), { maxKeys: 3, noNullPrototype: true }),
  ),
})).tree;

describe('pytree', () => {
  it('unflatten(flatten(tree)) rebuilds an equal tree', () => {
    fc.assert(
      fc.property(arbTree, (tree) => {
        const { leaves, treedef } = treeFlatten(tree);
        assert.deepEqual(treeUnflatten(treedef, leaves), tree);
      }),
      { numRuns: 200 },
    );
  });
  it('flattens objects by sorted key and arrays by index', () => {
    const tree = { b: [1, t(2)], a: { y: 3, x: 4 }, c: 'static' };
    assert.deepEqual(treeLeaves(tree).map((l) => (typeof l === 'number' ? l : l.data[0])), [4, 3, 1, 2]);
    assert.deepEqual(treePaths(tree), ['a.x', 'a.y', 'b[0]', 'b[1]']);
  });
  it('treeMap keeps structure and maps every leaf', () => {
    const tree = { w: t(1, 2), b: 3, act: 'relu', layers: [t(4)] };
    const doubled = treeMap((l) => (typeof l === 'number' ? 2 * l : tensor(l.shape, l.data.map((x) => 2 * x))), tree);
    assert.deepEqual(doubled, { w: t(2, 4), b: 6, act: 'relu', layers: [t(8)] });
  });
  it('treeZipWith passes one leaf per tree, in the order the trees are given', () => {
    const a = { x: 1, y: [2, 3] };
    const b = { x: 10, y: [20, 30] };
    const c = { x: 100, y: [200, 300] };
    assert.deepEqual(
      treeZipWith((p, q, r) => (p as number) - 2 * (q as number) + 3 * (r as number), a, b, c),
      { x: 281, y: [562, 843] },
    );
  });
  it('treeZipWith keeps the static values and nesting of the first tree', () => {
    const a = { act: 'relu', w: [t(1, 2)], n: null };
    const b = { act: 'relu', w: [t(3, 4)], n: null };
    const out = treeZipWith((p, q) => tensor((p as Tensor).shape, [(p as Tensor).data[0]! + (q as Tensor).data[0]!, 0]), a, b);
    assert.deepEqual(out, { act: 'relu', w: [t(4, 0)], n: null });
  });
  it('treeZipWith rejects trees with the same leaf count but different structures, naming both', () => {
    assert.throws(
      () => treeZipWith((p) => p, { a: 1, b: [2, 3] }, { a: [1, 2], b: 3 }),
      (e: unknown) =>
        e instanceof ShapeError && e.message.includes('tree 0 is {a: *, b: [*, *]}') && e.message.includes('tree 1 is {a: [*, *], b: *}'),
    );
  });
  it('treeZipWith rejects trees whose keys or static values differ', () => {
    assert.throws(() => treeZipWith((p) => p, { w: 1 }, { v: 1 }), ShapeError);
    assert.throws(() => treeZipWith((p) => p, { act: 'relu', w: 1 }, { act: 'tanh', w: 1 }), ShapeError);
    assert.throws(() => treeZipWith((p) => p, { x: 1, y: [2, 3] }, { x: 1, y: [2] }), ShapeError);
  });
  it('rejects non-pytree values with the path of the offending node', () => {
    assert.throws(() => treeFlatten({ a: [1, new Map()] }), /\.a\[1\]/);
  });
});
