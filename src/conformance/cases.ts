import * as E from 'fp-ts/lib/Either.js';
import * as A from 'fp-ts/lib/Array.js';
import { pipe } from 'fp-ts/lib/function.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IoError, ParseError, type PureganError } from '../core/errors.js';
import { tensor, type Tensor } from '../core/tensor.js';

/**
 * Reference cases in the format of ../shared/reference/README.md: PyTorch float32 results,
 * `{ name, op, attrs, inputs, outputs, grads }` with tensors as `{ shape, data }`.
 */
export type ReferenceCase = Readonly<{
  file: string;
  name: string;
  op: string;
  attrs: Readonly<Record<string, unknown>>;
  inputs: Readonly<Record<string, Tensor>>;
  outputs: Readonly<Record<string, Tensor>>;
  grads: Readonly<Record<string, Tensor>>;
}>;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The JSON encodings of non-finite values that a case's `data` may hold. */
const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/**
 * Validates one tensor: `{ shape, data }`, or a plain number (a 0-d tensor, as the per-step
 * losses of the `gan_step_*` cases). `data` holds numbers and, for non-finite values, only the
 * strings "NaN", "Infinity" and "-Infinity". Returns every problem found, not just the first.
 */
function parseTensor(x: unknown, where: string): E.Either<string[], Tensor> {
  if (typeof x === 'number') return E.right(tensor([], [x]));
  if (!isRecord(x)) return E.left([`${where}: expected {"shape": [...], "data": [...]} or a number`]);
  const problems: string[] = [];
  const { shape, data } = x;
  const shapeOk = Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
  if (!shapeOk) problems.push(`${where}.shape: expected an array of non-negative integers`);
  if (!Array.isArray(data)) problems.push(`${where}.data: expected a flat array of numbers`);
  else {
    const bad = data.findIndex((v) => typeof v !== 'number' && !(typeof v === 'string' && v in NON_FINITE));
    if (bad >= 0) problems.push(`${where}.data[${bad}]: expected a number or one of "NaN", "Infinity", "-Infinity", got ${JSON.stringify(data[bad])}`);
  }
  if (problems.length > 0) return E.left(problems);
  const dims = shape as number[];
  const values = (data as (number | string)[]).map((v) => (typeof v === 'number' ? v : NON_FINITE[v]!));
  const size = dims.reduce((p, d) => p * d, 1);
  if (values.length !== size) return E.left([`${where}: shape [${dims.join(', ')}] needs ${size} values, data has ${values.length}`]);
  return E.right(tensor(dims, values));
}

const accumulate = E.getApplicativeValidation(A.getSemigroup<string>());

function parseTensorMap(x: unknown, where: string, required: boolean): E.Either<string[], Record<string, Tensor>> {
  if (x === undefined && !required) return E.right({});
  if (!isRecord(x)) return E.left([`${where}: expected an object of tensors`]);
  const entries = Object.entries(x).map(([k, v]) =>
    pipe(
      parseTensor(v, `${where}.${k}`),
      E.map((t) => [k, t] as const),
    ),
  );
  return pipe(
    A.sequence(accumulate)(entries),
    E.map((kv) => Object.fromEntries(kv)),
  );
}

/** Parses and validates a case object, accumulating every problem into one ParseError. */
export function parseCase(raw: unknown, file: string): E.Either<PureganError, ReferenceCase> {
  if (!isRecord(raw)) return E.left(new ParseError(`${file}: expected a JSON object with name, op, inputs, outputs`));
  const head: string[] = [];
  if (typeof raw.name !== 'string') head.push('"name" must be a string');
  if (typeof raw.op !== 'string') head.push('"op" must be a string');
  if (raw.attrs !== undefined && !isRecord(raw.attrs)) head.push('"attrs" must be an object');
  const parts = pipe(
    A.sequence(accumulate)([
      head.length > 0 ? E.left(head) : E.right({}),
      parseTensorMap(raw.inputs, 'inputs', true),
      parseTensorMap(raw.outputs, 'outputs', true),
      parseTensorMap(raw.grads, 'grads', false),
    ]),
  );
  return pipe(
    parts,
    E.bimap(
      (problems) => new ParseError(`${file}: invalid reference case:\n  - ${problems.join('\n  - ')}`),
      ([, inputs, outputs, grads]) => ({
        file,
        name: raw.name as string,
        op: raw.op as string,
        attrs: (raw.attrs as Record<string, unknown> | undefined) ?? {},
        inputs: inputs!,
        outputs: outputs!,
        grads: grads!,
      }),
    ),
  );
}

/** Reads one case file (a case object or an array of them). */
export function readCaseFile(path: string): E.Either<PureganError, ReferenceCase[]> {
  return pipe(
    E.tryCatch(
      () => readFileSync(path, 'utf8'),
      (e) => new IoError(`cannot read ${path}: ${(e as Error).message}`),
    ),
    E.chain((text) =>
      E.tryCatch(
        () => JSON.parse(text) as unknown,
        (e) => new ParseError(`${path} is not valid JSON: ${(e as Error).message}`),
      ),
    ),
    E.chain((raw) => A.traverse(E.Applicative)((c: unknown) => parseCase(c, path))(Array.isArray(raw) ? raw : [raw])),
  );
}

/**
 * Lists the `*.json` files under a directory and its sub-folders, sorted by path; a clear
 * IoError when it is missing or holds no case files.
 */
export function listCaseFiles(dir: string): E.Either<PureganError, string[]> {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.isFile() && e.name.endsWith('.json') ? [join(d, e.name)] : []));
  return pipe(
    E.tryCatch(
      () => {
        if (!statSync(dir).isDirectory()) throw new Error('not a directory');
        return walk(dir).sort();
      },
      (e) => new IoError(`cannot list reference cases in ${dir}: ${(e as Error).message} (expected a directory of *.json cases)`),
    ),
    E.chain((files) => (files.length > 0 ? E.right(files) : E.left(new IoError(`no reference cases in ${dir}: expected *.json case files in it or its sub-folders`)))),
  );
}
