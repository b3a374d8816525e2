/**
 * The CLI's `--report FILE` (repeatable): each path gets the run report in the format its
 * extension names (.json, .csv or .html, any case), its folder made as needed.
 */
import { constants } from 'node:fs';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunReport } from '../../core/model';
import { renderReport, reportFormatOf, type ReportFormat } from '../../core/report';

function formatsOf(paths: string[]): Array<{ path: string; format: ReportFormat }> {
  return paths.map((path) => ({ path, format: reportFormatOf(path) }));
}

/**
 * Checks, before a run changes anything, that every path names a known format and that its folder
 * can be made and written; throws an Error saying which path and why.
 */
export async function checkReportPaths(paths: string[]): Promise<void> {
  for (const { path } of formatsOf(paths)) {
    try {
      await mkdir(dirname(path), { recursive: true });
      await access(dirname(path), constants.W_OK);
    } catch (err) {
      throw new Error(`cannot write the report to ${path}: ${(err as Error).message}`);
    }
  }
}

/** Writes the report to every path in its format; an unknown extension fails before any file is written. */
export async function writeReportFiles(report: RunReport, paths: string[]): Promise<void> {
  const targets = formatsOf(paths);
  const rendered = new Map<ReportFormat, string>();
  for (const { path, format } of targets) {
    // One rendering per format, however many paths ask for it (a large HTML report takes a moment).
    if (!rendered.has(format)) rendered.set(format, renderReport(report, format));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, rendered.get(format)!, 'utf8');
  }
}
