#!/usr/bin/env node
import { main, UsageError } from './app.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof UsageError ? e.message : `puregan: ${(e as Error).message}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
