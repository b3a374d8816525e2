/**
 * Every `coupa-sync …` / `npx coupa-sync …` command in README.md's shell code blocks runs as written.
 *
 * Reads whatever README.md says (it is rewritten from time to time). The rules a README writer follows:
 * - A fenced block tagged `sh`, `bash`, `shell`, `console` or untagged is a shell block; `text` (a
 *   synopsis with placeholders) is not.
 * - `<!-- readme-commands: skip (why) -->` on the line before a block skips it (commands that need AWS,
 *   a real Coupa or secrets).
 * - A block is one shell session: `export NAME=value` lines carry on; `coupa-sync emulator …` is started
 *   in the background (as in a second terminal) and stopped at the end of the block.
 * - A command is expected to exit 0, or the code a trailing `# … exit N …` comment states.
 * Commands run in a temporary folder that holds the repository's examples/, with `coupa-sync` being this
 * checkout's bin/coupa-sync.mjs; nothing else is rewritten.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const SHELL_TAGS = new Set(['', 'sh', 'bash', 'shell', 'console']);
const SKIP = /<!--\s*readme-commands:\s*skip\b/;
const COMMAND = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npx\s+)?coupa-sync(?:\s|$)/;

interface Block {
  line: number;
  skipped: boolean;
  commands: string[];
}

/** The shell blocks of a Markdown text, continuation lines joined, with their coupa-sync lines and exports. */
export function shellBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    if (!SHELL_TAGS.has(open[2])) continue;
    const joined = body.join('\n').replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim().replace(/^\$\s+/, ''));
    const commands = joined.filter((l) => COMMAND.test(l) || /^export\s+[A-Z_]/.test(l));
    if (!commands.some((l) => COMMAND.test(l))) continue;
    blocks.push({ line: start + 1, skipped: SKIP.test(lines[start - 1] ?? ''), commands });
  }
  return blocks;
}

/** The exit code a command's trailing comment states (`# exit 1: …`), else 0. */
const expectedExit = (command: string): number => Number(/#.*\bexit (\d)\b/.exec(command)?.[1] ?? 0);

/** The line with `npx coupa-sync` / `coupa-sync` turned into this checkout's CLI; everything else as written. */
const asLocal = (command: string): string => command.replace(/(?:npx\s+)?coupa-sync(?=\s|$)/, `node ${JSON.stringify(join(repoRoot, 'bin/coupa-sync.mjs'))}`);

const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' });

function bash(script: string, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** Starts `coupa-sync emulator …` in the background; waits (bounded) for its banner. A port in use (another checkout's test) is waited for. */
async function startEmulatorLine(script: string, cwd: string): Promise<ChildProcess> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const child = spawn('bash', ['-c', `exec ${script}`], { cwd, env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    while (!output.includes('listening on') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (output.includes('listening on')) return child;
    child.kill('SIGKILL');
    if (!output.includes('is in use') || Date.now() >= deadline) throw new Error(`the emulator did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('README.md commands, as written', async () => {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const blocks = shellBlocks(readme).filter((b) => !b.skipped);

  it('finds commands to run (a README without any would make this test check nothing)', () => {
    expect(blocks.flatMap((b) => b.commands).filter((c) => COMMAND.test(c)).length).toBeGreaterThan(0);
  });

  it.each(blocks.map((b) => [b.line, b] as const))('the shell block at README.md line %i', async (_line, block) => {
    const cwd = await mkdtemp(join(tmpdir(), 'readme-commands-'));
    await symlink(join(repoRoot, 'examples'), join(cwd, 'examples'));
    const exports: string[] = [];
    const background: ChildProcess[] = [];
    try {
      for (const command of block.commands) {
        if (/^export\s/.test(command)) {
          exports.push(command);
          continue;
        }
        expect(command.replace(/\s#.*$/, ''), 'a command with placeholders cannot run as written: tag its block `text`, or mark it skipped').not.toMatch(/<[a-zA-Z-]+>|…/);
        const script = [...exports, asLocal(command)].join('\n');
        if (/coupa-sync\s+emulator\b/.test(command)) {
          background.push(await startEmulatorLine(asLocal(command), cwd));
          continue;
        }
        const { code, output } = await bash(script, cwd);
        expect({ command, code, output: code === expectedExit(command) ? '' : output }).toEqual({ command, code: expectedExit(command), output: '' });
      }
    } finally {
      for (const child of background) child.kill('SIGTERM');
    }
  }, 180_000);
});
