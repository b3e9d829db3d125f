import * as E from 'fp-ts/lib/Either.js';
import { useBackend } from '../backend/current.js';
import { referenceBackend } from '../backend/reference.js';
import { atomicWriteFile } from '../node/atomic_write.js';
import { loadRunGenerator } from '../node/run_generator.js';
import { dataShapeOf } from '../train/run_config.js';
import { encodeGenerator } from '../train/generator_file.js';
import { defineCommand } from './command.js';
import { checkRunFlag, RUN_EXIT_CODES, RUN_FLAG } from './run_flags.js';

/** `puregan export --run DIR --out G.safetensors`: the newest generator alone, with its config (`loadGenerator` reads it). */
export const exportCommand = defineCommand({
  name: 'export',
  summary: "write a run's newest generator alone (PyTorch state_dict names + its config) as safetensors",
  args: [],
  flags: {
    ...RUN_FLAG,
    out: { type: 'string', value: 'G.safetensors', help: 'the file to write (required)' },
  },
  details: `The EMA generator when the run keeps one. Load it with loadGenerator (puregan, browser-safe) or safetensors.torch.load_file. ${RUN_EXIT_CODES}`,
  check: ({ flags }) => [...checkRunFlag(flags), ...(flags.out === undefined ? ['--out FILE is required'] : [])],
  async run({ flags }) {
    useBackend(referenceBackend);
    const loaded = await loadRunGenerator(flags.run!);
    if (E.isLeft(loaded)) throw loaded.left;
    const { resolved, g, step, ema } = loaded.right;
    const { classes, infogan } = resolved.train.techniques;
    const bytes = encodeGenerator({
      latent: resolved.run.latent,
      dataShape: dataShapeOf(resolved.run.data),
      generator: resolved.run.generator,
      preset: resolved.run.preset,
      step,
      ...(classes !== undefined ? { classes } : {}),
      ...(infogan !== undefined ? { infogan } : {}),
      ema,
      params: g.params,
      state: g.state,
    });
    const r = await atomicWriteFile(flags.out!, bytes);
    if (E.isLeft(r)) throw r.left;
    console.log(`${flags.out}: the generator of ${flags.run} at step ${step} (${bytes.length} bytes)`);
    return 0;
  },
});
