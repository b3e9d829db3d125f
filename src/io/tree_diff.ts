import { formatShape } from '../core/errors.js';
import { isTensor, shapesEqual } from '../core/tensor.js';

/**
 * Every way `actual` differs in structure from `expected` (the tree a config builds), one line
 * each, named by path: missing or unexpected keys, arrays of another length, a tensor where a
 * number was expected, tensors of another shape, static values (strings, booleans, null) that
 * differ. Leaf values are not compared. Empty when the structures and shapes agree.
 *
 *     treeDifferences({ w: zeros([3]) }, { w: zeros([4]), b: 1 })
 *       → ['w: shape [4], expected [3]', 'b: unexpected']
 */
export function treeDifferences(expected: unknown, actual: unknown): string[] {
  const out: string[] = [];
  const kind = (x: unknown): string =>
    isTensor(x) ? 'tensor' : Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x === 'object' ? 'object' : typeof x;
  const walk = (e: unknown, a: unknown, path: string): void => {
    const at = path || '<root>';
    const ke = kind(e);
    const ka = kind(a);
    if (ke !== ka) {
      out.push(`${at}: ${ka === 'undefined' ? 'missing' : `a ${ka}`}, expected ${ke === 'undefined' ? 'nothing' : `a ${ke}`}`);
      return;
    }
    if (isTensor(e) && isTensor(a)) {
      if (!shapesEqual(e.shape, a.shape)) out.push(`${at}: shape ${formatShape(a.shape)}, expected ${formatShape(e.shape)}`);
      return;
    }
    if (Array.isArray(e) && Array.isArray(a)) {
      if (e.length !== a.length) out.push(`${at}: ${a.length} entries, expected ${e.length}`);
      for (let i = 0; i < Math.min(e.length, a.length); i++) walk(e[i], a[i], `${path}[${i}]`);
      return;
    }
    if (ke === 'object') {
      const eo = e as Record<string, unknown>;
      const ao = a as Record<string, unknown>;
      const join = (k: string): string => (path === '' ? k : `${path}.${k}`);
      for (const k of Object.keys(eo)) {
        if (Object.prototype.hasOwnProperty.call(ao, k)) walk(eo[k], ao[k], join(k));
        else out.push(`${join(k)}: missing`);
      }
      for (const k of Object.keys(ao)) if (!Object.prototype.hasOwnProperty.call(eo, k)) out.push(`${join(k)}: unexpected`);
      return;
    }
    if (ke !== 'number' && ke !== 'undefined' && e !== a) out.push(`${at}: ${JSON.stringify(a)}, expected ${JSON.stringify(e)}`);
  };
  walk(expected, actual, '');
  return out;
}
