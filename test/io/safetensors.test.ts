import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import {
  DTYPES,
  MAX_HEADER_BYTES,
  SafetensorsError,
  dtypeSize,
  parseFloat32Tensors,
  parseSafetensors,
  serializeSafetensors,
  toFloat32,
  type SafetensorsRule,
  type SafetensorsTensor,
} from '../../src/io/safetensors.js';
import { tensor } from '../../src/core/tensor.js';

/** A file built by hand: 8-byte length, the header text as given, then `data`. */
function file(header: string | object, data: Uint8Array | number = 0, lengthOverride?: bigint): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + text.length + body.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(body, 8 + text.length);
  return out;
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

function expectRule(bytes: Uint8Array, rule: SafetensorsRule, fragment?: RegExp): void {
  const r = parseSafetensors(bytes);
  assert.ok(E.isLeft(r), `expected a ${rule} error, the file parsed`);
  assert.ok(r.left instanceof SafetensorsError);
  assert.equal(r.left.rule, rule, r.left.message);
  assert.equal(r.left.tag, 'ParseError');
  assert.ok(!r.left.message.includes('\n'), 'the message is one line');
  assert.ok(r.left.message.startsWith('safetensors: '));
  if (fragment) assert.match(r.left.message, fragment);
}

describe('safetensors: bytes of the reference implementation', () => {
  // Expected bytes copied from huggingface/safetensors, safetensors/src/tensor.rs (tests module).
  const sixFloats = new Float32Array([0, 1, 2, 3, 4, 5]);
  it('serializes one F32 tensor exactly as the reference does (test_serialization)', () => {
    const expected = [
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115,
      104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50,
      52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ];
    assert.deepEqual([...serializeSafetensors({ 'attn.0': tensor([1, 2, 3], sixFloats) })], expected);
  });
  it('pads the header with spaces to a multiple of 8 bytes (test_serialization_forced_alignement)', () => {
    const out = serializeSafetensors({ attn0: tensor([1, 1, 2, 3], sixFloats) });
    assert.deepEqual([...out.subarray(0, 8)], [72, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...out.subarray(8 + 65, 8 + 72)], [32, 32, 32, 32, 32, 32, 32]);
    assert.equal(out.length, 8 + 72 + 24);
  });
  it('serializes an empty file and one with metadata exactly as the reference does (test_empty)', () => {
    assert.deepEqual([...serializeSafetensors({})], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const expected = [
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114,
      107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ];
    assert.deepEqual([...serializeSafetensors({}, { framework: 'pt' })], expected);
  });
  it('reads the reference documentation example (an I32 [2, 2] tensor)', () => {
    const r = parseSafetensors(file('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', 16));
    assert.ok(E.isRight(r));
    const t = r.right.tensors.get('test')!;
    assert.equal(t.dtype, 'I32');
    assert.deepEqual(t.shape, [2, 2]);
    assert.deepEqual([...E.getOrElseW(() => [])(toFloat32(t))], [0, 0, 0, 0]);
  });
  it('orders tensors by dtype alignment, largest first, then by name', () => {
    const raw = (dtype: SafetensorsTensor['dtype'], n: number): SafetensorsTensor => ({ dtype, shape: [n], data: new Uint8Array(n * dtypeSize(dtype)) });
    const out = serializeSafetensors({ b: raw('U8', 3), a: raw('U8', 1), c: raw('F64', 1), d: raw('F16', 1) });
    const text = new TextDecoder().decode(out.subarray(8, 8 + Number(new DataView(out.buffer).getBigUint64(0, true))));
    const order = [...text.matchAll(/"(\w)":\{/g)].map((m) => m[1]);
    assert.deepEqual(order, ['c', 'd', 'a', 'b']);
  });
});

describe('safetensors: reading values', () => {
  it('parseFloat32Tensors gives every tensor as a float32 Tensor by name, a name like __proto__ included', () => {
    const a = tensor([2, 2], [1, -2, 3.5, 0]);
    const p = tensor([1], [7]);
    const r = parseFloat32Tensors(serializeSafetensors({ a, ['__proto__']: p }));
    assert.ok(E.isRight(r));
    assert.deepEqual(Object.keys(r.right).sort(), ['__proto__', 'a']);
    assert.deepEqual([...r.right.a!.data], [1, -2, 3.5, 0]);
    assert.deepEqual(r.right.a!.shape, [2, 2]);
    assert.deepEqual([...r.right['__proto__']!.data], [7]);
    assert.equal(Object.getPrototypeOf(r.right), null);
  });
  it('parseFloat32Tensors passes the parser\'s error on, for a truncated file', () => {
    const bytes = serializeSafetensors({ a: tensor([3], [1, 2, 3]) });
    const r = parseFloat32Tensors(bytes.subarray(0, bytes.length - 1));
    assert.ok(E.isLeft(r) && r.left instanceof SafetensorsError);
  });
  const raw = (dtype: SafetensorsTensor['dtype'], bytes: number[]): SafetensorsTensor => ({
    dtype,
    shape: [bytes.length / dtypeSize(dtype)],
    data: new Uint8Array(bytes),
  });
  const values = (t: SafetensorsTensor): number[] => {
    const r = toFloat32(t);
    assert.ok(E.isRight(r));
    return [...r.right];
  };
  it('decodes F16 (1, −2, 65504, the smallest subnormal 2^−24, +∞)', () => {
    assert.deepEqual(values(raw('F16', [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x7c])), [1, -2, 65504, 2 ** -24, Infinity]);
  });
  it('decodes BF16 (1, 3.140625, −0.5)', () => {
    assert.deepEqual(values(raw('BF16', [0x80, 0x3f, 0x49, 0x40, 0x00, 0xbf])), [1, 3.140625, -0.5]);
  });
  it('decodes little-endian integers (I8, I16, U16, I32, I64, U8, BOOL)', () => {
    assert.deepEqual(values(raw('I8', [0xff, 0x7f])), [-1, 127]);
    assert.deepEqual(values(raw('I16', [0xfe, 0xff])), [-2]);
    assert.deepEqual(values(raw('U16', [0xfe, 0xff])), [65534]);
    assert.deepEqual(values(raw('I32', [0x00, 0x01, 0x00, 0x00])), [256]);
    assert.deepEqual(values(raw('I64', [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), [-3]);
    assert.deepEqual(values(raw('U8', [0, 255])), [0, 255]);
    assert.deepEqual(values(raw('BOOL', [0, 1, 7])), [0, 1, 1]);
  });
  it('decodes F64 rounded to float32', () => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, 0.1, true);
    assert.deepEqual(values(raw('F64', [...b])), [Math.fround(0.1)]);
  });
  it('reads a Node Buffer that is a view into a larger pooled allocation', () => {
    const bytes = serializeSafetensors({ w: tensor([3], [1.5, -2, 4]) });
    const pooled = Buffer.from(bytes);
    const r = parseSafetensors(pooled);
    assert.ok(E.isRight(r));
    assert.deepEqual([...E.getOrElseW(() => [])(toFloat32(r.right.tensors.get('w')!))], [1.5, -2, 4]);
  });
  it('rejects converting an F8 tensor by name', () => {
    const r = toFloat32(raw('F8_E4M3', [1]));
    assert.ok(E.isLeft(r));
    assert.equal(r.left.rule, 'convert');
    assert.match(r.left.message, /F8_E4M3/);
  });
  it('round-trips any map of float32 tensors and string metadata', () => {
    const arbName = fc.string({ minLength: 0, maxLength: 6 }).filter((s) => s !== '__metadata__');
    const arbTensor = fc
      .array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 })
      .chain((shape) => fc.float32Array({ minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) }).map((d) => tensor(shape, d)));
    fc.assert(
      fc.property(fc.dictionary(arbName, arbTensor, { maxKeys: 5 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), (ts, meta) => {
        const r = parseSafetensors(serializeSafetensors(ts, meta));
        assert.ok(E.isRight(r));
        assert.deepEqual([...r.right.tensors.keys()].sort(), Object.keys(ts).sort());
        for (const [name, t] of r.right.tensors) {
          assert.deepEqual(t.shape, ts[name]!.shape);
          const back = toFloat32(t);
          assert.ok(E.isRight(back));
          assert.deepEqual([...back.right].map((x) => Object.is(x, -0) ? '-0' : x), [...ts[name]!.data].map((x) => Object.is(x, -0) ? '-0' : x));
        }
        assert.deepEqual(Object.fromEntries(r.right.metadata), { ...meta });
      }),
      { numRuns: 150 },
    );
  });
  it('refuses to write a tensor named __metadata__ or raw bytes of the wrong length', () => {
    assert.throws(() => serializeSafetensors({ __metadata__: tensor([1], [1]) }), /reserved/);
    assert.throws(() => serializeSafetensors({ a: { dtype: 'F16', shape: [3], data: new Uint8Array(5) } }), /needs 6 bytes, got 5/);
  });
});

