#!/usr/bin/env node
// Entry point of `coupa-sync` (npx coupa-sync …): runs the TypeScript CLI from a prebuilt esbuild
// bundle when it is fresh, else through tsx (bin/cli-loader.mjs says when and why), so the same
// sources run here, in tests and (bundled by esbuild) in the Lambdas.
import { loadCli } from './cli-loader.mjs';

const { main } = await loadCli();
process.exitCode = await main(process.argv.slice(2));
