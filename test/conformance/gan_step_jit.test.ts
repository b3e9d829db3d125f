/**
 * `check-reference --jit`: every gan_step case of ../shared/reference/steps run through `jit`
 * (each D and G step one jitted function) gives the bits of the eager run — op by op on the
 * reference backend, compiled (fused loops, planned buffers) on wasm — and so passes against
 * PyTorch exactly as the eager run does.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { readCaseFile, type ReferenceCase } from '../../src/conformance/cases.js';
import { runGanStepCase } from '../../src/conformance/gan_step.js';
import { checkCase } from '../../src/conformance/run.js';
import { forEachBackend } from '../helpers/backends.js';
import { bitsEqual } from '../helpers/programs.js';

const stepsDir = join(fileURLToPath(new URL('../../../', import.meta.url)), '..', 'shared', 'reference', 'steps');
const stepCases = readdirSync(stepsDir)
  .filter((f) => f.startsWith('gan_step_'))
  .sort()
  .map((f) => {
    const r = readCaseFile(join(stepsDir, f));
    if (E.isLeft(r)) throw r.left;
    return r.right[0]! as ReferenceCase;
  });

forEachBackend(() => {
  it('there are gan_step cases to run', () => assert.ok(stepCases.length >= 5, `found ${stepCases.length}`));

  it('with { jit: true } the D and G steps are traced (once each, said at debug level), without it they are not', () => {
    const messages: string[] = [];
    const debug = console.debug;
    const env = process.env['PUREGAN_JIT_DEBUG'];
    process.env['PUREGAN_JIT_DEBUG'] = '1';
    console.debug = (m: string) => messages.push(m);
    try {
      runGanStepCase(stepCases[0]!);
      assert.equal(messages.length, 0);
      runGanStepCase(stepCases[0]!, { jit: true });
    } finally {
      console.debug = debug;
      if (env === undefined) delete process.env['PUREGAN_JIT_DEBUG'];
      else process.env['PUREGAN_JIT_DEBUG'] = env;
    }
    assert.equal(messages.filter((m) => /traced \(first call\)/.test(m)).length, 2, messages.join('\n'));
  });
  for (const c of stepCases) {
    it(`${c.name} through jit gives the bits of the eager run and passes against PyTorch`, () => {
      const eager = runGanStepCase(c);
      const jitted = runGanStepCase(c, { jit: true });
      assert.deepEqual(Object.keys(jitted.outputs).sort(), Object.keys(eager.outputs).sort());
      for (const [k, t] of Object.entries(eager.outputs)) assert.ok(bitsEqual(jitted.outputs[k]!, t), `outputs.${k}`);
      const report = checkCase(c, undefined, { jit: true });
      assert.ok('ok' in report && report.ok, JSON.stringify(report));
    });
  }
});
