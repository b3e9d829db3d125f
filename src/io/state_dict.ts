import * as E from 'fp-ts/lib/Either.js';
import { ValueError, formatShape } from '../core/errors.js';
import { isTensor, shapesEqual, type Tensor } from '../core/tensor.js';
import { spectralSigma } from '../nn/spectral.js';

/**
 * A layer's params and state as one flat table of PyTorch `state_dict` names, and back.
 *
 * puregan keeps params and state in two trees of the same nesting; PyTorch keeps parameters and
 * buffers on one module tree. `stateDict(params, state)` walks both trees together and names
 * every tensor as PyTorch does for the matching module, so a generator written with
 * `safetensors.torch.save_file(stateDict(...))` — or the equivalent file from puregan — loads
 * into the matching `torch.nn.Sequential` with `load_state_dict(strict=True)`:
 *
 * | puregan                                   | PyTorch name                                  |
 * |-------------------------------------------|-----------------------------------------------|
 * | `sequential(...)`: params/state arrays    | children `0.`, `1.`, ... (as `nn.Sequential`)  |
 * | Linear / Conv2d / ConvTranspose2d / Embedding `weight`, `bias` | `weight`, `bias` (same layouts) |
 * | BatchNorm / InstanceNorm / LayerNorm γ, β | `weight`, `bias`                              |
 * | BatchNorm state `runningMean`, `runningVar` | `running_mean`, `running_var`               |
 * | `spectralNorm(layer)` params `weight`     | `weight_orig`                                 |
 * | `spectralNorm(layer)` state `u`, `v`      | `weight_u`, `weight_v`                        |
 * | any other object key `fooBar`             | `foo_bar` (camelCase → snake_case), nested with `.` |
 *
 * Spectral norm follows `torch.nn.utils.spectral_norm` (the form GAN code bases such as
 * StudioGAN and BigGAN-PyTorch use), not the newer `parametrizations.spectral_norm`
 * (`parametrizations.weight.original`, `...0._u`): its u `[out]` and v `[in·kh·kw]` are
 * PyTorch's `weight_u`, `weight_v` exactly, and PyTorch's load hook accepts `weight_orig`,
 * `weight_u`, `weight_v` without `weight` as a current-version state dict. A spectral-norm node
 * is recognised by its state `{ inner, u, v, sigma }` (the shape `nn.spectralNorm` gives it); `inner`
 * (the wrapped layer's state) is named on the same module, as PyTorch wraps in place. PyTorch
 * keeps no σ, so `sigma` is not written, and loading recomputes it as uᵀ W v from the loaded
 * `weight_orig`, `weight_u`, `weight_v` (what `refresh` would report for them). (For a
 * ConvTranspose2d PyTorch normalises along dim 1, u `[out]`, while puregan's weight matrix is
 * `[in, out·kh·kw]`: names match there, u and v do not; SN-GAN and friends put spectral norm on
 * the discriminator's Conv2d and Linear layers, where both agree.)
 *
 * BatchNorm's `num_batches_tracked` (an int64 count PyTorch keeps) is not written: PyTorch fills
 * it in when a state dict without version metadata lacks it, and puregan's momentum does not
 * use it. When loading, a `num_batches_tracked` next to a `running_mean` is accepted and
 * ignored. Number leaves (not tensors) are not part of a state dict; loading keeps the
 * template's.
 */

/** Where a named tensor lives: which tree, and the path of keys/indices inside it. */
export type StateDictEntry = Readonly<{ name: string; tree: 'params' | 'state'; path: readonly (string | number)[]; tensor: Tensor }>;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x) && !isTensor(x);
/** The state `nn.spectralNorm` keeps: `{ inner, u, v, sigma }` (`sigma` optional here). */
const isSpectralState = (s: unknown): s is Readonly<{ inner: unknown; u: Tensor; v: Tensor; sigma?: Tensor }> =>
  isObject(s) &&
  'inner' in s &&
  isTensor(s['u']) &&
  isTensor(s['v']) &&
  (s['sigma'] === undefined || isTensor(s['sigma'])) &&
  Object.keys(s).every((k) => k === 'inner' || k === 'u' || k === 'v' || k === 'sigma');

