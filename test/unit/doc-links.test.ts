/**
 * Every relative link in README.md and docs/*.md resolves: the file (or folder) exists in the
 * repository, and a `#anchor` names a heading of the target as GitHub renders it (its slug rules:
 * lower case, punctuation dropped, spaces to hyphens, repeats numbered -1, -2 …) or an explicit
 * `id`/`name` anchor. Links inside code blocks and code spans are not links.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The Markdown a reader of the repository meets first: README.md and docs/*.md. */
function docFiles(): string[] {
  const docs = join(ROOT, 'docs');
  return [join(ROOT, 'README.md'), ...readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => join(docs, f))];
}

/** The lines outside fenced code blocks (numbered for messages): as written, and without code spans. */
function proseLines(markdown: string): Array<{ line: number; raw: string; text: string }> {
  const out: Array<{ line: number; raw: string; text: string }> = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, i) => {
    const marker = /^\s*(```+|~~~+)/.exec(text)?.[1];
    if (marker && (!fence || marker.startsWith(fence))) {
      fence = fence ? undefined : marker;
      return;
    }
    if (!fence) out.push({ line: i + 1, raw: text, text: text.replace(/(`+)[^`]*?\1/g, '') });
  });
  return out;
}

/** GitHub's heading slug (github-slugger): lower case, drop all but letters, digits, marks, `_`, `-` and spaces; spaces → `-`. */
export function githubSlug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The heading's text as rendered: links to their text, images and HTML tags gone, code and emphasis marks dropped. */
function headingText(raw: string): string {
  return raw
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '')
    .replace(/(^|\s)_+|_+(\s|$)/g, '$1$2')
    .trim();
}

const anchorCache = new Map<string, Set<string>>();

/** Every anchor a Markdown file offers: its headings' slugs (repeats numbered) and explicit ids. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { raw, text } of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw)?.[1];
    if (heading !== undefined) {
      const slug = githubSlug(headingText(heading));
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
    for (const m of text.matchAll(/<[a-z]+[^>]*\s(?:id|name)="([^"]+)"/gi)) anchors.add(m[1]);
  }
  return anchors;
}

function anchorsOfFile(path: string): Set<string> {
  let anchors = anchorCache.get(path);
  if (!anchors) anchorCache.set(path, (anchors = anchorsOf(readFileSync(path, 'utf8'))));
  return anchors;
}

/** Inline links and images `[t](target "title")` and reference definitions `[t]: target`. */
export function linksOf(markdown: string): Array<{ line: number; target: string }> {
  const links: Array<{ line: number; target: string }> = [];
  for (const { line, text } of proseLines(markdown)) {
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line, target: m[1] });
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(text);
    if (definition) links.push({ line, target: definition[1] });
  }
  return links;
}

/** What is wrong with a relative link from `file`, or undefined when it resolves (absolute URLs are not checked). */
function brokenLink(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const pathPart = decodeURIComponent(hash >= 0 ? target.slice(0, hash) : target);
  const anchor = hash >= 0 ? decodeURIComponent(target.slice(hash + 1)) : undefined;
  const path = pathPart === '' ? file : pathPart.startsWith('/') ? join(ROOT, pathPart) : resolve(dirname(file), pathPart);
  if (!path.startsWith(ROOT)) return `points outside the repository (${relative(ROOT, path)})`;
  if (!existsSync(path)) return `${relative(ROOT, path)} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(path).isDirectory() || !path.endsWith('.md')) return undefined;
  return anchorsOfFile(path).has(anchor.toLowerCase()) ? undefined : `${relative(ROOT, path)} has no heading #${anchor}`;
}

describe('relative links in README.md and docs/', () => {
  it('each resolves to a file in the repository, and each #anchor to a heading of it', () => {
    // Prepare
    const files = docFiles();

    // Act
    const broken: string[] = [];
    let checked = 0;
    for (const file of files) {
      for (const { line, target } of linksOf(readFileSync(file, 'utf8'))) {
        checked += 1;
        const why = brokenLink(file, target);
        if (why) broken.push(`${relative(ROOT, file)}:${line}: ${target} — ${why}`);
      }
    }

    // Assess
    expect(checked).toBeGreaterThan(10);
    expect(broken).toEqual([]);
  });
});

describe('the link checker', () => {
  it("makes GitHub's heading slugs, repeats numbered", () => {
    // Act
    const anchors = anchorsOf(
      ['# Runbook: when a run is held', '## `coupa-sync approve` — approve a run', '## Step 1', '## Step 1', '```', '# not a heading', '```'].join('\n'),
    );

    // Assess
    expect([...anchors]).toEqual(['runbook-when-a-run-is-held', 'coupa-sync-approve--approve-a-run', 'step-1', 'step-1-1']);
  });

  it('finds inline links, images and reference definitions, but not links in code', () => {
    // Act
    const links = linksOf(['See [the docs](docs/a.md#x "title") and ![pic](docs/p.png).', '`[not](a-link.md)`', '```', '[no](b.md)', '```', '[ref]: ./c.md'].join('\n'));

    // Assess
    expect(links.map((l) => l.target)).toEqual(['docs/a.md#x', 'docs/p.png', './c.md']);
  });
});
