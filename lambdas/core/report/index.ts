/**
 * The run report in the three formats a run writes: report.json (programs; the format `--report`
 * always wrote), report.csv (spreadsheets) and report.html (people). Pure: callers write the text.
 */
import type { RunReport } from '../model';
import { renderReportCsv, reportCsvChunks } from './report-csv';
import { renderReportHtml } from './report-html';
import { reportJsonChunks } from './report-json';

import { REPORT_FORMATS, type ReportFormat } from './formats';

export { REPORT_CONTENT_TYPES, REPORT_FORMATS, type ReportFormat } from './formats';

export function renderReport(report: RunReport, format: ReportFormat): string {
  return [...renderReportChunks(report, format)].join('');
}

/**
 * The report's text in pieces, made as they are written: report.json and report.csv row by row (a
 * report of spooled rows is never whole in memory), report.html at once (its tables are capped).
 */
export function renderReportChunks(report: RunReport, format: ReportFormat): Iterable<string> {
  switch (format) {
    case 'json':
      return reportJsonChunks(report);
    case 'csv':
      return reportCsvChunks(report);
    case 'html':
      return [renderReportHtml(report)];
  }
}

/** The format a report path asks for, by its extension (case-insensitive). */
export function reportFormatOf(path: string): ReportFormat {
  const extension = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
  const format = REPORT_FORMATS.find((f) => f === extension);
  if (!format) {
    throw new Error(`${path}: a report file must end in ${REPORT_FORMATS.map((f) => `.${f}`).join(', ')} (the format is taken from the extension)`);
  }
  return format;
}

export { renderReportCsv, renderReportHtml, reportJsonChunks };
