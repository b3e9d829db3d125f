import * as E from 'fp-ts/lib/Either.js';
import { ParseError, ValueError } from '../core/errors.js';
import { isTensor, tensor, type Tensor } from '../core/tensor.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type Safetensors } from './safetensors.js';

/**
 * A whole pytree (params, layer state, optimiser state, RNG key, step, any numbers and static
 * values) as one safetensors file, and back, bit for bit.
 *
 * Tensors become float32 safetensors entries named by their path (`g.params.0.weight`, array
 * indices as numbers, object keys as they are; a name already taken gets a `~1`, `~2` suffix).
 * The structure goes into the metadata as JSON under `puregan.tree`, with every non-tensor
 * leaf in place, so the file alone rebuilds the tree:
 *
 *     { "T": name }                        a tensor
 *     { "N": 1.5 } / { "N": "-0" | "NaN" | "Infinity" | "-Infinity" }   a number, exactly
 *     { "S": null | "text" | true } / { "U": 1 }                          static values / undefined
 *     { "A": [node, ...] }                 an array
 *     { "O": [[key, node], ...] }          an object (keys in order; `__proto__` is an ordinary key)
 *
 * `puregan.format` is `puregan-pytree/1`. Other metadata keys are the caller's (strings), and may
 * not start with `puregan.`.
 */

export const PYTREE_FORMAT = 'puregan-pytree/1';
const FORMAT_KEY = 'puregan.format';
const TREE_KEY = 'puregan.tree';
/** Structures nested deeper than this are refused when decoding (hostile files). */
export const MAX_TREE_DEPTH = 64;

type Node =
  | { T: string }
  | { N: number | string }
  | { S: null | string | boolean }
  | { U: 1 }
  | { A: Node[] }
  | { O: [string, Node][] };

const isPlainObject = (x: unknown): x is Record<string, unknown> => {
  if (typeof x !== 'object' || x === null) return false;
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
};

function encodeNumber(x: number): number | string {
  if (Object.is(x, -0)) return '-0';
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return x;
}

/**
 * Encodes a pytree as safetensors bytes. Throws ValueError for a value that is not a pytree node
 * (a class instance, a function, a typed array that is not in a tensor) or a reserved metadata key.
 */
export function encodePytree(tree: unknown, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  for (const k of Object.keys(metadata)) {
    if (k.startsWith('puregan.')) throw new ValueError(`metadata key "${k}" is reserved (keys starting with "puregan." belong to the format)`);
  }
  const tensors = new Map<string, Tensor>();
  const nameFor = (path: string): string => {
    const base = path === '' ? '<root>' : path;
    let name = base;
    for (let i = 1; tensors.has(name); i++) name = `${base}~${i}`;
    return name;
  };
  const walk = (x: unknown, path: string, where: string): Node => {
    if (isTensor(x)) {
      const name = nameFor(path);
      tensors.set(name, x);
      return { T: name };
    }
    if (typeof x === 'number') return { N: encodeNumber(x) };
    if (x === undefined) return { U: 1 };
    if (x === null || typeof x === 'string' || typeof x === 'boolean') return { S: x };
    const join = (k: string | number): string => (path === '' ? String(k) : `${path}.${k}`);
    if (Array.isArray(x)) return { A: x.map((c, i) => walk(c, join(i), `${where}[${i}]`)) };
    if (isPlainObject(x)) return { O: Object.keys(x).map((k) => [k, walk(x[k], join(k), `${where}.${k}`)] as [string, Node]) };
    throw new ValueError(`cannot encode ${where || '<root>'}: expected a tensor, number, string, boolean, null, array or plain object, got ${Object.prototype.toString.call(x)}`);
  };
  const root = walk(tree, '', '');
  return serializeSafetensors(tensors, { ...metadata, [FORMAT_KEY]: PYTREE_FORMAT, [TREE_KEY]: JSON.stringify(root) });
}

/** A decoded file: the tree, and the caller's metadata (without the `puregan.` keys). */
export type DecodedPytree = Readonly<{ tree: unknown; metadata: Readonly<Record<string, string>> }>;

/** Decodes (and validates) safetensors bytes written by `encodePytree`. */
export function decodePytree(bytes: Uint8Array): E.Either<ParseError, DecodedPytree> {
  const parsed = parseSafetensors(bytes);
  if (E.isLeft(parsed)) return parsed;
  return fromSafetensors(parsed.right);
}