/** camelCase → snake_case, as PyTorch names buffers (`runningMean` → `running_mean`). */
export const snakeCase = (k: string): string => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/**
 * Every tensor of a layer's params and state with its PyTorch name, in a stable order.
 * Throws ValueError if two tensors would get the same name.
 */
export function stateDictEntries(params: unknown, state: unknown): StateDictEntry[] {
  return walkStateDict(params, state).entries;
}

/** A spectral-norm node: its name prefix and where its σ lives in the state tree. */
type SpectralNode = Readonly<{ prefix: string; sigmaPath: readonly (string | number)[] }>;

function walkStateDict(params: unknown, state: unknown): { entries: StateDictEntry[]; spectral: SpectralNode[] } {
  const out: StateDictEntry[] = [];
  const spectral: SpectralNode[] = [];
  const seen = new Map<string, StateDictEntry>();
  const emit = (name: string, tree: 'params' | 'state', path: readonly (string | number)[], t: Tensor): void => {
    const prior = seen.get(name);
    if (prior) {
      throw new ValueError(`state dict name "${name}" is produced twice: by ${prior.tree} ${formatPath(prior.path)} and by ${tree} ${formatPath(path)}`);
    }
    const e = { name, tree, path, tensor: t };
    seen.set(name, e);
    out.push(e);
  };
  type Side = { tree: 'params' | 'state'; value: unknown; path: readonly (string | number)[] };
  const walk = (sides: Side[], prefix: string, renameWeight: boolean): void => {
    const stateSide = sides.find((s) => s.tree === 'state');
    if (stateSide && isSpectralState(stateSide.value)) {
      const sn = stateSide.value;
      emit(`${prefix}weight_u`, 'state', [...stateSide.path, 'u'], sn.u);
      emit(`${prefix}weight_v`, 'state', [...stateSide.path, 'v'], sn.v);
      if (sn.sigma !== undefined) spectral.push({ prefix, sigmaPath: [...stateSide.path, 'sigma'] });
      walk(
        sides.map((s) => (s.tree === 'state' ? { ...s, value: sn.inner, path: [...s.path, 'inner'] } : s)),
        prefix,
        true,
      );
      return;
    }
    const children = new Map<string | number, Side[]>();
    for (const side of sides) {
      const v = side.value;
      if (Array.isArray(v)) v.forEach((c, i) => pushChild(children, i, { tree: side.tree, value: c, path: [...side.path, i] }));
      else if (isObject(v)) for (const k of Object.keys(v).sort()) pushChild(children, k, { tree: side.tree, value: v[k], path: [...side.path, k] });
    }
    for (const [key, kids] of children) {
      const base = typeof key === 'number' ? String(key) : snakeCase(key);
      for (const kid of kids) {
        if (!isTensor(kid.value)) continue;
        const name = renameWeight && kid.tree === 'params' && key === 'weight' ? 'weight_orig' : base;
        emit(`${prefix}${name}`, kid.tree, kid.path, kid.value);
      }
      const nested = kids.filter((k) => Array.isArray(k.value) || isObject(k.value));
      if (nested.length > 0) walk(nested, `${prefix}${base}.`, false);
    }
  };
  walk(
    [
      { tree: 'params', value: params, path: [] },
      { tree: 'state', value: state, path: [] },
    ],
    '',
    false,
  );
  return { entries: out, spectral };
}

function pushChild<K>(m: Map<K, unknown[]>, k: K, v: unknown): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

const formatPath = (p: readonly (string | number)[]): string => (p.length === 0 ? '<root>' : p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join(''));

/** The state dict of a layer: PyTorch name → tensor (insertion order as `stateDictEntries`). */
export function stateDict(params: unknown, state: unknown): Map<string, Tensor> {
  return new Map(stateDictEntries(params, state).map((e) => [e.name, e.tensor]));
}

