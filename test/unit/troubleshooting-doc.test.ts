/**
 * The documented messages are the program's: every code span in the first column of the tables of
 * docs/troubleshooting.md, and of README.md's Troubleshooting section (whatever it holds when this
 * runs), is found in the source, piece by piece: `<…>` and `…` stand for what the program fills in
 * (a file, a URL, a number), and each piece between them must be literal text of the code.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Where messages are made: the program, the infrastructure (alarm names) and the tests' own prerequisites. */
const SOURCE_DIRS = ['lambdas', 'bin', 'emulator', 'lib', 'test/support'];
/** Pieces shorter than this (after trimming) say too little to check. */
const MIN_PIECE = 8;

async function sourceText(): Promise<string> {
  const texts: string[] = [];
  for (const dir of SOURCE_DIRS) {
    for (const entry of await readdir(join(repoRoot, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && /\.(ts|mjs)$/.test(entry.name)) texts.push(await readFile(join(entry.parentPath, entry.name), 'utf8'));
    }
  }
  const all = texts.join('\n');
  // Escapes as the program prints them: \" → ", \` → `, \' → '.
  return `${all}\n${all.replace(/\\(["'`])/g, '$1')}`;
}

/** The code spans of the first cell of each table row of `markdown` (header and separator rows left out). */
export function documentedMessages(markdown: string): string[] {
  const messages: string[] = [];
  for (const line of markdown.split('\n')) {
    const cells = /^\|([^|]*(?:\\\|[^|]*)*)\|/.exec(line);
    if (!cells || /^\|\s*-/.test(line)) continue;
    for (const span of cells[1].matchAll(/`([^`]+)`/g)) messages.push(span[1].replaceAll('\\|', '|'));
  }
  return messages;
}

/** The literal pieces of a documented message, placeholders taken out. */
export function literalPieces(message: string): string[] {
  return message
    .split(/<[^>]+>|…/)
    .map((p) => p.trim().replace(/^[\s:;,.()]+|[\s:;,.(]+$/g, ''))
    .filter((p) => p.length >= MIN_PIECE);
}

/** README.md's Troubleshooting section, if it has one. */
function readmeTroubleshooting(readme: string): string {
  const start = readme.search(/^## Troubleshooting\b/m);
  if (start < 0) return '';
  const rest = readme.slice(start + 3);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('documented messages are the program\'s', async () => {
  const source = await sourceText();
  const docs = {
    'docs/troubleshooting.md': await readFile(join(repoRoot, 'docs/troubleshooting.md'), 'utf8'),
    'README.md (Troubleshooting)': readmeTroubleshooting(await readFile(join(repoRoot, 'README.md'), 'utf8')),
  };

  it('docs/troubleshooting.md documents messages (an empty table would check nothing)', () => {
    expect(documentedMessages(docs['docs/troubleshooting.md']).length).toBeGreaterThan(20);
  });

  it('splits a message into its literal pieces', () => {
    expect(literalPieces('cannot reach Coupa at <url>: the host <host> does not resolve')).toEqual(['cannot reach Coupa at', 'the host', 'does not resolve']);
  });

  it.each(Object.entries(docs))('every message in %s is printed by the code', (_doc, markdown) => {
    const missing = documentedMessages(markdown).flatMap((m) => literalPieces(m).filter((p) => !source.includes(p)).map((p) => `${m}  →  "${p}"`));
    expect(missing).toEqual([]);
  });
});
