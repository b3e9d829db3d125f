import * as E from 'fp-ts/lib/Either.js';
import { useBackend } from '../backend/current.js';
import { referenceBackend } from '../backend/reference.js';
import { atomicWriteFile } from '../node/atomic_write.js';
import { loadRunGenerator } from '../node/run_generator.js';
import { dataShapeOf } from '../train/run_config.js';
import { encodeGenerator } from '../train/generator_file.js';
import { defineCommand } from './command.js';

/** `puregan export --run DIR --out G.safetensors`: the newest generator alone, with its config (`loadGenerator` reads it). */
export const exportCommand = defineCommand({
  name: 'export',
  summary: "write a run's newest generator alone (PyTorch state_dict names + its config) as safetensors",
  args: [],
  flags: {
    run: { type: 'string', value: 'DIR', help: 'the run directory (required)' },
    out: { type: 'string', value: 'G.safetensors', help: 'the file to write (required)' },
  },
  details: 'Load it with loadGenerator (puregan, browser-safe) or safetensors.torch.load_file. Exit codes: 0, 1 for a missing or bad run, 2 for bad arguments.',
  check: ({ flags }) => [...(flags.run === undefined ? ['--run DIR is required'] : []), ...(flags.out === undefined ? ['--out FILE is required'] : [])],
  async run({ flags }) {
    useBackend(referenceBackend);
    const loaded = await loadRunGenerator(flags.run!);
    if (E.isLeft(loaded)) throw loaded.left;
    const { resolved, g, step } = loaded.right;
    const bytes = encodeGenerator({ latent: resolved.run.latent, dataShape: dataShapeOf(resolved.run.data), generator: resolved.run.generator, preset: resolved.run.preset, step, params: g.params, state: g.state });
    const r = await atomicWriteFile(flags.out!, bytes);
    if (E.isLeft(r)) throw r.left;
    console.log(`${flags.out}: the generator of ${flags.run} at step ${step} (${bytes.length} bytes)`);
    return 0;
  },
});
