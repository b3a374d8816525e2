import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { FORMULA_TRIGGERS } from '../../lambdas/core/csv/csv-writer';
import { REPORT_CSV_HEADER, renderReportCsv } from '../../lambdas/core/report/report-csv';
import { heldRunReport, runReport } from '../support/report-factories';

const BOM = '\uFEFF';

/** The records of a rendered report.csv, header included, read back by csv-parse. */
function recordsOf(csv: string): string[][] {
  return parse(csv, { bom: true, relax_quotes: false }) as string[][];
}

describe('report.csv', () => {
  it('starts with a UTF-8 BOM and the header, then the held run\'s own record, one line per row in row order, then the absentees', () => {
    // Prepare: rows handed over out of order
    const report = heldRunReport();
    report.rows.reverse();

    // Act
    const csv = renderReportCsv(report);

    // Assess
    expect(csv.startsWith(`${BOM}row,login,outcome,fields,message,changes\r\n`)).toBe(true);
    const [header, ...records] = recordsOf(csv);
    expect(header).toEqual([...REPORT_CSV_HEADER]);
    expect(records.map((r) => r.slice(0, 3).join(' '))).toEqual([
      '  run held',
      '1 ana.garcia created', '2 bjorn.muller updated', '3 chen.wei unchanged', '4 dmitri.ivanov held',
      '5 emeka.okafor reactivated', '6 fatima.zahra rejected', '7 gert.jansen failed', '8 ines.kumar updated',
      '9 jonas.berg unchanged', '10 karin.holm created', ' lena.novak held', ' marco.rossi held',
    ]);
  });

  it('writes changed fields, errors then warnings, and each change as before → after', () => {
    // Act
    const records = recordsOf(renderReportCsv(heldRunReport()));

    // Assess
    const byLogin = new Map(records.map((r) => [r[1], r]));
    expect(byLogin.get('bjorn.muller')).toEqual([
      '2',
      'bjorn.muller',
      'updated',
      'email, lastname',
      '',
      'email: bjorn.muller@example.com → bjorn.muller-schmidt@example.com; lastname: Müller → Müller-Schmidt',
    ]);
    expect(byLogin.get('ana.garcia')?.[5]).toContain('email: (not set) → ana.garcia@example.com');
    expect(byLogin.get('ines.kumar')?.[4]).toBe('warning: manager "m.unknown" exists nowhere: the manager was left unchanged');
    expect(byLogin.get('lena.novak')).toEqual(['', 'lena.novak', 'held', 'active', 'held by the deactivation guard: waits for approval', 'active: true → false']);
  });

  it('quotes commas, quotes and line breaks, keeping exactly one physical line per record', () => {
    // Prepare: a Coupa error text with a comma, quotes and a line break
    const report = runReport({
      rows: [{ row: 1, login: 'o"neil, pat', outcome: 'failed', errors: ['Login "o\'neil" is invalid,\nsee line 2', 'second\r\nerror'] }],
    });

    // Act
    const csv = renderReportCsv(report);

    // Assess
    expect(csv.split('\r\n')).toHaveLength(3); // header, one record, the empty string after the last CRLF
    expect(recordsOf(csv)[1]).toEqual(['1', 'o"neil, pat', 'failed', '', 'Login "o\'neil" is invalid, see line 2; second error', '']);
  });

  it.each(FORMULA_TRIGGERS.map((c) => [JSON.stringify(c), c]))('neutralises cells starting with %s in every column', (_label, trigger) => {
    // Prepare: a login, an error and a field value starting like a formula
    const formula = `${trigger}HYPERLINK("http://evil.example","x")`;
    const report = runReport({
      rows: [{ row: 1, login: formula, outcome: 'failed', errors: [formula], changes: [{ field: 'lastname', after: formula }] }],
    });

    // Act
    const [, record] = recordsOf(renderReportCsv(report));

    // Assess: the cells that start with the trigger get a leading ' (a CR then becomes a space, as any line break)
    const shown = formula.replace('\r', ' ');
    expect(record[1]).toBe(`'${shown}`);
    expect(record[4]).toBe(`'${shown}`);
    expect(record[5]).toBe(`lastname: (not set) → ${shown}`);
  });

  it('says why a held run was held once, in a first record of its own (row and login empty), and not on its rows', () => {
    // Prepare
    const report = heldRunReport();
    report.reason = 'The roster would deactivate 2 of 10 users (20%), over roster.maxDeactivatePercent 10%: check the plan, then approve.';

    // Act
    const [, first, ...rest] = recordsOf(renderReportCsv(report));

    // Assess
    expect(first).toEqual(['', '', 'run held', '', report.reason, '']);
    expect(rest.filter((r) => r.join(',').includes('maxDeactivatePercent'))).toEqual([]);
    expect(rest).toHaveLength(12);
  });

  it('writes no run record for a run without a reason', () => {
    // Act
    const [, first] = recordsOf(renderReportCsv(runReport()));

    // Assess
    expect(first[2]).not.toMatch(/^run /);
    expect(first[0]).not.toBe('');
  });

  it('writes only the header for a report without rows', () => {
    // Act
    const csv = renderReportCsv(runReport({ rows: [] }));

    // Assess
    expect(csv).toBe(`${BOM}row,login,outcome,fields,message,changes\r\n`);
  });
});
