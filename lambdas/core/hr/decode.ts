/**
 * Turns the bytes of an HR file, as they stream in, into UTF-8 chunks for the CSV parser: the
 * first bytes are sniffed (sniff.ts) to refuse what is no CSV text and to pick the encoding, and
 * the file's size is counted against hr.limits.maxFileBytes as it goes, so nothing unbounded is
 * ever read. UTF-8 passes through untouched (the parser's fast path); Windows-1252, ISO-8859-1 and
 * UTF-16 are decoded with Node's TextDecoder (full ICU) and handed on as UTF-8.
 */
import { SNIFF_BYTES, sniffEncoding, type TextEncodingName } from './sniff';
import type { HrEncoding } from './hr-config';

/** A whole-file problem found while reading the bytes (the reader names the file). */
export class FileBytesError extends Error {}

export interface DecodeOptions {
  encoding: HrEncoding;
  maxFileBytes: number;
}

export interface DecodedText {
  encoding: TextEncodingName;
  /** The start of the file as text, for the delimiter sniff (the header line is in it). */
  head: string;
  /** The whole file as UTF-8 chunks, head included. */
  chunks: AsyncGenerator<Buffer>;
}

const asBuffer = (chunk: unknown): Buffer => (Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'utf8'));

export async function decodeHrBytes(input: AsyncIterable<unknown>, options: DecodeOptions): Promise<DecodedText> {
  const source = input[Symbol.asyncIterator]();
  let bytes = 0;
  const counted = (chunk: Buffer): Buffer => {
    bytes += chunk.length;
    if (bytes > options.maxFileBytes) {
      throw new FileBytesError(`the file is larger than hr.limits.maxFileBytes (${options.maxFileBytes} bytes); it was not read further`);
    }
    return chunk;
  };
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < SNIFF_BYTES) {
    const next = await source.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = counted(asBuffer(next.value));
    head.push(chunk);
    headBytes += chunk.length;
  }
  const sample = Buffer.concat(head);
  const sniffed = sniffEncoding(sample.subarray(0, SNIFF_BYTES), options.encoding, ended);
  if (!sniffed.ok) {
    if (!ended) await source.return?.();
    throw new FileBytesError(sniffed.problem);
  }
  const { encoding } = sniffed;

  async function* rest(): AsyncGenerator<Buffer> {
    try {
      yield sample;
      if (ended) return;
      for (let next = await source.next(); !next.done; next = await source.next()) yield counted(asBuffer(next.value));
    } finally {
      // A reader that stops early (or a limit) releases the source (an S3 body is destroyed).
      if (!ended) await source.return?.();
    }
  }
  async function* transcoded(): AsyncGenerator<Buffer> {
    const decoder = new TextDecoder(encoding);
    for await (const chunk of rest()) yield Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8');
    const tail = decoder.decode();
    if (tail !== '') yield Buffer.from(tail, 'utf8');
  }
  const headText = new TextDecoder(encoding).decode(sample.subarray(0, Math.min(sample.length, SNIFF_BYTES)));
  return { encoding, head: headText, chunks: encoding === 'utf-8' ? rest() : transcoded() };
}
