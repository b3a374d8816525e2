/**
 * report.json in pieces: exactly the text of `JSON.stringify(report, null, 2)` plus a line break,
 * made row by row, so a report whose rows are spooled (report-rows.ts) is written without the
 * rows, or the whole text, ever being in memory at once.
 */
import type { RunReport } from '../model';
import { reportRows } from './report-rows';

/** Stands in for the rows while the rest of the report is stringified (no report value holds it). */
const ROWS_MARK = '\u0000rows\u0000';
/** Rows joined per piece: few enough writes, small enough pieces. */
const ROWS_PER_PIECE = 512;

export function* reportJsonChunks(report: RunReport): Iterable<string> {
  // Every key in the report's own order, without reading `rows` (a spooled report would load them all).
  const shell: Record<string, unknown> = {};
  for (const key of Object.keys(report)) shell[key] = key === 'rows' ? ROWS_MARK : report[key as keyof RunReport];
  const text = `${JSON.stringify(shell, null, 2)}\n`;
  const mark = `${JSON.stringify(ROWS_MARK)}`;
  const at = text.indexOf(mark);
  if (at < 0) {
    yield text;
    return;
  }
  yield text.slice(0, at);
  // An array at depth 1 of JSON.stringify(…, null, 2): items at 4 spaces, the closing bracket at 2.
  let piece = '[';
  let count = 0;
  for (const row of reportRows(report)) {
    piece += `${count > 0 ? ',' : ''}\n    ${JSON.stringify(row, null, 2).replaceAll('\n', '\n    ')}`;
    if (++count % ROWS_PER_PIECE === 0) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}${count > 0 ? '\n  ]' : ']'}${text.slice(at + mark.length)}`;
}
