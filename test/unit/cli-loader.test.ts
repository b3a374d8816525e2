import { execFile } from 'node:child_process';
import { existsSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module (bin/coupa-sync.mjs loads it before any TypeScript runs)
import { buildBundle, freshBundle } from '../../bin/cli-loader.mjs';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');

describe('the CLI bundle (bin/cli-loader.mjs)', () => {
  it('is built with its source map and is fresh until a source it was built from changes', async () => {
    // Prepare
    const bundle = (await buildBundle()) as string;
    const source = join(ROOT, 'bin/cli/usage.ts');
    const { atime, mtime } = statSync(source);

    try {
      // Act: the source is "edited" (a newer mtime)
      const before = freshBundle() as string | undefined;
      utimesSync(source, atime, new Date(mtime.getTime() + 5_000));
      const after = freshBundle() as string | undefined;

      // Assess
      expect(before).toBe(bundle);
      expect(existsSync(`${bundle}.map`)).toBe(true);
      expect(after).toBeUndefined();
    } finally {
      utimesSync(source, atime, mtime);
    }
    // Restored to the second (utimes drops the sub-millisecond part): a rebuild is fresh again. Built
    // first, then asked: a CLI spawned by another test file meanwhile may have rebuilt it from the edit.
    const rebuilt = await buildBundle();
    expect(freshBundle()).toBe(rebuilt);
  });

  it('is fresh after a build from another folder (npx coupa-sync run from wherever the user is)', async () => {
    // Prepare: a source newer than the bundle, so the CLI rebuilds it
    const source = join(ROOT, 'bin/cli/usage.ts');
    const { atime, mtime } = statSync(source);
    utimesSync(source, atime, new Date(mtime.getTime() + 7_000));
    try {
      // Act: the CLI started in another folder
      await run(process.execPath, [join(ROOT, 'bin/coupa-sync.mjs'), 'help'], { cwd: tmpdir() });

      // Assess: it built a bundle it can use, rather than falling back to tsx
      expect(freshBundle()).toBeDefined();
    } finally {
      utimesSync(source, atime, mtime);
    }
  });

  it('maps an error stack from the bundle back to the TypeScript source', async () => {
    // Prepare: the bundle's `main` fails inside bin/coupa-sync.ts when process.stdout cannot be written
    const bundle = (await buildBundle()) as string;
    const script = `process.setSourceMapsEnabled(true);
const { main } = await import(${JSON.stringify(`file://${bundle}`)});
process.stdout.write = () => { throw new Error('boom'); };
try { await main(['--help']); } catch (e) { console.error(e.stack); }`;

    // Act
    const { stderr } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });

    // Assess
    expect(stderr).toMatch(/Error: boom/);
    expect(stderr).toMatch(/bin\/coupa-sync\.ts:\d+:\d+/);
  });

  it('runs the CLI from the bundle, or from the sources with COUPA_SYNC_TSX=1, alike', async () => {
    // Act
    const bundled = await run(process.execPath, ['bin/coupa-sync.mjs', 'help'], { cwd: ROOT });
    const sources = await run(process.execPath, ['bin/coupa-sync.mjs', 'help'], { cwd: ROOT, env: { ...process.env, COUPA_SYNC_TSX: '1' } });

    // Assess
    expect(bundled.stdout).toMatch(/^Usage: coupa-sync <command> \[options\][\s\S]*\n  run <hr-file> /);
    expect(bundled.stdout).toBe(sources.stdout);
  });
});