/** A state dict that does not fit a layer: every missing, unexpected and mis-shaped name. */
export class StateDictError extends ValueError {
  readonly missing: readonly string[];
  readonly unexpected: readonly string[];
  readonly mismatched: readonly Readonly<{ name: string; expected: readonly number[]; actual: readonly number[] }>[];
  constructor(problems: Readonly<{ missing: string[]; unexpected: string[]; mismatched: StateDictError['mismatched'][number][] }>) {
    const parts: string[] = [];
    if (problems.missing.length > 0) parts.push(`missing ${problems.missing.join(', ')}`);
    if (problems.unexpected.length > 0) parts.push(`unexpected ${problems.unexpected.join(', ')}`);
    if (problems.mismatched.length > 0) {
      parts.push(`wrong shape ${problems.mismatched.map((m) => `${m.name} (got ${formatShape(m.actual)}, expected ${formatShape(m.expected)})`).join(', ')}`);
    }
    super(`state dict does not match the layer: ${parts.join('; ')}`);
    this.missing = problems.missing;
    this.unexpected = problems.unexpected;
    this.mismatched = problems.mismatched;
  }
}

/**
 * Loads named tensors (PyTorch `state_dict` names, as `stateDict` gives them) into a layer's
 * params and state, using `template` (e.g. `layer.init(key, shape)`) for the structure and
 * shapes. Every tensor of the template must be present with its shape, and every name given
 * must be used (strict, as PyTorch's default); otherwise a StateDictError lists all problems.
 */
export function loadStateDict<P, S>(
  template: Readonly<{ params: P; state: S }>,
  tensors: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>,
): E.Either<StateDictError, { params: P; state: S }> {
  const given = tensors instanceof Map ? (tensors as ReadonlyMap<string, Tensor>) : new Map(Object.keys(tensors).map((k) => [k, (tensors as Record<string, Tensor>)[k]!]));
  const { entries, spectral } = walkStateDict(template.params, template.state);
  const expected = new Set(entries.map((e) => e.name));
  const missing: string[] = [];
  const mismatched: StateDictError['mismatched'][number][] = [];
  const replace = { params: new Map<string, Tensor>(), state: new Map<string, Tensor>() };
  for (const e of entries) {
    const t = given.get(e.name);
    if (t === undefined) missing.push(e.name);
    else if (!shapesEqual(t.shape, e.tensor.shape)) mismatched.push({ name: e.name, expected: e.tensor.shape, actual: t.shape });
    else replace[e.tree].set(JSON.stringify(e.path), t);
  }
  const ignorable = (name: string): boolean =>
    name.endsWith('num_batches_tracked') && expected.has(`${name.slice(0, -'num_batches_tracked'.length)}running_mean`);
  const unexpected = [...given.keys()].filter((k) => !expected.has(k) && !ignorable(k));
  if (missing.length + unexpected.length + mismatched.length > 0) return E.left(new StateDictError({ missing, unexpected, mismatched }));
  for (const { prefix, sigmaPath } of spectral) {
    const vectors = { u: given.get(`${prefix}weight_u`)!, v: given.get(`${prefix}weight_v`)! };
    replace.state.set(JSON.stringify(sigmaPath), spectralSigma(given.get(`${prefix}weight_orig`)!, vectors));
  }
  return E.right({
    params: rebuild(template.params, [], replace.params) as P,
    state: rebuild(template.state, [], replace.state) as S,
  });
}

/** A copy of `tree` with the tensors at the given paths (JSON-encoded) replaced. */
function rebuild(tree: unknown, path: (string | number)[], replace: ReadonlyMap<string, Tensor>): unknown {
  if (isTensor(tree)) return replace.get(JSON.stringify(path)) ?? tree;
  if (Array.isArray(tree)) return Object.freeze(tree.map((c, i) => rebuild(c, [...path, i], replace)));
  if (isObject(tree)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(tree)) Object.defineProperty(out, k, { value: rebuild(tree[k], [...path, k], replace), enumerable: true, writable: false });
    return Object.freeze(out);
  }
  return tree;
}
