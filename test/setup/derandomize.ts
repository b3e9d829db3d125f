/**
 * Loaded before every test file (`node --import`, see package.json's `test` script): under CI
 * (CI=true) fast-check starts every property from one fixed seed, so a CI run is reproducible
 * and its result belongs to the commit, not to the draw — Hypothesis' `derandomize` CI profile.
 * Locally each run draws fresh seeds, which is where new counterexamples come from.
 * `FC_SEED=<int>` pins the seed anywhere (e.g. to replay a CI run); `FC_SEED=random` unpins it
 * under CI.
 */
import fc from 'fast-check';

/** The seed CI runs with, when FC_SEED does not say otherwise. */
export const CI_SEED = 20261202;

const { CI, FC_SEED } = process.env;
const seed = FC_SEED === 'random' ? undefined : FC_SEED !== undefined && FC_SEED !== '' ? Number(FC_SEED) : CI === 'true' ? CI_SEED : undefined;
if (seed !== undefined) {
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer or "random", got "${FC_SEED}"`);
  fc.configureGlobal({ seed });
}
