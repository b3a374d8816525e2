/**
 * Plans the user-import files for one batch of rows, in the order Coupa must load them.
 *
 * Rules (Coupa loads files one by one in alphanumeric order, rows in file order):
 * - One column set per file: a row never carries a cell it does not own (see user-import-row.ts).
 * - A login appears at most once per file. A later row for a login whose latest placed row has
 *   the SAME column set supersedes it (its cells overwrite every cell of the earlier one, so
 *   applying both = applying the later one): the earlier row is dropped from the file and shares
 *   the survivor's line, hence its outcome. A later row with a DIFFERENT column set goes to a
 *   later "level" of files, so both changes apply, in order.
 * - Within a level, files that set Approver Login come after those that do not, so managers
 *   created in the same batch exist before their reports point at them.
 * - At most `maxRowsPerFile` data rows and `maxBytesPerFile` bytes (header included, measured
 *   on the encoded bytes) per file. A single row bigger than the byte limit goes alone.
 */
import { csvDataLine, csvHeaderLine } from './csv-writer';
import type { ImportRow } from './user-import-row';
import { headerNameOf, type ImportColumn } from './user-import-format';

export interface SplitLimits {
  maxRowsPerFile: number;
  maxBytesPerFile: number;
}

export interface PlannedLine<T> {
  row: ImportRow;
  /** The items this line settles: superseded ones first, the surviving row's item last. */
  items: T[];
}

export interface PlannedFile<T> {
  columns: ImportColumn[];
  /** Data lines in file order: lines[0] is data line 1 (the header excluded). */
  lines: PlannedLine<T>[];
  body: Buffer;
}

interface Group<T> {
  level: number;
  columnKey: string;
  columns: ImportColumn[];
  firstIndex: number;
  lines: PlannedLine<T>[];
}

/** Login comparison ignores case: two spellings of one login must not race in one file. */
const loginKey = (login: string): string => login.toLowerCase();

function groupRows<T>(entries: Array<{ row: ImportRow; item: T }>): Group<T>[] {
  const groups = new Map<string, Group<T>>();
  const latest = new Map<string, { group: Group<T>; line: PlannedLine<T> }>();

  entries.forEach(({ row, item }, index) => {
    const columnKey = row.columns.join('\u0000');
    const previous = latest.get(loginKey(row.login));
    let group: Group<T>;
    let items = [item];
    if (previous && previous.group.columnKey === columnKey) {
      group = previous.group;
      group.lines.splice(group.lines.indexOf(previous.line), 1);
      items = [...previous.line.items, item];
    } else {
      const level = previous ? previous.group.level + 1 : 0;
      const id = `${level}\u0001${columnKey}`;
      group = groups.get(id) ?? { level, columnKey, columns: row.columns, firstIndex: index, lines: [] };
      groups.set(id, group);
    }
    const line = { row, items };
    group.lines.push(line);
    latest.set(loginKey(row.login), { group, line });
  });

  const setsManager = (g: Group<T>): number => (g.columns.includes('manager') ? 1 : 0);
  return [...groups.values()]
    .filter((g) => g.lines.length > 0)
    .sort((a, b) => a.level - b.level || setsManager(a) - setsManager(b) || a.firstIndex - b.firstIndex);
}

function splitGroup<T>(group: Group<T>, limits: SplitLimits, headerNames: Readonly<Record<string, string>>): PlannedFile<T>[] {
  const header = csvHeaderLine(group.columns.map((c) => headerNameOf(c, headerNames)));
  const headerBytes = Buffer.byteLength(header, 'utf8');
  const files: PlannedFile<T>[] = [];
  let lines: PlannedLine<T>[] = [];
  let chunks: string[] = [];
  let bytes = headerBytes;

  const flush = (): void => {
    if (lines.length === 0) return;
    files.push({ columns: group.columns, lines, body: Buffer.from(header + chunks.join(''), 'utf8') });
    lines = [];
    chunks = [];
    bytes = headerBytes;
  };

  for (const line of group.lines) {
    const text = csvDataLine(group.columns.map((c) => line.row.cells[c] ?? ''));
    const size = Buffer.byteLength(text, 'utf8');
    if (lines.length >= limits.maxRowsPerFile || (lines.length > 0 && bytes + size > limits.maxBytesPerFile)) flush();
    lines.push(line);
    chunks.push(text);
    bytes += size;
  }
  flush();
  return files;
}

export function planImportFiles<T>(
  entries: Array<{ row: ImportRow; item: T }>,
  limits: SplitLimits,
  headerNames: Readonly<Record<string, string>>,
): PlannedFile<T>[] {
  return groupRows(entries).flatMap((group) => splitGroup(group, limits, headerNames));
}

/** `YYYYMMDD_HHMMSS` in UTC: sorts like the time it names. */
export function fileTimestamp(at: Date): string {
  const iso = at.toISOString(); // 2026-11-23T04:34:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/**
 * `users_<YYYYMMDD_HHMMSS>Z_<mmm>_<batchTag>_<seq>.csv`: Coupa loads in alphanumeric order, so
 * the UTC time first, down to the millisecond (two batches made within one second still load in
 * the order they were made), then the batch's content tag (keeps one batch's files together and
 * two batches made in the same millisecond apart), then a zero-padded sequence in load order.
 */
export function importFileName(at: Date, batchTag: string, seq: number): string {
  const millis = String(at.getUTCMilliseconds()).padStart(3, '0');
  return `users_${fileTimestamp(at)}Z_${millis}_${batchTag}_${String(seq).padStart(4, '0')}.csv`;
}
