// Preload for the CLI bench (node --import): turns the client's rate governor off, so a plan of
// 500k users against the local emulator takes seconds instead of Coupa's 20 req/s (which the rate
// section of the bench measures on its own). Loads the same module URL the CLI loads later.
import { register } from 'tsx/esm/api';

register();
const { TokenBucket } = await import('../lambdas/adapters/coupa/token-bucket.ts');
TokenBucket.prototype.take = async function take() {};
