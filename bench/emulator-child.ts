/**
 * An emulator in its own process, so a bench can measure another process's memory without the
 * emulator's: `node --import tsx bench/emulator-child.ts <users> [latencyMs]` seeds bench users,
 * prints one JSON line {url, clientId, clientSecret, seedSeconds} and runs until SIGTERM.
 */
import { startEmulator } from '../emulator/server';
import { seedUsers } from './users';

const users = Number(process.argv[2] ?? 1000);
const latencyMs = Number(process.argv[3] ?? 0);
const started = performance.now();
const emulator = await startEmulator({ seed: seedUsers(users), faults: latencyMs > 0 ? { latencyMs } : {} });
const seedSeconds = (performance.now() - started) / 1000;
// The bench reads no request log here: keep it from growing with every page.
setInterval(() => emulator.resetLog(), 1000).unref();
const { clientId, clientSecret } = emulator.credentials;
process.stdout.write(`${JSON.stringify({ url: emulator.url, clientId, clientSecret, seedSeconds })}\n`);
process.on('SIGTERM', () => void emulator.close().then(() => process.exit(0)));
