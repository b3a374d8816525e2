/**
 * FileDrop into a local folder standing in for Coupa's sFTP root (the embedded emulator's
 * loader watches it). Written to a dot-temp name, then renamed, as over SFTP, so the loader
 * never reads half a file.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileDrop } from '../../core/ports';

export class FolderFileDrop implements FileDrop {
  constructor(private readonly root: string) {}

  async deliver(name: string, body: Buffer, remoteDir: string): Promise<{ transferId: string }> {
    if (name.includes('/') || name.startsWith('.')) throw new Error(`Not a plain file name: ${name}`);
    const dir = join(this.root, remoteDir);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${name}.part`);
    await writeFile(temp, body);
    await rename(temp, join(dir, name));
    return { transferId: `folder:${join(remoteDir, name)}` };
  }
}
