#!/usr/bin/env node
// Entry point of `coupa-sync` (npx coupa-sync …): loads the TypeScript CLI through tsx,
// so the same sources run here, in tests and (bundled by esbuild) in the Lambdas.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./coupa-sync.ts');
process.exitCode = await main(process.argv.slice(2));
