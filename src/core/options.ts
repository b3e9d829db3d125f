import { ValueError } from './errors.js';

/**
 * Every key of an options type, each mapped to `true`: the list `checkOptions` accepts. Written
 * as a record so that an option added to the type but not to the list does not compile.
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]-?: true };

/**
 * Throws a ValueError naming `fn` unless `opts` is a plain object whose keys are all in
 * `keys`: a misspelt option (`{ keepdims: true }` for `keepDims`) would otherwise be ignored
 * silently. The message lists the valid keys and suggests one that differs only in case.
 */
export function checkOptions<T>(fn: string, opts: T, keys: OptionKeys<T>): void {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    const valid = Object.keys(keys);
    throw new ValueError(`${fn}: options must be an object { ${valid.map((k) => `${k}?`).join(', ')} }, got ${Array.isArray(opts) ? 'an array' : String(opts)}`);
  }
  for (const k in opts) {
    if (Object.hasOwn(opts, k) && !Object.hasOwn(keys, k)) throw unknownOptions(fn, opts, Object.keys(keys));
  }
}

/** The error for `opts` holding keys outside `valid` (built only when there is one). */
function unknownOptions(fn: string, opts: object, valid: readonly string[]): ValueError {
  const unknown = Object.keys(opts).filter((k) => !valid.includes(k));
  const named = unknown.map((k) => {
    const near = valid.find((v) => v.toLowerCase() === k.toLowerCase());
    return near === undefined ? `"${k}"` : `"${k}" (did you mean "${near}"?)`;
  });
  return new ValueError(`${fn}: unknown option${unknown.length > 1 ? 's' : ''} ${named.join(', ')}; valid options: ${valid.join(', ')}`);
}

/** Throws a ValueError naming `fn` and `what` unless `v` is an integer >= 1 (a layer's width, a count). */
export function checkPositiveInt(fn: string, what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw new ValueError(`${fn}: ${what} must be an integer >= 1, got ${v}`);
}
