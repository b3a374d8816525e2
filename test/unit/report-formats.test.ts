import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkReportPaths, writeReportFiles } from '../../lambdas/adapters/local/report-files';
import { renderReport, reportFormatOf } from '../../lambdas/core/report';
import { heldRunReport } from '../support/report-factories';

describe('report formats', () => {
  it.each([
    ['runs/report.json', 'json'],
    ['runs/Report.CSV', 'csv'],
    ['C:\\runs\\report.Html', 'html'],
    ['./out.v2/report.html', 'html'],
  ])('takes the format of %s from its extension: %s', (path, format) => {
    // Act / Assess
    expect(reportFormatOf(path)).toBe(format);
  });

  it.each(['report.txt', 'report', 'runs.d/report', 'report.htm'])('refuses %s, naming the accepted extensions', (path) => {
    // Act / Assess
    expect(() => reportFormatOf(path)).toThrow(`${path}: a report file must end in .json, .csv, .html`);
  });

  it('renders JSON as the report, two-space indented, ending in a newline', () => {
    // Prepare
    const report = heldRunReport();

    // Act
    const json = renderReport(report, 'json');

    // Assess
    expect(json).toBe(`${JSON.stringify(report, null, 2)}\n`);
    expect(JSON.parse(json)).toEqual(report);
  });
});

describe('writeReportFiles', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coupa-sync-reports-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes each path in the format its extension names, making folders as needed', async () => {
    // Prepare
    const report = heldRunReport();
    const paths = [join(dir, 'a/report.json'), join(dir, 'b/c/report.CSV'), join(dir, 'report.html')];

    // Act
    await writeReportFiles(report, paths);

    // Assess
    expect(JSON.parse(await readFile(paths[0], 'utf8'))).toEqual(report);
    expect(await readFile(paths[1], 'utf8')).toBe(renderReport(report, 'csv'));
    expect((await readFile(paths[1])).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(await readFile(paths[2], 'utf8')).toBe(renderReport(report, 'html'));
  });

  it('writes nothing when one path has an unknown extension', async () => {
    // Prepare
    const paths = [join(dir, 'report.json'), join(dir, 'report.xlsx')];

    // Act / Assess
    await expect(writeReportFiles(heldRunReport(), paths)).rejects.toThrow('report.xlsx: a report file must end in .json, .csv, .html');
    await expect(readFile(paths[0])).rejects.toThrow('ENOENT');
  });
});

describe('checkReportPaths', () => {
  it('accepts writable paths of known formats and refuses an unknown format or a folder that cannot be made', async () => {
    // Prepare: a plain file standing where a folder should be
    const dir = await mkdtemp(join(tmpdir(), 'coupa-sync-reports-'));
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'x');

    // Act / Assess
    await expect(checkReportPaths([join(dir, 'new/report.html'), join(dir, 'report.csv')])).resolves.toBeUndefined();
    await expect(checkReportPaths([join(dir, 'report.pdf')])).rejects.toThrow('report.pdf: a report file must end in .json, .csv, .html');
    await expect(checkReportPaths([join(blocker, 'report.json')])).rejects.toThrow(`cannot write the report to ${join(blocker, 'report.json')}`);
    await rm(dir, { recursive: true, force: true });
  });
});
