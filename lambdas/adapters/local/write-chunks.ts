/** Text made in pieces (a report of a million rows) written to a file without joining it first. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export async function writeChunks(path: string, chunks: Iterable<string>): Promise<void> {
  const out = createWriteStream(path, 'utf8');
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => undefined);
  try {
    for (const chunk of chunks) if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  } finally {
    out.destroy();
  }
}
