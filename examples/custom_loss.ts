/**
 * A new GAN loss written as a user would, property-tested with `puregan/testing`, then trained
 * with: the soft hinge loss, D: E[softplus(1 − D(x))] + E[softplus(1 + D(G(z)))], G: −E[D(G(z))].
 * softplus(t) ≥ max(0, t), so it bounds the hinge loss from above, with a gradient everywhere.
 */
import fc from 'fast-check';
import { init, item, nn, ops, random, train, type Tensor } from 'puregan';
import { arbTensorOfShape, assertGradients } from 'puregan/testing';

export const softHinge: train.TrainLoss = {
  d: (real, fake) => ops.add(ops.mean(ops.softplus(ops.sub(1, real))), ops.mean(ops.softplus(ops.add(1, fake)))),
  g: (_real, fake) => ops.neg(ops.mean(fake)),
};

await init();
const logits = arbTensorOfShape([6, 1], { min: -5, max: 5 });
const hinge = (r: Tensor, f: Tensor): Tensor => ops.add(ops.mean(ops.relu(ops.sub(1, r))), ops.mean(ops.relu(ops.add(1, f))));

// It is an upper bound of the hinge loss, and within 2·log 2 of it.
fc.assert(
  fc.property(logits, logits, (r, f) => {
    const gap = item(softHinge.d(r, f)) - item(hinge(r, f));
    return gap >= -1e-6 && gap <= 2 * Math.log(2) + 1e-6;
  }),
);
// Its gradients agree with finite differences.
fc.assert(fc.property(logits, logits, (r, f) => assertGradients(({ r, f }) => softHinge.d(r, f), { r, f }).ok), { numRuns: 20 });

// It plugs into a training step like a built-in loss.
const config: train.TrainConfig = {
  generator: nn.sequential(nn.Linear(8), nn.ReLU(), nn.Linear(2)),
  discriminator: nn.sequential(nn.Linear(8), nn.LeakyReLU(0.2), nn.Linear(1)),
  latent: { dim: 2, prior: 'normal' },
  dataShape: [2],
  loss: softHinge,
  optimizers: { g: { name: 'adam', lr: 2e-4, b1: 0.5 }, d: { name: 'adam', lr: 2e-4, b1: 0.5 } },
};
const step = train.makeTrainStep(config);
const [state, metrics] = step(train.initTrainState(config, random.key(0)), { real: [random.normal(random.key(1), [16, 2])] }, random.key(2));
const m = train.readMetrics(metrics);
if (m.finite !== 1 || item(state.step) !== 1) throw new Error(`the step did not apply: ${JSON.stringify(m)}`);
console.log(`soft hinge: properties hold; one step: d_loss ${m.d_loss!.toFixed(4)}, g_loss ${m.g_loss!.toFixed(4)}`);
