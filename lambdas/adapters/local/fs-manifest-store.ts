/**
 * ManifestStore over a local folder: `<dir>/pending/<file>.json` until Coupa's verdict is in,
 * then moved to `<dir>/done/`. Writes go through a temp file + rename so a crash never leaves
 * half a manifest behind.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CsvManifest, ManifestStore } from '../../core/csv/manifest';

export class FsManifestStore implements ManifestStore {
  private readonly pendingDir: string;
  private readonly doneDir: string;

  constructor(dir: string) {
    this.pendingDir = join(dir, 'pending');
    this.doneDir = join(dir, 'done');
  }

  private static entryName(fileName: string): string {
    if (fileName.includes('/') || fileName.includes('\\') || fileName.startsWith('.')) {
      throw new Error(`Not a plain file name: ${fileName}`);
    }
    return `${fileName}.json`;
  }

  async save(m: CsvManifest): Promise<void> {
    await mkdir(this.pendingDir, { recursive: true });
    const target = join(this.pendingDir, FsManifestStore.entryName(m.fileName));
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(m, null, 2)}\n`, 'utf8');
    await rename(temp, target);
  }

  async pending(): Promise<CsvManifest[]> {
    let names: string[];
    try {
      names = await readdir(this.pendingDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const files = names.filter((n) => n.endsWith('.json')).sort();
    return Promise.all(
      files.map(async (n) => JSON.parse(await readFile(join(this.pendingDir, n), 'utf8')) as CsvManifest),
    );
  }

  async complete(fileName: string): Promise<void> {
    await mkdir(this.doneDir, { recursive: true });
    const entry = FsManifestStore.entryName(fileName);
    try {
      await rename(join(this.pendingDir, entry), join(this.doneDir, entry));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