describe('safetensors: one test per validation rule', () => {
  it('header-too-small: a file shorter than 8 bytes', () => {
    expectRule(new Uint8Array(7), 'header-too-small', /7 bytes/);
    expectRule(new Uint8Array(0), 'header-too-small');
  });
  it('header-too-large: a header length above 100,000,000 bytes, including lengths of 2^32 and more', () => {
    expectRule(file('{}', 0, BigInt(MAX_HEADER_BYTES + 1)), 'header-too-large', /100000001/);
    expectRule(file('{}', 0, 2n ** 32n), 'header-too-large', /4294967296/);
    expectRule(file('{}', 0, 2n ** 64n - 1n), 'header-too-large', /18446744073709551615/);
  });
  it('header-length: a header length that runs past the end of the file', () => {
    expectRule(file('{}', 0, 3n), 'header-length', /header length 3 runs past the end of the file \(10 bytes/);
    expectRule(file('{}', 0, BigInt(MAX_HEADER_BYTES)), 'header-length');
  });
  it('header-utf8: a header that is not UTF-8', () => {
    const bytes = file('{"a":1}');
    bytes[10] = 0xff;
    expectRule(bytes, 'header-utf8');
  });
  it('header-start: a header that does not start with "{"', () => {
    expectRule(file(' {}'), 'header-start');
    expectRule(file('[]'), 'header-start');
  });
  it('header-json: a header that is not JSON, or a JSON value that is not an object', () => {
    expectRule(file('{"a":'), 'header-json', /not valid JSON/);
    expectRule(file('{}x'), 'header-json');
    expectRule(file('{} \u0000'), 'header-json');
  });
  it('metadata: __metadata__ that is not an object of strings', () => {
    expectRule(file({ __metadata__: { a: 1 } }), 'metadata', /"a" must be a string, got number/);
    expectRule(file({ __metadata__: ['x'] }), 'metadata');
    assert.ok(E.isRight(parseSafetensors(file({ __metadata__: null }))));
  });
  it('entry: an entry that is not { dtype, shape, data_offsets }, or has extra fields', () => {
    expectRule(file({ a: 3 }), 'entry', /tensor "a" must be an object/);
    expectRule(file({ a: { dtype: 'F32', shape: [0] } }), 'entry', /data_offsets/);
    expectRule(file({ a: { dtype: 'F32', shape: 1, data_offsets: [0, 0] } }), 'entry', /shape array/);
    expectRule(file({ a: { dtype: 'F32', shape: [0], data_offsets: [0, 0, 0] } }), 'entry', /data_offsets/);
    expectRule(file({ a: { ...f32([0], 0, 0), extra: 1 } }), 'entry', /unknown field "extra"/);
    expectRule(file({ a: { dtype: 3, shape: [0], data_offsets: [0, 0] } }), 'entry', /string dtype/);
  });
  it('dtype: an unknown dtype, and a known one this reader does not support, each named', () => {
    expectRule(file({ a: { dtype: 'F128', shape: [0], data_offsets: [0, 0] } }), 'dtype', /"F128", which is unknown \(supported: BOOL, U8/);
    expectRule(file({ a: { dtype: 'F4', shape: [0], data_offsets: [0, 0] } }), 'dtype', /"F4", which is not supported by this reader/);
    expectRule(file({ a: { dtype: 'toString', shape: [0], data_offsets: [0, 0] } }), 'dtype', /unknown/);
  });
  it('shape: negative, fractional, non-numeric and imprecise (≥ 2^53) dimensions', () => {
    expectRule(file({ a: f32([-1], 0, 0) }), 'shape', /dimension -1/);
    expectRule(file({ a: f32([1.5], 0, 0) }), 'shape', /1\.5/);
    expectRule(file({ a: { dtype: 'F32', shape: ['2'], data_offsets: [0, 0] } }), 'shape');
    expectRule(file('{"a":{"dtype":"F32","shape":[9007199254740993,0],"data_offsets":[0,0]}}'), 'shape', /below 2\^53/);
  });
  it('overflow: an element count or byte count beyond 2^53, even when a later dimension is 0', () => {
    expectRule(file({ a: f32([2 ** 30, 2 ** 30, 2 ** 30, 0], 0, 0) }), 'overflow', /element count/);
    expectRule(file({ a: { dtype: 'F64', shape: [2 ** 51], data_offsets: [0, 0] } }), 'overflow', /× 8 bytes/);
  });
  it('offsets: non-integer or negative offsets, end before begin, and an end past the data section', () => {
    expectRule(file({ a: f32([1], -4, 0) }, 4), 'offsets');
    expectRule(file({ a: f32([1], 0, 4.5) }, 4), 'offsets');
    expectRule(file('{"a":{"dtype":"F32","shape":[0],"data_offsets":[9007199254740993,9007199254740993]}}'), 'offsets', /below 2\^53/);
    expectRule(file({ a: f32([1], 4, 0) }, 4), 'offsets', /ends \(0\) before it begins \(4\)/);
    expectRule(file({ a: f32([2], 0, 8) }, 4), 'offsets', /past the end of the data section \(4 bytes\)/);
  });
  it('size-mismatch: offsets whose span differs from shape × dtype size', () => {
    expectRule(file({ a: f32([2], 0, 4) }, 4), 'size-mismatch', /spans 4 bytes but F32 \[2\] needs 8/);
  });
  it('overlap: two tensors sharing bytes', () => {
    expectRule(file({ a: f32([2], 0, 8), b: f32([1], 4, 8) }, 8), 'overlap', /"b" .* overlaps tensor "a"/);
  });
  it('gap: bytes between two tensors that belong to neither', () => {
    expectRule(file({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12), 'gap', /bytes 4–8/);
    expectRule(file({ a: f32([1], 4, 8) }, 8), 'gap', /bytes 0–4/);
  });
  it('incomplete: trailing bytes after the last tensor', () => {
    expectRule(file({ a: f32([1], 0, 4) }, 5), 'incomplete', /cover 4 bytes but the data section has 5/);
    expectRule(file({}, 1), 'incomplete');
  });
  it('accepts tensors listed in any order, zero-size tensors, and trailing spaces in the header', () => {
    const r = parseSafetensors(file('{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"z":{"dtype":"U8","shape":[0,5],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}   ', 8));
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    assert.deepEqual([...r.right.tensors.keys()], ['a', 'z', 'b']);
  });
});

describe('safetensors: hostile names', () => {
  it('stores names such as __proto__ and constructor as plain entries without touching any prototype', () => {
    const header = '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"constructor":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"__metadata__":{"__proto__":"x","polluted":"y"}}';
    const r = parseSafetensors(file(header, 8));
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    assert.deepEqual([...r.right.tensors.keys()], ['__proto__', 'constructor']);
    assert.equal(r.right.metadata.get('__proto__'), 'x');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
  });
  it('writes and reads back a tensor named __proto__', () => {
    const ts = new Map([['__proto__', tensor([1], [7])]]);
    const r = parseSafetensors(serializeSafetensors(ts));
    assert.ok(E.isRight(r));
    assert.deepEqual([...E.getOrElseW(() => [])(toFloat32(r.right.tensors.get('__proto__')!))], [7]);
  });
});

describe('safetensors: fuzzing', () => {
  const valid = serializeSafetensors(
    { w: tensor([2, 3], [1, 2, 3, 4, 5, 6]), b: tensor([3], [0.5, -1, 2]), e: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } },
    { step: '10' },
  );
  /** Parsing never throws; a success has tensors that fit their shapes inside the buffer. */
  function checkOutcome(bytes: Uint8Array): void {
    const r = parseSafetensors(bytes);
    if (E.isLeft(r)) {
      assert.ok(r.left instanceof SafetensorsError);
      assert.ok(!r.left.message.includes('\n'));
      assert.ok(r.left.message.length < 400, r.left.message);
      return;
    }
    let total = 0;
    for (const t of r.right.tensors.values()) {
      assert.ok(DTYPES.includes(t.dtype));
      assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1) * dtypeSize(t.dtype));
      assert.equal(t.data.buffer, bytes.buffer);
      assert.ok(t.data.byteOffset + t.data.length <= bytes.byteOffset + bytes.length);
      total += t.data.length;
    }
    assert.ok(total <= bytes.length);
  }
  it('random byte strings give a typed error, never an exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => checkOutcome(b)), { numRuns: 500 });
  });
  it('random headers of plausible JSON give a typed error or a consistent file', () => {
    const arbEntry = fc.record({
      dtype: fc.constantFrom('F32', 'U8', 'F16', 'I64', 'X', 'F4'),
      shape: fc.array(fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constant(2 ** 60), fc.double()), { maxLength: 3 }),
      data_offsets: fc.tuple(fc.integer({ min: -2, max: 40 }), fc.integer({ min: -2, max: 40 })),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 3 }), arbEntry, { maxKeys: 4 }), fc.nat({ max: 40 }), (h, n) => checkOutcome(file(h, n))),
      { numRuns: 500 },
    );
  });
  it('mutated valid files (flipped bytes, truncation, extension) give a typed error or a consistent file', () => {
    const arbMutation = fc.oneof(
      fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
        const b = valid.slice();
        for (const [i, v] of flips) b[i] = v;
        return b;
      }),
      fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n)),
      fc.uint8Array({ minLength: 1, maxLength: 16 }).map((tail) => {
        const b = new Uint8Array(valid.length + tail.length);
        b.set(valid);
        b.set(tail, valid.length);
        return b;
      }),
    );
    fc.assert(fc.property(arbMutation, (b) => checkOutcome(b)), { numRuns: 1000 });
  });
  it('a deeply nested header is rejected quickly, without a stack overflow', () => {
    const depth = 200_000;
    const text = `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const t0 = performance.now();
    expectRule(file(text), 'entry');
    assert.ok(performance.now() - t0 < 5000);
  });
  it('a file at the header-length limit is checked without allocating from the claimed sizes', () => {
    const claim = file({ a: f32([2 ** 24, 2 ** 24], 0, 2 ** 50) }, 8);
    expectRule(claim, 'offsets');
  });
});
