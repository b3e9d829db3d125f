import * as E from 'fp-ts/lib/Either.js';
import { checkReferenceDir, type CaseReport } from '../conformance/run.js';
import { BACKEND_FLAGS, checkBackendFlags, loadBackendFromFlags } from './backend_flags.js';
import { defineCommand } from './command.js';

function formatReport(r: CaseReport): string {
  if ('unsupported' in r) return `  -    ${r.name} (${r.op}): unsupported`;
  if ('error' in r) return `  FAIL ${r.name} (${r.op}): ${r.error}`;
  const err = `max abs ${r.maxAbsErr.toExponential(2)}, max rel ${r.maxRelErr.toExponential(2)}${r.worst ? ` (${r.worst})` : ''}`;
  return `  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.op}): ${err}${r.problem ? ` — ${r.problem}` : ''}`;
}

/**
 * `puregan check-reference <dir>`: runs every supported case in `dir` and its sub-folders and
 * compares with the case's PyTorch results.
 */
export const checkReferenceCommand = defineCommand({
  name: 'check-reference',
  summary: 'check this build against PyTorch reference cases (a directory of *.json)',
  args: ['<dir>'],
  flags: {
    ...BACKEND_FLAGS,
    json: { type: 'boolean', help: 'one JSON line per case, then a summary line' },
    jit: { type: 'boolean', help: 'run the gan_step cases through jit (their steps traced and compiled)' },
  },
  details: 'Sub-folders are searched too. Exit code 0 when every supported case passes, 1 if any fails, 2 on bad arguments or a directory that cannot be read or holds no cases.',
  check: ({ flags }) => checkBackendFlags(flags),
  async run({ flags, positionals }) {
    const dir = positionals[0]!;
    const backend = await loadBackendFromFlags(flags);
    if (E.isLeft(backend)) throw backend.left;
    try {
      const result = checkReferenceDir(dir, backend.right, undefined, { jit: flags.jit === true });
      if (E.isLeft(result)) {
        console.error(`puregan check-reference: ${result.left.message}`);
        return 2;
      }
      const { reports, summary } = result.right;
      if (flags.json) {
        for (const r of reports) {
          console.log(JSON.stringify('unsupported' in r ? { name: r.name, op: r.op, ok: null, unsupported: true } : r));
        }
        console.log(JSON.stringify(summary));
      } else {
        console.log(`Reference cases in ${dir} on backend ${backend.right.description}:`);
        for (const r of reports) console.log(formatReport(r));
        console.log(`${summary.passed} passed, ${summary.failed} failed, ${summary.unsupported} unsupported`);
      }
      return summary.failed > 0 ? 1 : 0;
    } finally {
      await backend.right.close?.();
    }
  },
});
