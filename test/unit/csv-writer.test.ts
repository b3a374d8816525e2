import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { FORMULA_TRIGGERS, csvDataLine, csvHeaderLine, neutralizeFormula } from '../../lambdas/core/csv/csv-writer';

/** A file assembled the way file-splitter.ts (the batcher's planner) assembles it. */
const fileOf = (header: string[], rows: string[][]): Buffer =>
  Buffer.from(csvHeaderLine(header) + rows.map(csvDataLine).join(''), 'utf8');

describe('user-import CSV writer', () => {
  it('double-quotes every field, empty ones too, with CRLF and no BOM', () => {
    // Act
    const body = fileOf(['Login', 'Middle Name'], [['jdoe', ''], ['asmith', 'B']]);

    // Assess
    expect(body.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
    expect(body.toString('utf8')).toBe('"Login","Middle Name"\r\n"jdoe",""\r\n"asmith","B"\r\n');
  });

  it.each(FORMULA_TRIGGERS.map((c) => [JSON.stringify(c), c]))('neutralises a data cell starting with %s', (_label, trigger) => {
    // Prepare
    const value = `${trigger}SUM(A1:A9)`;

    // Act
    const [row] = parse(csvDataLine([value]), { relax_quotes: false }) as string[][];

    // Assess
    expect(row[0]).toBe(`'${value}`);
  });

  it('never alters header names', () => {
    // Act
    const [header] = parse(csvHeaderLine(['-Login', 'Email']), { relax_quotes: false }) as string[][];

    // Assess
    expect(header).toEqual(['-Login', 'Email']);
  });

  it('leaves ordinary cells alone, including inner formula characters', () => {
    // Assess
    expect(neutralizeFormula('Anne-Marie')).toBe('Anne-Marie');
    expect(neutralizeFormula('a+b@example.com')).toBe('a+b@example.com');
    expect(neutralizeFormula('')).toBe('');
  });

  it('round-trips quotes, commas, newlines and unicode through csv-parse', () => {
    // Prepare
    const rows = [
      ['o"brien', 'Smith, Jr.', 'line one\nline two', 'Zoë Ñandú 山田 😀'],
      ['plain', 'a\r\nb', '""', ' spaced '],
    ];

    // Act
    const parsed = parse(fileOf(['A', 'B', 'C', 'D'], rows), { bom: false }) as string[][];

    // Assess
    expect(parsed).toEqual([['A', 'B', 'C', 'D'], ...rows]);
  });
});

describe('formula neutralisation leaves inert numbers alone', () => {
  it.each([['+1 415-555-0100'], ['+44 (20) 7946-0958 x12'], ['-5'], ['-12.50']])('writes %s as it is', (value) => {
    // Act
    const line = csvDataLine([value]);
    // Assess
    expect(line).toBe(`"${value}"\r\n`);
  });

  it.each([['+1+cmd|calc'], ['-2+3+SUM(A1)'], ['+'], ['-x']])('still neutralises %s', (value) => {
    // Act / Assess
    expect(csvDataLine([value])).toBe(`"'${value.replace(/"/g, '""')}"\r\n`);
  });
});
