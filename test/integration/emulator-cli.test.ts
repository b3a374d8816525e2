import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseEmulatorArgs } from '../../emulator/cli';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('emulator CLI', () => {
  it('turns flags into emulator options', () => {
    // Act
    const options = parseEmulatorArgs(['--port', '8089', '--flavor', 'cso', '--seed', 'none', '--incoming', '/tmp/in', '--rate-limit', '20', '--latency', '5', '--error-rate', '0.1', '--reset-rate', '0.05', '--fault-seed', '9']);
    // Assess
    expect(options).toEqual({
      port: 8089, flavor: 'cso', seed: 'none',
      faults: { rateLimitPerSecond: 20, latencyMs: 5, errorRate: 0.1, resetRate: 0.05, seed: 9, retryAfterSeconds: 1 },
      loader: { incomingDir: '/tmp/in', pollMs: 5000 },
    });
  });

  it('rejects a bad flavor and an out-of-range rate, naming the flag and the value', () => {
    // Act / Assess
    expect(() => parseEmulatorArgs(['--flavor', 'erp'])).toThrow('--flavor must be core or cso, not "erp"');
    expect(() => parseEmulatorArgs(['--error-rate', '2'])).toThrow('--error-rate must be a number from 0 to 1, not "2"');
  });

  it('runs until SIGTERM, printing the URL and the credentials to use', async () => {
    // Prepare
    const code = "import { runEmulatorCli } from './emulator/cli.ts'; await runEmulatorCli(['--port', '0']);";
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
    try {
      // Act: wait (bounded) for the banner, call the API it names, then stop it
      const deadline = Date.now() + 15_000;
      while (!/listening on (http:\/\/127\.0\.0\.1:\d+)/.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      const token = await fetch(`${url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=coupa-sync-demo&client_secret=demo-secret',
      });
      child.kill('SIGTERM');
      const status = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
      // Assess
      expect(token.status).toBe(200);
      expect(output).toContain('COUPA_CLIENT_ID=coupa-sync-demo');
      expect(output).toContain(`--coupa-url ${url}`);
      expect(status).toBe(0);
      expect(output).toContain('Coupa emulator stopped.');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
