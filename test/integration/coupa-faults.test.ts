/**
 * The client against an unreliable emulator (seeded 503s and connection resets) over real HTTP:
 * every lookup, create and update must still land exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { parseConfig } from '../../lambdas/core/config';
import { createUserDirectory, type RequestEvent, type UserDirectory } from '../../lambdas/adapters/coupa';

/** Test data factory: fields of a new user. */
function newUser(i: number) {
  return { email: `fault.user${i}@example.com`, firstname: 'Fault', lastname: `User ${i}`, active: true };
}

describe.each(['xml', 'json'] as const)('Coupa client under injected faults (core/%s)', (format) => {
  let emulator: RunningEmulator;
  let directory: UserDirectory;
  const events: RequestEvent[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 'demo', faults: { errorRate: 0.15, resetRate: 0.05, seed: 42 } });
    const config = { ...parseConfig({ coupa: { format } }).coupa, maxAttempts: 8, requestTimeoutMs: 5000 };
    directory = createUserDirectory({
      baseUrl: emulator.url,
      config,
      credentials: emulator.credentials,
      random: () => 0.05, // short backoff: the test is about outcomes, not waiting
      onRequest: (e) => events.push(e),
    });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('creates, finds and updates 20 users exactly once despite 503s and resets', async () => {
    // Act
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => directory.create(`fault.user${i}`, newUser(i))));
    const found = await directory.findByLogins(created.map((u) => u.login));
    await Promise.all(created.map((u) => directory.update(u.id, u.login, { lastname: 'Updated' })));
    // Assess
    expect(found.size).toBe(20);
    const stored = emulator.users().filter((u) => String(u.login).startsWith('fault.user'));
    expect(stored).toHaveLength(20);
    expect(stored.every((u) => u.lastname === 'Updated')).toBe(true);
    const statuses = events.map((e) => e.status);
    expect(statuses).toContain(503);
    expect(statuses).toContain('error');
  });
});
