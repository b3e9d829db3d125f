import * as E from 'fp-ts/lib/Either.js';
import * as path from 'node:path';
import { useBackend } from '../backend/current.js';
import { key } from '../core/random.js';
import { loadRunGenerator } from '../node/run_generator.js';
import { writeSampleImage } from '../node/run_dir.js';
import { generate, interpolationLatents, sampleLatents } from '../train/sampling.js';
import { BACKEND_FLAGS, checkBackendFlags, loadBackendFromFlags } from './backend_flags.js';
import { defineCommand } from './command.js';

/**
 * `puregan sample --run DIR [--n 64] [--seed S] [--out grid.png] [--interpolate STEPS]`: a PNG
 * grid from the run's newest generator (a scatter plot for 2-D data).
 */
export const sampleCommand = defineCommand({
  name: 'sample',
  summary: "a PNG grid of samples from a run's newest generator",
  args: [],
  flags: {
    run: { type: 'string', value: 'DIR', help: 'the run directory (required)' },
    n: { type: 'integer', value: 'N', min: 1, max: 4096, help: 'samples (default 64), or walks with --interpolate' },
    seed: { type: 'integer', value: 'S', min: 0, max: 2 ** 32 - 1, help: 'seed of the latents (default 0)' },
    out: { type: 'string', value: 'FILE.png', help: 'where to write the grid (default <run>/sample.png)' },
    interpolate: { type: 'integer', value: 'STEPS', min: 2, max: 64, help: 'spherical interpolation between random latents, STEPS per walk, one walk per row (n/8 walks, at least 1)' },
    ...BACKEND_FLAGS,
  },
  details: 'Conditional models (--class) come with the conditioning presets. Exit codes: 0, 1 for a missing or bad run, 2 for bad arguments.',
  check: ({ flags }) => [...checkBackendFlags(flags), ...(flags.run === undefined ? ['--run DIR is required'] : [])],
  async run({ flags }) {
    const backend = await loadBackendFromFlags(flags);
    if (E.isLeft(backend)) throw backend.left;
    useBackend(backend.right);
    try {
      const loaded = await loadRunGenerator(flags.run!);
      if (E.isLeft(loaded)) throw loaded.left;
      const { resolved, g, step } = loaded.right;
      const k = key(flags.seed ?? 0);
      const n = flags.n ?? 64;
      const latent = resolved.run.latent;
      const z = flags.interpolate === undefined ? sampleLatents(latent, k, n) : interpolationLatents({ latent, key: k, walks: Math.max(1, Math.floor(n / 8)), steps: flags.interpolate });
      const out = flags.out ?? path.join(flags.run!, 'sample.png');
      const x = generate(resolved.train.generator, g, z);
      const r = await writeSampleImage(out, x, flags.interpolate === undefined ? {} : { columns: flags.interpolate });
      if (E.isLeft(r)) throw r.left;
      console.log(`${out}: ${z.shape[0]} samples from step ${step}`);
      return 0;
    } finally {
      await backend.right.close?.();
    }
  },
});
