import * as E from 'fp-ts/lib/Either.js';
import { writeRunReport } from '../node/report/write_report.js';
import { defineCommand } from './command.js';

/** `puregan report --run DIR`: rebuilds the run's index.html, curves.svg and curves.png. */
export const reportCommand = defineCommand({
  name: 'report',
  summary: "rebuild a run's report: index.html (curves, sample grids, evaluations, config) and curves.svg/png",
  args: [],
  flags: {
    run: { type: 'string', value: 'DIR', help: 'the run directory (required)' },
  },
  details: [
    'The report is one self-contained HTML file that opens offline; it reloads itself while the run is live',
    '(the train command keeps a `live` marker in the run directory until it ends).',
    'Needs the optional dependencies vega, vega-lite and @resvg/resvg-js.',
    'Exit codes: 0, 1 for a missing or unreadable run or a missing optional package, 2 for bad arguments.',
  ].join('\n'),
  check: ({ flags }) => (flags.run === undefined ? ['--run DIR is required'] : []),
  async run({ flags }) {
    const r = await writeRunReport(flags.run!);
    if (E.isLeft(r)) throw r.left;
    console.log(`${r.right.html} (curves: ${r.right.svg}, ${r.right.png})`);
    return 0;
  },
});
