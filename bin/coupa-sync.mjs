#!/usr/bin/env node
// Entry point of `coupa-sync` (npx coupa-sync …): runs the TypeScript CLI from a prebuilt esbuild
// bundle when it is fresh, else through tsx (bin/cli-loader.mjs says when and why), so the same
// sources run here, in tests and (bundled by esbuild) in the Lambdas.
import { loadCli } from './cli-loader.mjs';

const { main, optimizeForSize } = await loadCli();
// A full-roster plan makes garbage by the gigabyte while its live data stays flat: V8 optimizing for
// size collects sooner (a 200k-user plan peaked at 205 MB RSS instead of 292 MB, for ~20–40 % more
// plan time). Set before the CLI runs; why and where it is relaxed: bin/cli/collector.ts.
optimizeForSize();
process.exitCode = await main(process.argv.slice(2));
