/**
 * The CLI's `--report FILE` (repeatable): each path gets the run report in the format its
 * extension names (.json, .csv or .html, any case), its folder made as needed.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunReport } from '../../core/model';
import { renderReportChunks, reportFormatOf, type ReportFormat } from '../../core/report';
import { writeChunks } from './write-chunks';

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

/**
 * Writes the report to every path in its format; an unknown extension fails before any file is
 * written. Each file is rendered as it is written (report.json and .csv row by row), so a report of
 * a million spooled rows is never one string in memory.
 */
export async function writeReportFiles(report: RunReport, paths: string[]): Promise<void> {
  const targets = formatsOf(paths);
  for (const { path, format } of targets) {
    await mkdir(dirname(path), { recursive: true });
    await writeChunks(path, renderReportChunks(report, format));
  }
}
