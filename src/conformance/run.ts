import * as E from 'fp-ts/lib/Either.js';
import { withBackend } from '../backend/current.js';
import type { Backend } from '../backend/backend.js';
import { UnsupportedError, type PureganError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { listCaseFiles, readCaseFile, type ReferenceCase } from './cases.js';
import { compareTensors, DEFAULT_TOLERANCE, type Tolerance } from './compare.js';
import { runCase, type RunOptions } from './runners.js';

/**
 * One line of the conformance report: a comparison (with its largest errors), a case that
 * could not be read or run (`error`: the message, no error numbers), or an unsupported op.
 */
export type CaseReport =
  | Readonly<{ name: string; op: string; ok: boolean; maxAbsErr: number; maxRelErr: number; worst?: string; problem?: string }>
  | Readonly<{ name: string; op: string; ok: false; error: string }>
  | Readonly<{ name: string; op: string; unsupported: true; reason: string }>;

export type Summary = Readonly<{ summary: true; passed: number; failed: number; unsupported: number; backend: string }>;

/** Checks every output and gradient a case lists against what this project computes. */
export function checkCase(c: ReferenceCase, tol: Tolerance = DEFAULT_TOLERANCE, opts: RunOptions = {}): CaseReport {
  let result;
  try {
    result = runCase(c, opts);
  } catch (e) {
    if (e instanceof UnsupportedError) return { name: c.name, op: c.op, unsupported: true, reason: e.message };
    return { name: c.name, op: c.op, ok: false, error: (e as Error).message };
  }
  let maxAbsErr = 0;
  let maxRelErr = 0;
  let worst: string | undefined;
  const problems: string[] = [];
  const check = (kind: string, expected: Record<string, Tensor>, got: Record<string, Tensor>): void => {
    for (const [k, ref] of Object.entries(expected)) {
      const ours = got[k];
      if (ours === undefined) {
        problems.push(`${kind}.${k} not computed`);
        continue;
      }
      const cmp = compareTensors(ours, ref, result.tolerance ?? tol);
      if (cmp.problem !== undefined) problems.push(`${kind}.${k}: ${cmp.problem}`);
      if (!(cmp.maxRelErr <= maxRelErr)) worst = `${kind}.${k}`;
      maxAbsErr = Math.max(maxAbsErr, cmp.maxAbsErr);
      maxRelErr = Math.max(maxRelErr, cmp.maxRelErr);
    }
  };
  check('outputs', c.outputs, result.outputs);
  check('grads', c.grads, result.grads);
  const ok = problems.length === 0 && maxRelErr <= (result.tolerance ?? tol).rtol;
  return { name: c.name, op: c.op, ok, maxAbsErr, maxRelErr, ...(worst ? { worst } : {}), ...(problems.length ? { problem: problems.join('; ') } : {}) };
}

/**
 * Loads every case in `dir` and its sub-folders and checks it on `backend`. A directory that
 * cannot be read or holds no cases is a Left.
 */
export function checkReferenceDir(
  dir: string,
  backend: Backend,
  tol: Tolerance = DEFAULT_TOLERANCE,
  opts: RunOptions = {},
): E.Either<PureganError, { reports: CaseReport[]; summary: Summary }> {
  const files = listCaseFiles(dir);
  if (E.isLeft(files)) return files;
  const reports: CaseReport[] = [];
  for (const f of files.right) {
    const cases = readCaseFile(f);
    if (E.isLeft(cases)) {
      reports.push({ name: f, op: '?', ok: false, error: cases.left.message });
      continue;
    }
    for (const c of cases.right) reports.push(withBackend(backend, () => checkCase(c, tol, opts)));
  }
  const passed = reports.filter((r) => 'ok' in r && r.ok).length;
  const unsupported = reports.filter((r) => 'unsupported' in r).length;
  return E.right({
    reports,
    summary: { summary: true, passed, failed: reports.length - passed - unsupported, unsupported, backend: backend.name },
  });
}
