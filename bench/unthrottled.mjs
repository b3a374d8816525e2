// Preload for the CLI bench (node --import): turns the client's rate governor off, so a plan of
// 500k users against the local emulator takes seconds instead of Coupa's 20 req/s (which the rate
// section of the bench measures on its own). Loads the CLI exactly as bin/coupa-sync.mjs does next
// (the same bundle or tsx module, so the same TokenBucket class).
import { loadCli } from '../bin/cli-loader.mjs';

const { TokenBucket } = await loadCli();
TokenBucket.prototype.take = async function take() {};
