/**
 * report.csv: the run report for spreadsheets, one line per HR file row in row order, then one
 * line per absentee (row empty). A run held, stopped, expired or rejected says why once, in a first
 * record of its own (row and login empty, outcome `run <status>`, the reason as its message): the
 * rows carry only what differs between them.
 *
 * Columns `row,login,outcome,fields,message,changes`: the five the issue names, in its order, then
 * `changes` (each field's before → after, `; ` between fields) appended last, so a reader of the
 * first five columns by position is not disturbed. `fields` lists the changed fields (`, `);
 * `message` the errors, then the warnings prefixed `warning: ` (`; ` between them).
 *
 * Choices:
 * - UTF-8 WITH a BOM: Excel (the tool HR operations open a CSV with) reads a BOM-less CSV in the
 *   machine's ANSI code page and mangles every accented name (José, Müller); with the BOM it reads
 *   UTF-8. LibreOffice, Google Sheets and csv-parse (`bom: true`) accept it. report.json remains
 *   the file for programs.
 * - Exactly one physical line per record: a line break inside a value (a Coupa error text may hold
 *   one) becomes a space, so `wc -l` counts records and a row never spills over two lines.
 * - Quoting by csv-stringify (RFC 4180, only where needed), CRLF record ends.
 * - Formula injection: every data cell goes through the user-import writer's `neutralizeFormula`
 *   (a cell starting with = + - @ TAB or CR gets a leading `'`), since logins, names and e-mails
 *   come from HR and Coupa, and this file is made to be opened in a spreadsheet.
 */
import { stringify } from 'csv-stringify/sync';
import { neutralizeFormula } from '../csv/csv-writer';
import type { RunReport } from '../model';
import { reportLineIter, type ReportLine } from './report-lines';
import { describeChange, describeProblems } from './report-values';

export const REPORT_CSV_HEADER = ['row', 'login', 'outcome', 'fields', 'message', 'changes'] as const;

const CSV_OPTIONS = { bom: true, record_delimiter: 'windows', eof: true } as const;
/** Records after the header: the same, without a second BOM. */
const RECORD_OPTIONS = { record_delimiter: 'windows', eof: true } as const;
const RECORDS_PER_PIECE = 512;

const LINE_BREAKS = /\r\n|[\r\n\u2028\u2029]/g;

/** Neutralised before line breaks become spaces, so a cell starting with CR keeps its `'` too. */
function cell(text: string): string {
  return neutralizeFormula(text).replace(LINE_BREAKS, ' ');
}

function csvRecord(line: ReportLine): string[] {
  return [
    line.row === undefined ? '' : String(line.row),
    line.login,
    line.outcome,
    line.fields.join(', '),
    describeProblems(line).join('; '),
    line.changes.map(describeChange).join('; '),
  ].map(cell);
}

/** The run's own record: why it was held or stopped, once, before the rows. */
function runRecord(report: RunReport, reason: string): string[] {
  return ['', '', `run ${report.status}`, '', reason, ''].map(cell);
}

/** report.csv in pieces (the header, then records a few hundred at a time), row by row. */
export function* reportCsvChunks(report: RunReport): Iterable<string> {
  yield stringify([[...REPORT_CSV_HEADER]], CSV_OPTIONS);
  let records: string[][] = report.reason ? [runRecord(report, report.reason)] : [];
  for (const line of reportLineIter(report)) {
    records.push(csvRecord(line));
    if (records.length === RECORDS_PER_PIECE) {
      yield stringify(records, RECORD_OPTIONS);
      records = [];
    }
  }
  if (records.length > 0) yield stringify(records, RECORD_OPTIONS);
}

export function renderReportCsv(report: RunReport): string {
  return [...reportCsvChunks(report)].join('');
}
