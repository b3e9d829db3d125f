/**
 * Whether this runs in Node: the wasm backend then reads files with `node:fs`, sets V8 flags
 * with `node:v8` and may start worker_threads, all through dynamic imports so that the package
 * root stays free of static `node:*` imports (browsers load the same modules).
 */
export const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
