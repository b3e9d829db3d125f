import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { MAX_TREE_DEPTH, decodePytree, encodePytree } from '../../src/io/pytree_file.js';
import { parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';
import { tensor, zeros } from '../../src/core/tensor.js';
import { key } from '../../src/core/random.js';

/** Trees of tensors, numbers (special values included), static values, arrays and objects. */
const arbTree = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.double(),
    fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 53 + 2, 5e-324),
    fc.float32Array({ maxLength: 4 }).map((d) => tensor([d.length], d)),
    fc.constantFrom(null, undefined, 'relu', true, false, ''),
    fc.array(tie('tree'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom('__proto__', 'a.b', 'constructor')), tie('tree'), { maxKeys: 3 }),
  ),
})).tree;

/** Structural equality that tells -0 from 0 and compares NaN to NaN and tensors by bits. */
function sameTree(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a instanceof Object && 'data' in a && b instanceof Object && 'data' in b) {
    const ta = a as { shape: number[]; data: Float32Array };
    const tb = b as { shape: number[]; data: Float32Array };
    return JSON.stringify(ta.shape) === JSON.stringify(tb.shape) && Buffer.from(ta.data.buffer, ta.data.byteOffset, ta.data.byteLength).equals(Buffer.from(tb.data.buffer, tb.data.byteOffset, tb.data.byteLength));
  }
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameTree(x, b[i]));
  if (typeof a === 'object' && a !== null) {
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameTree((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

const decode = (bytes: Uint8Array) => {
  const r = decodePytree(bytes);
  assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
  return r.right;
};

describe('pytree files', () => {
  it('decode(encode(tree)) is the same tree, bit for bit (−0, NaN, ±∞, __proto__ keys included)', () => {
    fc.assert(fc.property(arbTree, (tree) => assert.ok(sameTree(decode(encodePytree(tree)).tree, tree))), { numRuns: 300 });
  });
  it('keeps own __proto__ keys as data and leaves Object.prototype alone', () => {
    const tree = JSON.parse('{"__proto__": {"polluted": 1}, "w": 2}') as Record<string, unknown>;
    const back = decode(encodePytree(tree)).tree as Record<string, unknown>;
    assert.deepEqual(Object.keys(back), ['__proto__', 'w']);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
  it('names tensors by their path so the file reads like a state dict', () => {
    const tree = { step: 3, key: key(0), g: { params: [{ weight: zeros([2, 2]), bias: zeros([2]) }] } };
    const file = parseSafetensors(encodePytree(tree));
    assert.ok(E.isRight(file));
    assert.deepEqual([...file.right.tensors.keys()].sort(), ['g.params.0.bias', 'g.params.0.weight']);
  });
  it('gives colliding paths distinct names', () => {
    const tree = { 'a.b': zeros([1]), a: { b: zeros([2]) } };
    const back = decode(encodePytree(tree)).tree as { 'a.b': { shape: number[] }; a: { b: { shape: number[] } } };
    assert.deepEqual(back['a.b'].shape, [1]);
    assert.deepEqual(back.a.b.shape, [2]);
  });
  it('returns the caller metadata and refuses reserved keys', () => {
    assert.deepEqual({ ...decode(encodePytree({}, { run: 'x' })).metadata }, { run: 'x' });
    assert.throws(() => encodePytree({}, { 'puregan.tree': 'x' }), /reserved/);
  });
  it('refuses values that are not pytree nodes, naming where', () => {
    assert.throws(() => encodePytree({ a: [new Map()] }), /\.a\[0\].*\[object Map\]/);
  });
});

describe('pytree files: malformed structure', () => {
  const withTree = (tree: string, tensors: Record<string, ReturnType<typeof zeros>> = {}, format = 'puregan-pytree/1') =>
    serializeSafetensors(tensors, { 'puregan.format': format, 'puregan.tree': tree });
  const expectBad = (bytes: Uint8Array, fragment: RegExp) => {
    const r = decodePytree(bytes);
    assert.ok(E.isLeft(r), 'expected an error');
    assert.equal(r.left.tag, 'ParseError');
    assert.match(r.left.message, fragment);
    assert.ok(!r.left.message.includes('\n'));
  };
  it('rejects a safetensors file that puregan did not write, or of another format version', () => {
    expectBad(serializeSafetensors({ w: zeros([1]) }), /no "puregan.format"/);
    expectBad(withTree('{"S":null}', {}, 'puregan-pytree/9'), /not the supported/);
  });
  it('passes on the safetensors error of a broken file', () => {
    expectBad(new Uint8Array(3), /^safetensors: /);
  });
  it('rejects a tree that is not JSON, an unknown node kind, and malformed nodes', () => {
    expectBad(withTree('{'), /not valid JSON/);
    expectBad(withTree('{"X":1}'), /unknown kind "X"/);
    expectBad(withTree('{"A":1}'), /array node <root> holds no array/);
    expectBad(withTree('{"O":[["a"]]}'), /malformed entry/);
    expectBad(withTree('{"N":"1e3"}'), /number node/);
    expectBad(withTree('{"A":[],"O":[]}'), /not a structure node/);
  });
  it('rejects a missing, repeated or non-F32 tensor, and tensors left over', () => {
    expectBad(withTree('{"T":"w"}'), /tensor "w" \(at <root>\) is not in the file/);
    expectBad(withTree('{"A":[{"T":"w"},{"T":"w"}]}', { w: zeros([1]) }), /used twice/);
    expectBad(withTree('{"S":null}', { w: zeros([1]) }), /"w" belong to no place/);
    const u8 = serializeSafetensors({ w: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } }, { 'puregan.format': 'puregan-pytree/1', 'puregan.tree': '{"T":"w"}' });
    expectBad(u8, /is U8; puregan pytree files hold F32/);
  });
  it('rejects repeated object keys and structures nested too deeply', () => {
    expectBad(withTree('{"O":[["a",{"U":1}],["a",{"U":1}]]}'), /repeats the key "a"/);
    const deep = '{"A":['.repeat(MAX_TREE_DEPTH + 2) + ']}'.repeat(MAX_TREE_DEPTH + 2);
    expectBad(withTree(deep), /nested deeper than 64/);
  });
});
