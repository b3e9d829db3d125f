import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { curveSpec, splitRecords } from '../../../src/node/report/curve_specs.js';

const records = [
  { step: 25, time: 1, d_loss: 1.2, g_loss: 0.8, grad_norm_d: 2, grad_norm_g: 3, d_real: 0.5, d_fake: -0.5, finite: 1 },
  { step: 50, time: 2, d_loss: 1.0, g_loss: 0.9, grad_norm_d: 0, grad_norm_g: 4, d_real: 0.6, d_fake: -0.4, finite: 1 },
  { step: 50, warning: { kind: 'd-collapse', subject: 'd-collapse', message: 'x' } },
  { step: 50, eval: { n: 2000, frechetDistance: 80, fdFloor: 6.5, classesCovered: 9 } },
];

type Panel = { title: string; data: { values: { step: number; series: string; value: number }[] } };
const panels = (spec: Record<string, unknown>): Panel[] => spec.concat as Panel[];

describe('curveSpec', () => {
  it('separates logged steps, evaluations and warnings', () => {
    const { logs, evals } = splitRecords(records);
    assert.deepEqual(logs.map((l) => l.step), [25, 50]);
    assert.deepEqual(evals, [{ step: 50, eval: records[3]!.eval }]);
  });

  it('has a panel each for losses, gradient norms, D outputs, FD and coverage, with the logged values', () => {
    const p = panels(curveSpec(records, 'run'));
    assert.equal(p.length, 5);
    assert.deepEqual(p[0]!.data.values, [
      { step: 25, series: 'd_loss', value: 1.2 },
      { step: 25, series: 'g_loss', value: 0.8 },
      { step: 50, series: 'd_loss', value: 1 },
      { step: 50, series: 'g_loss', value: 0.9 },
    ]);
    assert.deepEqual(p[3]!.data.values, [
      { step: 50, series: 'FD', value: 80 },
      { step: 50, series: 'floor: train digits', value: 6.5 },
    ]);
    assert.deepEqual(p[4]!.data.values, [{ step: 50, series: 'classes covered', value: 9 }]);
  });

  it('leaves zero gradient norms out of the log-scale panel', () => {
    const grads = panels(curveSpec(records, 'run'))[1]!.data.values;
    assert.ok(grads.every((v) => v.value > 0));
    assert.equal(grads.length, 3);
  });

  it('drops the evaluation panels of a run that does not evaluate, and still draws one panel for an empty log', () => {
    assert.equal(panels(curveSpec(records.slice(0, 2), 'run')).length, 3);
    assert.equal(panels(curveSpec([], 'run')).length, 1);
  });
});
