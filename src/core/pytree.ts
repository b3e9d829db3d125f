import { ShapeError, ValueError } from './errors.js';
import { isTensor, type Tensor } from './tensor.js';

/**
 * Pytrees: nested plain objects and arrays whose leaves are tensors or numbers. Params, layer
 * state, optimiser state, train state and metrics are all pytrees.
 *
 * Flattening order is stable and documented: arrays by index, objects by *sorted* key (as
 * JAX does for dicts), depth first. `null`, `undefined`, strings and booleans are static:
 * they are kept in the structure, not returned as leaves.
 */
export type Leaf = Tensor | number;
export type PyTree =
  | Leaf
  | null
  | undefined
  | string
  | boolean
  | readonly PyTree[]
  | { readonly [k: string]: PyTree };

/** The structure of a pytree without its leaves. */
export type TreeDef =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'static'; readonly value: null | undefined | string | boolean }
  | { readonly kind: 'array'; readonly children: readonly TreeDef[] }
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly children: readonly TreeDef[] };

export const isLeaf = (x: unknown): x is Leaf => typeof x === 'number' || isTensor(x);

function isStatic(x: unknown): x is null | undefined | string | boolean {
  return x === null || x === undefined || typeof x === 'string' || typeof x === 'boolean';
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Leaves in a stable depth-first order, and the structure to rebuild the tree. The path to the
 * current node is kept as a stack of keys and indices, turned into text only for an error.
 */
export function treeFlatten(tree: unknown): { leaves: Leaf[]; treedef: TreeDef } {
  const leaves: Leaf[] = [];
  const path: (string | number)[] = [];
  const child = (x: unknown, at: string | number): TreeDef => {
    path.push(at);
    const d = walk(x);
    path.pop();
    return d;
  };
  const walk = (x: unknown): TreeDef => {
    if (isLeaf(x)) {
      leaves.push(x);
      return { kind: 'leaf' };
    }
    if (isStatic(x)) return { kind: 'static', value: x };
    if (Array.isArray(x)) return { kind: 'array', children: x.map((c, i) => child(c, i)) };
    if (isPlainObject(x)) {
      const keys = Object.keys(x).sort();
      return { kind: 'object', keys, children: keys.map((k) => child(x[k], k)) };
    }
    const at = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
    throw new ValueError(
      `not a pytree node at ${at || '<root>'}: expected a tensor, number, array or plain object, got ${Object.prototype.toString.call(x)}`,
    );
  };
  const treedef = walk(tree);
  return { leaves, treedef };
}

/** Rebuilds a tree from its structure and leaves (in `treeFlatten` order). */
export function treeUnflatten<T = PyTree>(treedef: TreeDef, leaves: readonly Leaf[]): T {
  let i = 0;
  const build = (d: TreeDef): unknown => {
    switch (d.kind) {
      case 'leaf': {
        if (i >= leaves.length) throw new ValueError(`treeUnflatten: structure needs more than ${leaves.length} leaves`);
        return leaves[i++];
      }
      case 'static':
        return d.value;
      case 'array':
        return Object.freeze(d.children.map(build));
      case 'object': {
        const o: Record<string, unknown> = {};
        d.keys.forEach((k, j) => {
          o[k] = build(d.children[j]!);
        });
        return Object.freeze(o);
      }
    }
  };
  const out = build(treedef);
  if (i !== leaves.length) throw new ValueError(`treeUnflatten: structure holds ${i} leaves but ${leaves.length} were given`);
  return out as T;
}

/** Leaves of a tree in flatten order. */
export const treeLeaves = (tree: unknown): Leaf[] => treeFlatten(tree).leaves;

/** True when two structures are identical (same nesting, keys and static values). */
export function treeDefEqual(a: TreeDef, b: TreeDef): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'leaf':
      return true;
    case 'static':
      return a.value === (b as typeof a).value;
    case 'array': {
      const bc = (b as typeof a).children;
      return a.children.length === bc.length && a.children.every((c, i) => treeDefEqual(c, bc[i]!));
    }
    case 'object': {
      const bo = b as typeof a;
      return (
        a.keys.length === bo.keys.length &&
        a.keys.every((k, i) => k === bo.keys[i]) &&
        a.children.every((c, i) => treeDefEqual(c, bo.children[i]!))
      );
    }
  }
}

/** Short description of a structure, for error messages. */
export function describeTreeDef(d: TreeDef): string {
  switch (d.kind) {
    case 'leaf':
      return '*';
    case 'static':
      return JSON.stringify(d.value) ?? 'undefined';
    case 'array':
      return `[${d.children.map(describeTreeDef).join(', ')}]`;
    case 'object':
      return `{${d.keys.map((k, i) => `${k}: ${describeTreeDef(d.children[i]!)}`).join(', ')}}`;
  }
}

/** Maps `f` over the leaves of one tree, keeping its structure. */
export function treeMap<T>(f: (leaf: Leaf, index: number) => Leaf, tree: T): T {
  const { leaves, treedef } = treeFlatten(tree);
  return treeUnflatten<T>(treedef, leaves.map(f));
}

/**
 * Maps `f` over corresponding leaves of trees of the same structure, JAX's
 * `tree_map(f, tree, *rest)`: `treeZipWith((g, t) => add(g, mul(t, decay)), grads, trace)`.
 * `f` takes one leaf per tree, in the order the trees are given; the result has the structure
 * of `first`. Throws a ShapeError naming both structures when a tree's structure (nesting, keys,
 * static values) differs from the first's.
 */
export function treeZipWith<T, R extends readonly unknown[]>(
  f: (first: Leaf, ...rest: { [K in keyof R]: Leaf }) => Leaf,
  first: T,
  ...rest: R
): T {
  const head = treeFlatten(first);
  const others = rest.map((tree, i) => {
    const fl = treeFlatten(tree);
    if (!treeDefEqual(head.treedef, fl.treedef)) {
      throw new ShapeError(
        `pytree structures differ: tree 0 is ${describeTreeDef(head.treedef)} but tree ${i + 1} is ${describeTreeDef(fl.treedef)}`,
      );
    }
    return fl.leaves;
  });
  const out = head.leaves.map((leaf, j) => f(leaf, ...(others.map((ls) => ls[j]!) as { [K in keyof R]: Leaf })));
  return treeUnflatten<T>(head.treedef, out);
}

/** Pairs the leaves of two trees of the same structure. */
export function treeZip(a: unknown, b: unknown): Array<[Leaf, Leaf]> {
  const fa = treeFlatten(a);
  const fb = treeFlatten(b);
  if (!treeDefEqual(fa.treedef, fb.treedef)) {
    throw new ShapeError(`pytree structures differ: ${describeTreeDef(fa.treedef)} vs ${describeTreeDef(fb.treedef)}`);
  }
  return fa.leaves.map((l, i) => [l, fb.leaves[i]!]);
}

/** Paths of the leaves in flatten order, e.g. `layers[0].weight`. */
export function treePaths(tree: unknown): string[] {
  const out: string[] = [];
  const walk = (x: unknown, path: string): void => {
    if (isLeaf(x)) out.push(path);
    else if (Array.isArray(x)) x.forEach((c, i) => walk(c, `${path}[${i}]`));
    else if (isPlainObject(x)) for (const k of Object.keys(x).sort()) walk(x[k], path ? `${path}.${k}` : k);
  };
  walk(tree, '');
  return out;
}
