import * as E from 'fp-ts/lib/Either.js';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { IoError, ParseError, type PureganError } from '../core/errors.js';
import { parseSafetensors, type Safetensors } from '../io/safetensors.js';
import { defineCommand } from './command.js';

/**
 * `puregan inspect FILE [--json]`: the tensors of any safetensors file (a checkpoint, an
 * exported generator, a PyTorch `save_file`) — name, dtype, shape, size and the sha256 of its
 * bytes — and its metadata. The file is validated by the hardened parser first; a bad file is
 * one error line.
 */
export type TensorReport = Readonly<{ name: string; dtype: string; shape: readonly number[]; bytes: number; sha256: string }>;
export type InspectReport = Readonly<{ file: string; bytes: number; metadata: Readonly<Record<string, string>>; tensors: readonly TensorReport[] }>;

/** The report of a parsed file, tensors in file order. */
export function inspectSafetensors(file: string, bytes: number, parsed: Safetensors): InspectReport {
  const metadata: Record<string, string> = {};
  for (const [k, v] of parsed.metadata) Object.defineProperty(metadata, k, { value: v, enumerable: true });
  const tensors = [...parsed.tensors].map(([name, t]) => ({
    name,
    dtype: t.dtype,
    shape: t.shape,
    bytes: t.data.length,
    sha256: createHash('sha256').update(t.data).digest('hex'),
  }));
  return { file, bytes, metadata, tensors };
}

const LONG = 100;

/** The report as aligned text: a summary line, the metadata (long values cut), a tensor table. */
export function formatInspectReport(r: InspectReport): string {
  const count = r.tensors.length;
  const elements = r.tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  const lines = [`${r.file}: ${count} tensor${count === 1 ? '' : 's'}, ${elements.toLocaleString('en-US')} elements, ${r.bytes.toLocaleString('en-US')} bytes`];
  const keys = Object.keys(r.metadata).sort();
  if (keys.length > 0) {
    lines.push('metadata:');
    for (const k of keys) {
      const v = JSON.stringify(r.metadata[k]!);
      lines.push(`  ${k}: ${v.length > LONG ? `${v.slice(0, LONG)}… (${v.length} characters; --json shows all)` : v}`);
    }
  }
  if (count > 0) {
    const rows = r.tensors.map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`, t.sha256.slice(0, 16)]);
    const header = ['name', 'dtype', 'shape', 'sha256'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const fmt = (row: string[]): string => `  ${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`;
    lines.push('tensors:', fmt(header), ...rows.map(fmt));
  }
  return lines.join('\n');
}

/** Reads and validates `file`, then reports it. */
export async function inspectFile(file: string): Promise<E.Either<PureganError, InspectReport>> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    return E.left(new IoError(`cannot read ${file}: ${(e as Error).message}`));
  }
  const parsed = parseSafetensors(bytes);
  if (E.isLeft(parsed)) return E.left(new ParseError(`${file}: ${parsed.left.message}`));
  return E.right(inspectSafetensors(file, bytes.length, parsed.right));
}

/** `puregan inspect <file> [--json]`. */
export const inspectCommand = defineCommand({
  name: 'inspect',
  summary: 'the tensors (name, dtype, shape, sha256) and metadata of a safetensors file',
  args: ['<file>'],
  flags: { json: { type: 'boolean', help: 'one JSON object (metadata values in full) instead of text' } },
  details: 'Works on any safetensors file: a checkpoint, an exported generator, a PyTorch save_file. Exit code 0 when printed, 1 when the file is missing or not a valid safetensors file (one line saying which rule it breaks), 2 on bad arguments.',
  async run({ flags, positionals }) {
    const report = await inspectFile(positionals[0]!);
    if (E.isLeft(report)) throw report.left;
    console.log(flags.json ? JSON.stringify(report.right) : formatInspectReport(report.right));
    return 0;
  },
});
