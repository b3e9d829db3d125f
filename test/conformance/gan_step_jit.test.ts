/**
 * `check-reference --jit`: every gan_step case of ../shared/reference/steps run through `jit`
 * (each D and G step one jitted function) gives the bits of the eager run — op by op on the
 * reference backend, compiled on wasm with `jitExactMath` — and so passes against PyTorch
 * exactly as the eager run does. Compiled on the default wasm backend, whose fused groups
 * approximate exp/log/tanh/sigmoid/softplus to a few ulp, each output is within its case's
 * tolerance (WASM_TOLERANCE, relative to the output's largest value) of the eager run, and
 * the case passes against PyTorch too. On the webgpu backend the jitted steps run in WGSL (exp,
 * log, division and square root not correctly rounded; tiled GEMM sums), so each output is
 * within WEBGPU_TOLERANCE of its largest value of the eager run (eager runs the elementwise ops
 * on the host), and the case passes against PyTorch.
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
import { describeWithLoadedBackend, forEachBackend } from '../helpers/backends.js';
import { bitsEqual, closeToScale } from '../helpers/programs.js';
import type { Tensor } from '../../src/core/tensor.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';

/** Per case: how far (× the output's largest value) the default wasm backend's jitted outputs may be from eager ones. */
const WASM_TOLERANCE: Record<string, number> = {
  gan_step_conv_bn_generator_sn_hinge: 2e-7,
  gan_step_conv_least_squares_adam_eps: 2e-7,
  gan_step_mlp_hinge_sn_ndis2_gfirst: 2e-7,
  gan_step_mlp_nonsaturating: 2e-7,
  gan_step_mlp_wgan_gp_ndis3: 2e-7,
};

/** How far (× the output's largest value) the webgpu backend's jitted outputs may be from eager ones, every case (measured worst on SwiftShader: 1.4e-6). */
const WEBGPU_TOLERANCE = 5e-6;

const stepsDir = join(fileURLToPath(new URL('../../../', import.meta.url)), '..', 'shared', 'reference', 'steps');
const stepCases = readdirSync(stepsDir)
  .filter((f) => f.startsWith('gan_step_'))
  .sort()
  .map((f) => {
    const r = readCaseFile(join(stepsDir, f));
    if (E.isLeft(r)) throw r.left;
    return r.right[0]! as ReferenceCase;
  });

describeWithLoadedBackend('on the wasm backend with jitExactMath', () => loadWasmBackend({ jitExactMath: true, threads: 2 }), () => {
  for (const c of stepCases) {
    it(`${c.name} through jit gives the bits of the eager run`, () => {
      const eager = runGanStepCase(c);
      const jitted = runGanStepCase(c, { jit: true });
      for (const [k, t] of Object.entries(eager.outputs)) assert.ok(bitsEqual(jitted.outputs[k]!, t), `outputs.${k}`);
    });
  }
});

forEachBackend((backend) => {
  it('there are gan_step cases to run', () => assert.ok(stepCases.length >= 5, `found ${stepCases.length}`));
  it('every case has a wasm tolerance', () => assert.deepEqual(stepCases.map((c) => c.name).filter((n) => WASM_TOLERANCE[n] === undefined), []));

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
    const tol = backend === 'webgpu' ? WEBGPU_TOLERANCE : (WASM_TOLERANCE[c.name] ?? 0);
    const what = backend === 'reference' ? 'gives the bits of' : `is within ${tol} of the scale of`;
    it(`${c.name} through jit ${what} the eager run and passes against PyTorch`, () => {
      const eager = runGanStepCase(c);
      const jitted = runGanStepCase(c, { jit: true });
      assert.deepEqual(Object.keys(jitted.outputs).sort(), Object.keys(eager.outputs).sort());
      const same = (a: Tensor, b: Tensor): boolean => (backend === 'reference' ? bitsEqual(a, b) : closeToScale(a, b, { rel: tol, abs: 0 }));
      for (const [k, t] of Object.entries(eager.outputs)) assert.ok(same(jitted.outputs[k]!, t), `outputs.${k}`);
      const report = checkCase(c, undefined, { jit: true });
      assert.ok('ok' in report && report.ok, JSON.stringify(report));
    });
  }
});
