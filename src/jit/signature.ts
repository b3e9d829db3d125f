import { describeTreeDef, treeDefEqual, treeFlatten, treePaths, type Leaf, type TreeDef } from '../core/pytree.js';
import { isDeviceTensor } from '../core/device_tensor.js';
import type { Tensor } from '../core/tensor.js';
import { exampleValue } from './trace.js';

/**
 * The cache key of a jitted call: the arguments' structure, and per leaf its dtype and shape
 * (tensors) or its value (numbers, which are static). Two calls with equal keys trace to the
 * same graph.
 */
export type LeafSignature = Readonly<{ path: string; text: string }>;

export type Signature = Readonly<{
  key: string;
  treedef: TreeDef;
  leaves: readonly LeafSignature[];
  /** The flattened argument leaves of this call. */
  values: readonly Leaf[];
}>;

/** The element type (every tensor is float32 today; kept in the key so a second dtype cannot reuse a graph). */
const dtypeOf = (t: Tensor): string => {
  if (isDeviceTensor(t)) return 'float32';
  const d: ArrayBufferView = exampleValue(t).data;
  return d instanceof Float32Array ? 'float32' : d.constructor.name;
};

const numberText = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

/** The signature of a call's arguments; the leaves' paths (only messages need them) are worked out when first read. */
export function signatureOf(args: readonly unknown[]): Signature {
  const { leaves, treedef } = treeFlatten(args);
  const texts = leaves.map((l) => (typeof l === 'number' ? `number ${numberText(l)}` : `${dtypeOf(l)}[${l.shape.join(', ')}]`));
  let sigs: LeafSignature[] | undefined;
  return {
    key: `${describeTreeDef(treedef)}|${texts.join(';')}`,
    treedef,
    get leaves() {
      if (sigs === undefined) {
        const paths = treePaths(args);
        sigs = texts.map((text, i) => ({ path: `args${paths[i] ?? `<leaf ${i}>`}`, text }));
      }
      return sigs;
    },
    values: leaves,
  };
}

/** What changed from `before` to `after`, in words (for the debug message on a retrace). */
export function describeChange(before: Signature, after: Signature): string {
  if (!treeDefEqual(before.treedef, after.treedef)) {
    return `the arguments' structure changed from ${describeTreeDef(before.treedef)} to ${describeTreeDef(after.treedef)}`;
  }
  const i = after.leaves.findIndex((s, j) => s.text !== before.leaves[j]!.text);
  const a = after.leaves[i]!;
  return `${a.path} changed from ${before.leaves[i]!.text} to ${a.text}`;
}
