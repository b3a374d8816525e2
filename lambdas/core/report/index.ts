/** Run reports in the formats people read them in, chosen by file extension. */
import type { RunReport } from '../model';

export type ReportFormat = 'json' | 'csv' | 'html';

export function reportFormatOf(path: string): ReportFormat {
  const ext = path.toLowerCase().split('.').pop();
  if (ext === 'json') return 'json';
  throw new Error(`cannot tell the report format of ${path}: use a .json file name`);
}

export function renderReport(report: RunReport, format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  throw new Error(`report format ${format} is not available`);
}
