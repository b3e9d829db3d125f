/**
 * Tagged error types. Ops throw `ShapeError` / `ValueError` on misuse (programming errors);
 * everything that meets the outside world returns `Either<PureganError, T>` instead.
 */

export type ErrorTag =
  | 'ShapeError'
  | 'ValueError'
  | 'ArenaError'
  | 'IoError'
  | 'ParseError'
  | 'UnsupportedError'
  | 'BackendError'
  | 'UsageError'
  | 'ConfigError'
  | 'JitError'
  | 'DeviceTensorError';

/** Base class of every error puregan raises; `tag` discriminates without `instanceof`. */
export class PureganError extends Error {
  readonly tag: ErrorTag;
  constructor(tag: ErrorTag, message: string) {
    super(message);
    this.tag = tag;
    this.name = tag;
  }
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Wrong rank or mismatched shapes. `shapes` holds every shape involved, by role. */
export class ShapeError extends PureganError {
  readonly shapes: Readonly<Record<string, readonly number[]>>;
  constructor(message: string, shapes: Readonly<Record<string, readonly number[]>> = {}) {
    const parts = Object.entries(shapes).map(([k, v]) => `${k}=${fmt(v)}`);
    super('ShapeError', parts.length > 0 ? `${message} (${parts.join(', ')})` : message);
    this.shapes = shapes;
  }
}

/** A value out of its domain: a negative stride, a NaN where none is allowed, ... */
export class ValueError extends PureganError {
  constructor(message: string) {
    super('ValueError', message);
  }
}

/** The wasm scratch arena cannot hold a request. */
export class ArenaError extends PureganError {
  readonly requestedBytes: number;
  readonly limitBytes: number;
  constructor(message: string, requestedBytes: number, limitBytes: number) {
    super('ArenaError', message);
    this.requestedBytes = requestedBytes;
    this.limitBytes = limitBytes;
  }
}

/** A feature that is recognised but not implemented (e.g. a reference case of an unknown op). */
export class UnsupportedError extends PureganError {
  constructor(message: string) {
    super('UnsupportedError', message);
  }
}

/** Reading or writing files failed. */
export class IoError extends PureganError {
  constructor(message: string) {
    super('IoError', message);
  }
}

/** Input from outside (JSON, CLI flags, checkpoints) is malformed. */
export class ParseError extends PureganError {
  constructor(message: string) {
    super('ParseError', message);
  }
}

/** A backend failed to load or initialise. */
export class BackendError extends PureganError {
  constructor(message: string) {
    super('BackendError', message);
  }
}

/**
 * Command-line arguments a command cannot run with (unknown flags, bad values, missing
 * arguments). `problems` lists every one found, so a user fixes them all in one go.
 */
export class UsageError extends PureganError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('UsageError', problems.length === 1 ? problems[0]! : `${problems.length} problems: ${problems.map((p, i) => `(${i + 1}) ${p}`).join(' ')}`);
    this.problems = problems;
  }
}

/** A training (or other) configuration is invalid; `problems` lists every problem found. */
export class ConfigError extends PureganError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('ConfigError', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/**
 * Misuse of `jit`: reading the values of a traced tensor inside a jitted function, closing over
 * a tracer of another transform, or a structure the graph cannot represent.
 */
export class JitError extends PureganError {
  constructor(message: string) {
    super('JitError', message);
  }
}

/**
 * The host values of a device-resident tensor were read (an eager op, `.data`, a compiled graph
 * of another backend): they must be brought back first with `await materialize(tree)`. Also a
 * device tensor used after `dispose`, or after its backend closed.
 */
export class DeviceTensorError extends PureganError {
  constructor(message: string) {
    super('DeviceTensorError', message);
  }
}

export const formatShape = fmt;
