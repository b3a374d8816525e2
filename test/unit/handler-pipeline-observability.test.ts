/**
 * An HR file through the real handlers as the stack runs them (test/support/aws-run-stack.ts): the
 * splitter starts the run's state machine, run-task does its steps (plan, enqueue, report), the
 * api-consumer applies the queue — Coupa emulated over real HTTP, the run table in dynalite, S3, SQS,
 * SNS and Secrets faked. The run funnel shows in the metrics, and the row's e-mail, names and phone
 * reach no log line, no EMF blob and no alert — only its login does.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PublishCommand } from '@aws-sdk/client-sns';
import { startRunStack, type RunStack } from '../support/aws-run-stack';

const EMAIL = 'xanthippe.quernheimer@private-mail.example';
const FIRST = 'Xanthippe';
const LAST = 'Quernheimer';
const PHONE = '+49 170 5550199';
const LOGIN = 'xq.newhire';

let stack: RunStack;
let stdout: string[];

const emfBlobs = () =>
  stdout
    .flatMap((s) => s.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, any>);
const total = (name: string) =>
  emfBlobs().reduce((n, b) => n + (Array.isArray(b[name]) ? b[name].reduce((a: number, v: number) => a + v, 0) : (b[name] ?? 0)), 0);

beforeAll(async () => {
  // Everything logged, so the check covers debug lines too: the handlers' logger takes its level when
  // first imported, here, before the stack (whose handlers are silent by default) imports them.
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  await import('../../lambdas/adapters/aws/wiring/runtime');
  stack = await startRunStack({ metrics: true });
}, 120_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await stack?.close();
});

beforeEach(async () => {
  await stack.fresh({ coupa: { maxAttempts: 1, maxRetryMs: 1000 } });
  stdout = [];
  // Powertools writes log lines and EMF blobs to stdout (its own Console, or the global one in dev mode).
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      stdout.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
  }
});

describe('an HR file through splitter, the run state machine and api-consumer', () => {
  it('counts the funnel and lets no e-mail, name or phone out but the login', async () => {
    // Prepare: one new hire with distinctive personal data, and one row with a bad e-mail (rejected).
    const csv = ['login,email,firstname,lastname,phone-mobile', `${LOGIN},${EMAIL},${FIRST},${LAST},${PHONE}`, `xq.bad,not-an-email-${LAST},${FIRST},${LAST},`].join('\n');
    // Act
    const { runId } = await stack.drop('incoming/hr.csv', csv);
    await stack.settle();
    // Assess: the pipeline did its job.
    expect(stack.machine.executions.get(runId)?.status).toBe('SUCCEEDED');
    expect(stack.coupa.users().find((u) => u.login === LOGIN)).toMatchObject({ email: EMAIL });
    expect(await stack.record(runId)).toMatchObject({ phase: 'reported', queued: 1, settled: 1, failed: 0 });
    // The funnel and Coupa in the metrics.
    expect(total('FilesReceived')).toBe(1);
    expect(total('RowsRead')).toBe(2);
    expect(total('RowsRejected')).toBe(1);
    expect(total('PlanSize')).toBe(1);
    expect(total('RunsHeld')).toBe(0);
    expect(total('ChangesQueued')).toBe(1);
    expect(total('UsersCreated')).toBe(1);
    expect(total('RunsReported')).toBe(1);
    expect(total('CoupaRequests')).toBeGreaterThan(0);
    expect(emfBlobs().find((b) => 'CoupaLatency' in b)).toMatchObject({ service: 'coupa-user-sync', channel: 'api' });
    for (const name of ['FilesReceived', 'RowsRejected', 'ChangesQueued', 'RunsReported']) {
      expect(emfBlobs().find((b) => name in b), name).toMatchObject({ service: 'coupa-user-sync', channel: 'api' });
    }
    // No personal data beyond the login anywhere people or CloudWatch see.
    const published = stack.snsMock.commandCalls(PublishCommand).map((c) => JSON.stringify(c.args[0].input));
    // One message for the run: its digest.
    expect(published).toHaveLength(1);
    const emitted = [...stdout, ...published].join('\n');
    expect(stdout.some((l) => l.includes('"level":"DEBUG"'))).toBe(true);
    for (const personal of [EMAIL, FIRST, LAST, PHONE, 'private-mail', 'Quernheimer']) expect(emitted).not.toContain(personal);
    // The row not applied is named by its login (and the field, never its value).
    expect(published[0]).toContain('row 2, login xq.bad: rejected');
    expect(published[0]).toContain('field \\"email\\"');
  });
});
