import * as E from 'fp-ts/lib/Either.js';
import { loadBackend } from '../backend/load.js';
import { checkReferenceDir, type CaseReport } from '../conformance/run.js';
import { parseFlags, parseThreads, UsageError } from './app.js';

function formatReport(r: CaseReport): string {
  if ('unsupported' in r) return `  -    ${r.name} (${r.op}): unsupported`;
  const err = `max abs ${r.maxAbsErr.toExponential(2)}, max rel ${r.maxRelErr.toExponential(2)}${r.worst ? ` (${r.worst})` : ''}`;
  return `  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.op}): ${err}${r.problem ? ` — ${r.problem}` : ''}`;
}

/**
 * `puregan check-reference <dir> [--backend NAME] [--json]`: runs every supported case in
 * `dir` and compares with the case's PyTorch results. With --json: one JSON line per case and a
 * final summary line. Exit code 1 if any case fails, 2 on bad arguments.
 */
export async function runCheckReference(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    { options: { backend: { type: 'string', default: 'wasm' }, threads: { type: 'string' }, json: { type: 'boolean', default: false } }, allowPositionals: true },
    args,
    'check-reference',
  );
  if (positionals.length !== 1) {
    throw new UsageError(`puregan check-reference: expected exactly one directory of *.json cases, got ${positionals.length} arguments`);
  }
  const threads = parseThreads(values.threads as string | undefined, 'check-reference');
  const backend = await loadBackend(values.backend as string, { threads });
  if (E.isLeft(backend)) throw new UsageError(`puregan check-reference: ${backend.left.message}`);
  const result = checkReferenceDir(positionals[0]!, backend.right);
  if (E.isLeft(result)) {
    console.error(`puregan check-reference: ${result.left.message}`);
    return 2;
  }
  const { reports, summary } = result.right;
  if (values.json) {
    for (const r of reports) {
      console.log(JSON.stringify('unsupported' in r ? { name: r.name, op: r.op, ok: null, unsupported: true } : r));
    }
    console.log(JSON.stringify(summary));
  } else {
    console.log(`Reference cases in ${positionals[0]} on backend ${backend.right.description}:`);
    for (const r of reports) console.log(formatReport(r));
    console.log(`${summary.passed} passed, ${summary.failed} failed, ${summary.unsupported} unsupported`);
  }
  await backend.right.close?.();
  return summary.failed > 0 ? 1 : 0;
}