/** Rebuilds the pytree of an already parsed file. */
export function fromSafetensors(file: Safetensors): E.Either<ParseError, DecodedPytree> {
  const bad = (m: string): E.Either<ParseError, never> => E.left(new ParseError(`not a valid puregan pytree file: ${m}`));
  const format = file.metadata.get(FORMAT_KEY);
  if (format === undefined) return bad(`its metadata has no "${FORMAT_KEY}" (was it written by puregan?)`);
  if (format !== PYTREE_FORMAT) return bad(`format "${format.slice(0, 40)}" is not the supported "${PYTREE_FORMAT}"`);
  const text = file.metadata.get(TREE_KEY);
  if (text === undefined) return bad(`its metadata has no "${TREE_KEY}"`);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return bad(`"${TREE_KEY}" is not valid JSON`);
  }
  const used = new Set<string>();
  class Invalid extends Error {}
  const build = (n: unknown, where: string, depth: number): unknown => {
    const at = where || '<root>';
    if (depth > MAX_TREE_DEPTH) throw new Invalid(`the structure is nested deeper than ${MAX_TREE_DEPTH} levels at ${at}`);
    if (!isPlainObject(n) || Object.keys(n).length !== 1) throw new Invalid(`node ${at} is not a structure node`);
    const [kind] = Object.keys(n) as [string];
    const v = n[kind];
    switch (kind) {
      case 'T': {
        if (typeof v !== 'string') throw new Invalid(`tensor node ${at} has no name`);
        const t = file.tensors.get(v);
        if (t === undefined) throw new Invalid(`tensor "${v.slice(0, 60)}" (at ${at}) is not in the file`);
        if (used.has(v)) throw new Invalid(`tensor "${v.slice(0, 60)}" is used twice (again at ${at})`);
        if (t.dtype !== 'F32') throw new Invalid(`tensor "${v.slice(0, 60)}" is ${t.dtype}; puregan pytree files hold F32 tensors`);
        used.add(v);
        const data = toFloat32(t);
        if (E.isLeft(data)) throw new Invalid(data.left.message);
        return tensor(t.shape, data.right);
      }
      case 'N': {
        if (typeof v === 'number') return v;
        const special: Record<string, number> = { '-0': -0, NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
        if (typeof v === 'string' && Object.prototype.hasOwnProperty.call(special, v)) return special[v];
        throw new Invalid(`number node ${at} holds ${JSON.stringify(v)?.slice(0, 30)}`);
      }
      case 'S':
        if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
        throw new Invalid(`static node ${at} holds a ${typeof v}`);
      case 'U':
        return undefined;
      case 'A':
        if (!Array.isArray(v)) throw new Invalid(`array node ${at} holds no array`);
        return Object.freeze(v.map((c, i) => build(c, `${where}[${i}]`, depth + 1)));
      case 'O': {
        if (!Array.isArray(v)) throw new Invalid(`object node ${at} holds no entries`);
        const out: Record<string, unknown> = {};
        for (const entry of v as unknown[]) {
          if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') throw new Invalid(`object node ${at} has a malformed entry`);
          const k = entry[0];
          if (Object.prototype.hasOwnProperty.call(out, k)) throw new Invalid(`object node ${at} repeats the key ${JSON.stringify(k).slice(0, 40)}`);
          Object.defineProperty(out, k, { value: build(entry[1], `${where}.${k}`, depth + 1), enumerable: true, writable: false, configurable: false });
        }
        return Object.freeze(out);
      }
      default:
        throw new Invalid(`node ${at} has the unknown kind ${JSON.stringify(kind).slice(0, 20)}`);
    }
  };
  let tree: unknown;
  try {
    tree = build(root, '', 0);
  } catch (e) {
    if (e instanceof Invalid) return bad(e.message);
    throw e;
  }
  const unused = [...file.tensors.keys()].filter((k) => !used.has(k));
  if (unused.length > 0) return bad(`tensor${unused.length > 1 ? 's' : ''} ${unused.slice(0, 3).map((k) => `"${k.slice(0, 60)}"`).join(', ')}${unused.length > 3 ? ', ...' : ''} belong to no place in the structure`);
  const metadata: Record<string, string> = {};
  for (const [k, v] of file.metadata) if (!k.startsWith('puregan.')) Object.defineProperty(metadata, k, { value: v, enumerable: true });
  return E.right({ tree, metadata: Object.freeze(metadata) });
}
