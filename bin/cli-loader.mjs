// How `coupa-sync` loads its TypeScript: a prebuilt esbuild bundle when one is fresh, else tsx.
//
// Why: tsx compiles every module at start and keeps its loader resident; Node + tsx cost ~107 MB
// RSS for `--help` against ~72 MB for a bundle, which is a third of the 256 MB a 100k-user plan may
// use. The bundle is built on first use into node_modules/.cache/coupa-sync/ with the esbuild API
// (a devDependency: npm 11 may skip install scripts, so nothing relies on a postinstall). Without
// esbuild, or with a cache that cannot be written, the CLI runs through tsx as before.
//
// A stale bundle must never run old code: meta.json lists every source file the bundle was built
// from with its size and mtime, and any difference (or a missing file) rebuilds it. A new source
// file can only be reached by editing one already listed, so that rebuilds too. Packages stay
// external (node_modules is resolved at run time), so only the project's own files are checked.
// Bundles are named by their content's hash and meta.json is renamed into place last: a process
// reading the cache while another rebuilds it sees either the old bundle or the new one, whole.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'bin/coupa-sync.ts');
export const CACHE_DIR = join(ROOT, 'node_modules/.cache/coupa-sync');
const META = join(CACHE_DIR, 'meta.json');
/** Bumped when the build options change: a bundle built otherwise is rebuilt. */
const BUILD_VERSION = 1;

const stamp = (path) => {
  const s = statSync(path);
  return `${s.size}:${s.mtimeMs}`;
};

/** The fresh bundle's path, or undefined (no bundle, or a source changed since it was built). */
export function freshBundle() {
  let meta;
  try {
    meta = JSON.parse(readFileSync(META, 'utf8'));
  } catch {
    return undefined;
  }
  if (meta.version !== BUILD_VERSION || typeof meta.bundle !== 'string') return undefined;
  try {
    for (const [file, recorded] of Object.entries(meta.inputs)) if (stamp(join(ROOT, file)) !== recorded) return undefined;
    statSync(join(CACHE_DIR, meta.bundle));
  } catch {
    return undefined;
  }
  return join(CACHE_DIR, meta.bundle);
}

/**
 * `import.meta.url` of the file it is written in, not of the bundle: a module that finds a file
 * next to itself (the demo's example roster) finds it wherever the bundle lives.
 */
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

/** Builds the bundle (and its source map) into the cache; returns its path. */
export async function buildBundle() {
  const { build } = await import('esbuild');
  // Stamped before the build: a file edited while it runs is then seen as changed next time.
  const result = await build({
    entryPoints: [ENTRY],
    // The metafile's input paths are relative to this folder, and are read back against ROOT: run
    // from another folder (cwd), the stamps failed and the CLI silently fell back to tsx.
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'external',
    sourcesContent: false,
    write: false,
    metafile: true,
    outfile: join(CACHE_DIR, 'cli.mjs'),
    logLevel: 'silent',
    plugins: [sourceUrls],
  });
  const inputs = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = resolve(ROOT, input);
    inputs[relative(ROOT, path)] = stamp(path);
  }
  const code = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
  const name = `cli-${createHash('sha256').update(code.contents).digest('hex').slice(0, 16)}.mjs`;
  mkdirSync(CACHE_DIR, { recursive: true });
  const temp = (path) => `${path}.${process.pid}.tmp`;
  const bundlePath = join(CACHE_DIR, name);
  // The map's source paths are relative to the outfile's folder: it lies next to the bundle it maps.
  writeFileSync(temp(`${bundlePath}.map`), map.text);
  renameSync(temp(`${bundlePath}.map`), `${bundlePath}.map`);
  writeFileSync(temp(bundlePath), `${code.text}//# sourceMappingURL=${name}.map\n`);
  renameSync(temp(bundlePath), bundlePath);
  writeFileSync(temp(META), JSON.stringify({ version: BUILD_VERSION, bundle: name, inputs }));
  renameSync(temp(META), META);
  pruneOldBundles(name);
  return bundlePath;
}

/** Bundles replaced more than an hour ago (a process still running one has long loaded it). */
function pruneOldBundles(keep) {
  const hourAgo = Date.now() - 3_600_000;
  for (const file of readdirSync(CACHE_DIR)) {
    if (!file.startsWith('cli-') || file.startsWith(keep)) continue;
    try {
      if (statSync(join(CACHE_DIR, file)).mtimeMs < hourAgo) unlinkSync(join(CACHE_DIR, file));
    } catch {
      // Another process pruned it first.
    }
  }
}

/**
 * The CLI module (`main`, …): the bundle when it is fresh or can be built, else the sources
 * through tsx. COUPA_SYNC_TSX=1 forces tsx (to run the sources exactly as the tests do).
 */
export async function loadCli() {
  if (process.env.COUPA_SYNC_TSX !== '1') {
    let bundle = freshBundle();
    if (!bundle) bundle = await buildBundle().catch(() => undefined);
    if (bundle) {
      // Error stacks point into the TypeScript sources, as they do under tsx.
      process.setSourceMapsEnabled(true);
      return import(pathToFileURL(bundle).href);
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import('./coupa-sync.ts');
}
