/** Text made in pieces (a report of a million rows) written to a file without joining it first. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const BATCH_CHARS = 64 * 1024;

export async function writeChunks(path: string, chunks: Iterable<string>): Promise<void> {
  const out = createWriteStream(path, 'utf8');
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => undefined);
  try {
    // Small pieces (a plan's change, a report's row) go out in batches of about 64 KB: one write
    // per piece costs a Buffer and a write request each, more than the piece itself.
    let batch = '';
    for (const chunk of chunks) {
      batch += chunk;
      if (batch.length < BATCH_CHARS) continue;
      const ready = out.write(batch);
      batch = '';
      if (!ready) await Promise.race([once(out, 'drain'), failed]);
    }
    if (batch !== '') out.write(batch);
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  } finally {
    out.destroy();
  }
}
