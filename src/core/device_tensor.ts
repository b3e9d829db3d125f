import { DeviceTensorError, formatShape } from './errors.js';
import { treeFlatten, treeUnflatten, type Leaf } from './pytree.js';
import { DEVICE_MARK, tensor, type Tensor } from './tensor.js';

/**
 * Device-resident tensors (the README's "Device-resident tensors"): a tensor whose values are
 * in a buffer of a device backend rather than in `data`. It has the shape of any tensor and
 * the `DEVICE_MARK` of `tensor.ts`, which `isTensor` accepts; reading `data` throws a DeviceTensorError naming
 * `materialize`. `materialize(tree)` brings device leaves back to the host (async, one read per
 * backend); `dispose(tree)` frees their buffers now; otherwise a FinalizationRegistry frees a
 * buffer when its tensor is garbage-collected.
 */

const DEVICE = DEVICE_MARK;

/** What holds device buffers (the WebGPU backend), addressed by handle numbers. */
export interface DeviceOwner {
  /** The backend's name, for messages. */
  readonly name: string;
  /** The handles' values, in order, read back in one request without blocking the event loop. */
  read(handles: readonly number[]): Promise<Float32Array[]>;
  /** The same, blocking the calling thread (for `jit`'s tracing by example and synchronous batch tools). */
  readSync(handles: readonly number[]): Float32Array[];
  /** Frees the handles' buffers; never throws (a closed backend has freed them already). */
  release(handles: readonly number[]): void;
}

/** A device tensor's buffer: its owner and handle; `disposed` once `dispose` freed it. */
export type DeviceRef = { readonly owner: DeviceOwner; readonly handle: number; disposed: boolean };

type Held = Readonly<{ owner: DeviceOwner; handle: number }>;

const finalizer = new FinalizationRegistry<Held>((h) => h.owner.release([h.handle]));

/** The device buffer of `x`, or undefined for a host tensor (or anything else). */
export function deviceRefOf(x: unknown): DeviceRef | undefined {
  return typeof x === 'object' && x !== null ? (x as { [DEVICE]?: DeviceRef })[DEVICE] : undefined;
}

export const isDeviceTensor = (x: unknown): x is Tensor => deviceRefOf(x) !== undefined;

/** A tensor of `shape` whose values are buffer `handle` of `owner`; the caller hands the buffer over. */
export function deviceTensor(shape: readonly number[], owner: DeviceOwner, handle: number): Tensor {
  const ref: DeviceRef = { owner, handle, disposed: false };
  const frozenShape = Object.freeze([...shape]);
  const t = Object.freeze(
    Object.defineProperties(
      {},
      {
        shape: { value: frozenShape, enumerable: true },
        data: {
          get(): never {
            throw new DeviceTensorError(
              ref.disposed
                ? `a disposed device tensor ${formatShape(frozenShape)} was read`
                : `the tensor ${formatShape(frozenShape)} is on the ${owner.name} device: read it with \`await materialize(tree)\` first (eager ops and other backends take host tensors)`,
            );
          },
        },
        [DEVICE]: { value: ref },
      },
    ),
  ) as Tensor;
  finalizer.register(t, { owner, handle }, ref);
  return t;
}

type Pending = { refs: DeviceRef[]; at: number[] };

/** The device leaves of `leaves` grouped by owner, with their positions; a disposed one is an error. */
function byOwner(leaves: readonly Leaf[]): Map<DeviceOwner, Pending> {
  const groups = new Map<DeviceOwner, Pending>();
  leaves.forEach((l, i) => {
    const ref = deviceRefOf(l);
    if (ref === undefined) return;
    if (ref.disposed) throw new DeviceTensorError(`materialize: leaf ${i} (${formatShape((l as Tensor).shape)}) was disposed`);
    let g = groups.get(ref.owner);
    if (g === undefined) groups.set(ref.owner, (g = { refs: [], at: [] }));
    g.refs.push(ref);
    g.at.push(i);
  });
  return groups;
}

/**
 * `tree` with every device tensor replaced by a host tensor of its values (host leaves and
 * numbers as they are): one read request per device backend. The event loop keeps turning
 * while the device works; a read that does not come in time rejects (the backend's timeout).
 */
export async function materialize<T>(tree: T): Promise<T> {
  const { leaves, treedef } = treeFlatten(tree);
  const groups = byOwner(leaves);
  if (groups.size === 0) return tree;
  const out = [...leaves];
  await Promise.all(
    [...groups].map(async ([owner, g]) => {
      const data = await owner.read(g.refs.map((r) => r.handle));
      g.at.forEach((i, k) => (out[i] = tensor((leaves[i] as Tensor).shape, data[k]!)));
    }),
  );
  return treeUnflatten<T>(treedef, out);
}

/**
 * `materialize` blocking the calling thread: for `jit`'s tracing by example and for synchronous
 * batch tools (the conformance runner); not exported from the package, whose users await `materialize`.
 */
export function materializeSync<T>(tree: T): T {
  const { leaves, treedef } = treeFlatten(tree);
  const groups = byOwner(leaves);
  if (groups.size === 0) return tree;
  const out = [...leaves];
  for (const [owner, g] of groups) {
    const data = owner.readSync(g.refs.map((r) => r.handle));
    g.at.forEach((i, k) => (out[i] = tensor((leaves[i] as Tensor).shape, data[k]!)));
  }
  return treeUnflatten<T>(treedef, out);
}

/** Frees the device buffers of every device leaf of `tree` now (host leaves are untouched); reading one afterwards is an error. */
export function dispose(tree: unknown): void {
  for (const [owner, g] of byOwnerLenient(treeFlatten(tree).leaves)) {
    for (const r of g) {
      r.disposed = true;
      finalizer.unregister(r);
    }
    owner.release(g.map((r) => r.handle));
  }
}

/** Device refs not yet disposed, each once (a tensor may appear twice in a tree), by owner. */
function byOwnerLenient(leaves: readonly Leaf[]): Map<DeviceOwner, DeviceRef[]> {
  const groups = new Map<DeviceOwner, DeviceRef[]>();
  const seen = new Set<DeviceRef>();
  for (const l of leaves) {
    const ref = deviceRefOf(l);
    if (ref === undefined || ref.disposed || seen.has(ref)) continue;
    seen.add(ref);
    const g = groups.get(ref.owner) ?? [];
    g.push(ref);
    groups.set(ref.owner, g);
  }
  return groups;
}
