/**
 * csv-parse's parser, driven synchronously chunk by chunk instead of through its object-mode stream.
 *
 * Why: the stream hands records on asynchronously, so when it fails the reader cannot tell how far
 * it got without `on_record` (which makes csv-parse build an info object per record: a fifth of the
 * read time), and every record pays for a stream push and an async iteration step. Here the parser
 * calls `push` for each record while the chunk is parsed, so numbering is exact at the moment of an
 * error, at no cost. The parser core is the one csv-parse's own Parser and sync API use (`api`).
 */
import { parse, type Options } from 'csv-parse';

interface ParserCore {
  parse(chunk: Buffer | undefined, end: boolean, push: (record: string[]) => void, close: () => void): Error | undefined;
  info: { lines: number; empty_lines: number; bytes: number };
}

export class CsvRecords {
  private readonly core: ParserCore;

  constructor(options: Options) {
    const parser = parse(options) as unknown as { api?: ParserCore };
    if (typeof parser.api?.parse !== 'function') throw new Error('csv-parse no longer exposes its parser core (api.parse): check the csv-parse version');
    this.core = parser.api;
  }

  /** Lines read so far (the line the last record ended on), and the empty lines skipped by then. */
  get position(): { lines: number; emptyLines: number } {
    return { lines: this.core.info.lines, emptyLines: this.core.info.empty_lines };
  }

  /** Parses one chunk, calling `push` for every record it completes; throws csv-parse's CsvError. */
  write(chunk: Buffer, push: (record: string[]) => void): void {
    const error = this.core.parse(chunk, false, push, () => {});
    if (error) throw error;
  }

  /** The end of the input: the last record (without a final line break) and unclosed quotes surface here. */
  end(push: (record: string[]) => void): void {
    const error = this.core.parse(undefined, true, push, () => {});
    if (error) throw error;
  }
}
