/**
 * Class-conditional GAN on the ring of 8 Gaussians, the class being the mode: G gets a label
 * embedding concatenated with z, D is a projection discriminator (Miyato & Koyama 2018), and
 * `batch.labels` carries the real labels. After training, G(z, k) should land on mode k.
 */
import { data, init, nn, ops, random, tensor, train, type Tensor } from 'puregan';

await init();
const ring = data.ring8;
const n = 256;
const steps = 300;

/** n points with their modes as labels: [n, 2] and [n]. */
function labelled(key: random.Key): { real: Tensor; labels: Tensor } {
  const [kl, kn] = random.split(key) as random.Key[];
  const ids = random.randint(kl!, [n], 0, 8);
  const noise = random.normal(kn!, [n, 2], 0, ring.std).data;
  const pts = Array.from(ids).flatMap((k, i) => [ring.means[k]![0] + noise[2 * i]!, ring.means[k]![1] + noise[2 * i + 1]!]);
  return { real: tensor([n, 2], pts), labels: tensor([n], Array.from(ids)) };
}

const config: train.TrainConfig = {
  generator: nn.sequential(nn.ConcatLabelEmbedding(8, 8), nn.Linear(128), nn.ReLU(), nn.Linear(128), nn.ReLU(), nn.Linear(2)) as nn.AnyLayer,
  discriminator: nn.sequential(nn.Linear(128), nn.LeakyReLU(0.2), nn.Linear(128), nn.LeakyReLU(0.2), nn.ProjectionHead(8)) as nn.AnyLayer,
  latent: { dim: 8, prior: 'normal' },
  dataShape: [2],
  loss: 'hinge',
  conditioning: { classes: 8 },
  optimizers: { g: { name: 'adam', lr: 2e-3, b1: 0.5 }, d: { name: 'adam', lr: 2e-3, b1: 0.5 } },
};

const step = train.makeTrainStep(config);
let state = train.initTrainState(config, random.key(1));
for (let i = 0; i < steps; i++) {
  const { real, labels } = labelled(random.foldIn(random.key(2), i));
  [state] = step(state, { real: [real], labels: [labels] }, random.foldIn(random.key(3), i));
}

// Ask for 64 samples of each class and count those nearest to their class's mode.
const labels = tensor([512], Array.from({ length: 512 }, (_, i) => i % 8));
const x = ops.concrete(train.sampleGenerator(config, state, random.normal(random.key(4), [512, 8]), { labels })).data;
let hits = 0;
for (let i = 0; i < 512; i++) {
  const d2 = ring.means.map(([mx, my]) => (x[2 * i]! - mx) ** 2 + (x[2 * i + 1]! - my) ** 2);
  if (d2.indexOf(Math.min(...d2)) === i % 8) hits++;
}
console.log(`${((100 * hits) / 512).toFixed(1)}% of samples lie nearest the mode of their class`);
if (hits / 512 < 0.8) throw new Error('the generator ignores its labels');
