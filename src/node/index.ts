/**
 * `puregan/node`: the parts of puregan that need Node built-ins (`node:fs`, `node:path`), kept
 * out of the root entry so that `import 'puregan'` loads in a browser. Today: the PyTorch
 * conformance runner, which reads a directory of reference cases.
 *
 *     import { checkReferenceDir } from 'puregan/node';
 */
export { checkReferenceDir, checkCase, type CaseReport, type Summary } from '../conformance/run.js';
