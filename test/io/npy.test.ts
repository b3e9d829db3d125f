import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { parseNpy } from '../../src/io/npy.js';

// Files written by NumPy 2.4 (np.save, or np.lib.format.write_array with version=(2, 0)):
const NUMPY = {
  // np.array([[0.5, -1, 1], [0.25, 0, -0.75]], dtype='<f4')
  f4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAA/AACAvwAAgD8AAIA+AAAAAAAAQL8=',
  // np.array([[[0, 255], [127, 128]], [[1, 2], [3, 4]]], dtype='u1')
  u1: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoA/3+AAQIDBA==',
  // np.array([2, 0, 1], dtype='<i8')
  i8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoCAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAA=',
  // np.arange(3, dtype='<i4'), format version 2.0
  v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8aTQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAQAAAAIAAAA=',
  // np.array([1.5, -2.0], dtype='<f8')
  f8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD4PwAAAAAAAADA',
  // np.array(3.0, dtype='<f4'), a 0-d array
  scalar: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAEBA',
  // np.array([1.0], dtype='>f4')
  bigEndian: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/gAAA',
  // np.asfortranarray(np.zeros((2, 3), dtype='<f4'))
  fortran: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  // np.zeros(2, dtype=[('a', '<f4')])
  structured: 'k05VTVBZAQB2AHsnZGVzY3InOiBbKCdhJywgJzxmNCcpXSwgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAA==',
};
const bytes = (name: keyof typeof NUMPY): Uint8Array => new Uint8Array(Buffer.from(NUMPY[name], 'base64'));

function read(name: keyof typeof NUMPY) {
  const r = parseNpy(bytes(name));
  assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
  return r.right;
}
function refuse(b: Uint8Array, pattern: RegExp) {
  const r = parseNpy(b, 'x.npy');
  assert.ok(E.isLeft(r), 'expected an error');
  assert.match(r.left.message, pattern);
  assert.ok(r.left.message.startsWith('x.npy: '));
}

describe('.npy files written by NumPy', () => {
  it('reads float32, uint8, int64, int32 (format 2.0), float64 and 0-d arrays with their shapes', () => {
    const f4 = read('f4');
    assert.deepEqual([f4.dtype, f4.shape, [...f4.data]], ['f4', [2, 3], [0.5, -1, 1, 0.25, 0, -0.75]]);
    const u1 = read('u1');
    assert.deepEqual([u1.dtype, u1.shape, [...u1.data]], ['u1', [2, 2, 2], [0, 255, 127, 128, 1, 2, 3, 4]]);
    assert.deepEqual([...read('i8').data], [2n, 0n, 1n]);
    assert.deepEqual([read('v2').dtype, [...read('v2').data]], ['i4', [0, 1, 2]]);
    assert.deepEqual([...read('f8').data], [1.5, -2]);
    assert.deepEqual([read('scalar').shape, [...read('scalar').data]], [[], [3]]);
  });
  it('refuses big-endian, Fortran-order and structured arrays by name', () => {
    refuse(bytes('bigEndian'), /'>f4' is big-endian/);
    refuse(bytes('fortran'), /Fortran-order/);
    refuse(bytes('structured'), /no 'descr' string \(structured dtypes/);
  });
  it('refuses a file without the magic, a cut-off header and data of the wrong length', () => {
    refuse(new TextEncoder().encode('PK\u0003\u0004 not numpy'), /no \\x93NUMPY magic/);
    refuse(bytes('f4').subarray(0, 40), /runs past the end/);
    refuse(bytes('f4').subarray(0, bytes('f4').length - 1), /needs 24 data bytes, the file has 23/);
    const v9 = bytes('f4');
    v9[6] = 9;
    refuse(v9, /format version 9\.0/);
  });
  it('never throws on mutated files', () => {
    const good = bytes('u1');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat({ max: good.length }), (flips, cut) => {
        const b = good.slice(0, cut);
        for (const [i, v] of flips) if (i < b.length) b[i] = v;
        const r = parseNpy(b);
        if (E.isRight(r)) assert.equal(r.right.data.length, r.right.shape.reduce((a, c) => a * c, 1));
      }),
      { numRuns: 500 },
    );
  });
});
