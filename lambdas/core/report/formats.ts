/**
 * The report's formats and their content types, apart from the renderers: a store that only names
 * or serves report files (the planning function's) does not carry the three renderers.
 */
import type { RunReport } from '../model';

export const REPORT_FORMATS = ['json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** For whoever stores a report where a browser may open it (S3's Content-Type). */
export const REPORT_CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/** A report's text in pieces, in one format (lambdas/core/report's renderReportChunks). */
export type ReportRenderer = (report: RunReport, format: ReportFormat) => Iterable<string>;
