import { ShapeError } from '../core/errors.js';
import { shapesEqual } from '../core/tensor.js';
import { add } from '../ops/elementwise.js';
import { split } from '../core/random.js';
import { anyDraws, childContexts, refreshState, type AnyLayer, type Layer } from './layer.js';

export type ResidualTree = Readonly<{ inner: unknown; shortcut?: unknown }>;

/**
 * A residual block (He et al. 2016; the ResNet G and D blocks of SN-GAN, Miyato et al. 2018):
 * y = inner(x) + shortcut(x), with the identity as the shortcut when none is given (then inner
 * must keep the shape). `[N, ...in] → [N, ...out]`. The shortcut is where a block that changes
 * channels or resolution puts its 1×1 conv and its up/down-sampling. Params and state are
 * `{ inner, shortcut? }`; `refresh` refreshes both (spectral norm inside either is refreshed
 * once per step); each branch gets the call's labels and its own split of the key.
 */
export function residual(inner: AnyLayer, shortcut?: AnyLayer): Layer<ResidualTree, ResidualTree> {
  const name = `Residual(${inner.name}${shortcut ? `, ${shortcut.name}` : ''})`;
  const block: Layer<ResidualTree, ResidualTree> = {
    name,
    ...(anyDraws([inner, shortcut]) ? { draws: true } : {}),
    init(key, inputShape) {
      const [ki, ks] = split(key);
      const i = inner.init(ki!, inputShape);
      const s = shortcut?.init(ks!, inputShape);
      const skipShape = s?.outputShape ?? inputShape;
      if (!shapesEqual(i.outputShape, skipShape)) {
        throw new ShapeError(`${name}: the inner branch gives [${i.outputShape.join(', ')}] per sample but the shortcut gives [${skipShape.join(', ')}]`, {
          inner: i.outputShape,
          shortcut: skipShape,
        });
      }
      return s === undefined
        ? { params: { inner: i.params }, state: { inner: i.state }, outputShape: i.outputShape }
        : { params: { inner: i.params, shortcut: s.params }, state: { inner: i.state, shortcut: s.state }, outputShape: i.outputShape };
    },
    apply(params, state, x, ctx) {
      const [ci, cs] = childContexts(ctx, 2);
      const [y, innerState] = inner.apply(params.inner, state.inner, x, ci!);
      if (shortcut === undefined) return [add(y, x), { inner: innerState }];
      const [skip, shortcutState] = shortcut.apply(params.shortcut, state.shortcut, x, cs!);
      return [add(y, skip), { inner: innerState, shortcut: shortcutState }];
    },
  };
  if (inner.refresh === undefined && shortcut?.refresh === undefined) return block;
  return {
    ...block,
    refresh: (params, state) => {
      const innerState = refreshState(inner, params.inner, state.inner);
      return shortcut === undefined ? { inner: innerState } : { inner: innerState, shortcut: refreshState(shortcut, params.shortcut, state.shortcut) };
    },
  };
}
