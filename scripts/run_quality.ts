/**
 * `npm run quality -- <run dir>`: the MNIST metrics of a run's newest generator with the shipped
 * classifier, on the same footing as `npm run metrics:floor`: N = 2,000 generated digits (latents
 * from seed 0) against the same reference, 2,000 held-out digits (seed 1 of the held-out split),
 * so its FD is comparable with the floor's. A class-conditional run (ACGAN) is sampled with the
 * classes 0, 1, …, 9 in turn, and its class agreement (the classifier's prediction equals the
 * requested class) is reported too. An InfoGAN run is sampled from its prior (noise from seed 0,
 * codes drawn with it: `generatorInputs`), and each categorical code's accuracy against the
 * classifier's digit after the best matching of code values to classes (`codeClassAccuracy`,
 * Hungarian) is reported too, with the counts behind it (code value × predicted digit, in the
 * JSON; `--counts` prints them as a table: which digits a code value merges, which it splits).
 * The generator is the EMA copy when the run keeps one (`--live`: the live params instead).
 * Prints one line and a JSON object.
 *
 *     npm run quality -- RUNDIR [--live] [--counts] [--threads 2]
 */
import * as E from 'fp-ts/lib/Either.js';
import { init } from '../src/index.js';
import { key } from '../src/core/random.js';
import { loadMnistClassifier } from '../src/metrics/mnist_classifier.js';
import { classAgreement, predictedClasses } from '../src/metrics/class_probabilities.js';
import { realReference, sampleQuality } from '../src/metrics/sample_quality.js';
import { loadRunGenerator } from '../src/node/run_generator.js';
import { codeClassAccuracy } from '../src/metrics/code_class_accuracy.js';
import { categoricalValues, generatorInputs } from '../src/train/latent_codes.js';
import { cyclicLabels, generate } from '../src/train/sampling.js';
import { loadMnistSplits, subset } from './mnist_split.js';

const N = 2000;
/** The classifier's classes, the columns of a code's counts. */
const DIGITS = 10;

const dir = process.argv[2];
if (dir === undefined) {
  console.error('usage: npm run quality -- <run dir>');
  process.exit(2);
}
const threadsAt = process.argv.indexOf('--threads');
const backend = await init({ threads: threadsAt >= 0 ? Number(process.argv[threadsAt + 1]) : 2 });
const live = process.argv.includes('--live');
const run = await loadRunGenerator(dir, { ema: !live });
if (E.isLeft(run)) {
  console.error(`run_quality: ${run.left.message}`);
  process.exit(1);
}
const loaded = await loadMnistClassifier();
if (E.isLeft(loaded)) throw loaded.left;
const { heldOut } = loadMnistSplits();
const reference = realReference(loaded.right, subset(heldOut, 1, N));
const { resolved, g, step } = run.right;
const classes = resolved.run.conditioning?.classes;
const labels = classes === undefined ? undefined : cyclicLabels(N, classes);
const infogan = resolved.train.techniques.infogan;
const z = generatorInputs({ latent: resolved.run.latent, infogan, key: key(0), n: N });
const samples = generate(resolved.train.generator, g, z, labels);
const q = sampleQuality({ net: loaded.right, samples, reference });
const probabilities = labels === undefined && infogan === undefined ? undefined : loaded.right.probabilities(samples);
const agreement = labels === undefined ? undefined : classAgreement(probabilities!, labels.data);
const codeAccuracy =
  infogan === undefined
    ? undefined
    : infogan.categorical.map((values, index) => {
        const codes = categoricalValues({ z, latentDim: resolved.run.latent.dim, infogan, index });
        const r = codeClassAccuracy({ codes, predicted: predictedClasses(probabilities!), codeValues: values, classes: DIGITS });
        const counts = Array.from({ length: values }, (_, k) => Array.from(r.counts.subarray(k * DIGITS, (k + 1) * DIGITS)));
        return { code: `cat${index}`, accuracy: r.accuracy, matching: Array.from(r.matching), counts };
      });
console.log(
  `${dir} at step ${step}, N = ${N} vs ${N} held-out digits: FD ${q.frechetDistance.toFixed(2)}, MNIST score ${q.score.toFixed(2)}, classes ${q.classesCovered}/10, precision ${q.precision.toFixed(3)}, recall ${q.recall.toFixed(3)}` +
    (agreement === undefined ? '' : `, class agreement ${(100 * agreement).toFixed(1)}%`) +
    (codeAccuracy ?? []).map((c) => `, ${c.code} accuracy after matching ${(100 * c.accuracy).toFixed(1)}% (code value → digit ${c.matching.join(' ')})`).join(''),
);
if (process.argv.includes('--counts')) {
  for (const c of codeAccuracy ?? []) {
    console.log(`${c.code}: samples per code value (rows) and predicted digit (columns 0–9)`);
    c.counts.forEach((row, k) => console.log(`  ${String(k).padStart(2)} → ${String(c.matching[k]).padStart(2)} |${row.map((x) => String(x).padStart(5)).join('')}`));
  }
}
console.log(
  JSON.stringify({
    dir,
    step,
    ema: !live && resolved.run.ema !== undefined,
    ...q,
    ...(agreement === undefined ? {} : { classAgreement: agreement }),
    ...(codeAccuracy === undefined ? {} : { codeAccuracy }),
  }),
);
await backend.close?.();
