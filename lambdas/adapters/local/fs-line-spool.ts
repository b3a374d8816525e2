/**
 * LineSpool on a local file (JSON Lines: `runs/<runId>/outcomes.jsonl` in the state folder).
 *
 * Appends are buffered (64 KiB) and written with writeSync; each line's byte offset is kept in a
 * Float64Array (8 bytes a line). Reads go through a few cached blocks of the file: a report reads
 * rows in row order, which interleaves a handful of sequential streams of the file (the rows the
 * plan settled, then the changes, each in file order), so a small LRU of blocks reads each part of
 * the file about once instead of once per line.
 */
import { closeSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LineSpool } from '../../core/ports';

const WRITE_BUFFER = 64 * 1024;
const BLOCK = 256 * 1024;
const BLOCKS = 4;

interface Block {
  start: number;
  bytes: Buffer;
  length: number;
}

export class FsLineSpool implements LineSpool {
  /** offsets[i] = where line i starts; offsets[count] = where the next one will. */
  private offsets = new Float64Array(1024);
  private count = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  private fd?: number;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    // Truncated: a spool belongs to one run, written once.
    closeSync(openSync(path, 'w'));
  }

  get size(): number {
    return this.count;
  }

  append(line: string): number {
    const bytes = Buffer.byteLength(line, 'utf8') + 1;
    if (this.count + 1 >= this.offsets.length) {
      const grown = new Float64Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.count + 1] = this.offsets[this.count] + bytes;
    this.pending.push(line);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= WRITE_BUFFER) this.flush();
    return this.count++;
  }

  *read(indexes: Iterable<number>): Iterable<string> {
    this.flush();
    // Closed after each write burst, so a finished run holds no file descriptor.
    this.closeWriter();
    const fd = openSync(this.path, 'r');
    // Per read: two reads in progress at once (a report written while another is) keep their own.
    const blocks: Block[] = [];
    try {
      for (const i of indexes) {
        if (!(i >= 0 && i < this.count)) throw new RangeError(`${this.path}: no line ${i} (${this.count} lines)`);
        const start = this.offsets[i];
        const end = this.offsets[i + 1] - 1; // without its line break
        const block = blockFor(blocks, fd, start, end);
        yield block.bytes.toString('utf8', start - block.start, end - block.start);
      }
    } finally {
      closeSync(fd);
    }
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.fd ??= openSync(this.path, 'a');
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.pendingBytes = 0;
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
  }

  /**
   * Lets go of the file without reading it (a plan suspended or failed before its report): an open
   * handle would keep a deleted spool's disk space (Lambda's /tmp outlives the invocation).
   */
  close(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.closeWriter();
  }

  private closeWriter(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The cached block holding bytes [start, end), read (evicting the least recently used) if none does. */
function blockFor(blocks: Block[], fd: number, start: number, end: number): Block {
  const index = blocks.findIndex((b) => b.start <= start && end <= b.start + b.length);
  if (index >= 0) {
    const [hit] = blocks.splice(index, 1);
    blocks.unshift(hit);
    return hit;
  }
  const size = Math.max(BLOCK, end - start);
  const reused = blocks.length >= BLOCKS ? blocks.pop()! : undefined;
  const bytes = reused && reused.bytes.length >= size ? reused.bytes : Buffer.allocUnsafe(size);
  const length = readSync(fd, bytes, 0, size, start);
  const block = { start, bytes, length };
  blocks.unshift(block);
  return block;
}
