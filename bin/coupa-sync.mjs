#!/usr/bin/env node
// Entry point of `coupa-sync` (npx coupa-sync …): runs the TypeScript CLI from a prebuilt esbuild
// bundle when it is fresh, else through tsx (bin/cli-loader.mjs says when and why), so the same
// sources run here, in tests and (bundled by esbuild) in the Lambdas.
import { setFlagsFromString } from 'node:v8';
import { loadCli } from './cli-loader.mjs';

// A full-roster plan makes garbage by the gigabyte while its live data stays flat: V8 optimizing for
// size collects sooner (a 200k-user plan peaked at 205 MB RSS instead of 292 MB, for ~20–40 % more
// plan time). Set here, before the CLI allocates, as a shebang cannot carry node flags portably; why
// and where it is relaxed: bin/cli/collector.ts.
setFlagsFromString('--optimize-for-size');

const { main, optimizeForSize } = await loadCli();
optimizeForSize(); // the same flag, so that the CLI's module instance knows it is set
process.exitCode = await main(process.argv.slice(2));
