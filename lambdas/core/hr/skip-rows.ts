/**
 * config hr.rows.skip: rows an export carries that are no employee to sync — a totals footer, a
 * secondary position, a contractor block. Each rule names a header of the file and one matcher;
 * cells are compared trimmed and ignoring case. A matching row is reported `skipped`, naming the
 * rule, and is not validated (a footer has no login: it must not be rejected for that).
 */
import { someNames } from './columns';
import type { SkipRule } from './hr-config';

/** Says whether a data row is to be skipped, and by which rule (as the report shows it), else undefined. */
export type SkipCheck = (values: string[]) => string | undefined;

const fold = (text: string): string => text.trim().toLowerCase();

/** A rule as the report names it: `hr.rows.skip[1] (column "Type" equals "Total")`. Values of the rule are config, not personal data. */
export function describeSkipRule(rule: SkipRule, index: number): string {
  const test =
    rule.equals !== undefined
      ? `equals ${JSON.stringify(rule.equals)}`
      : rule.in !== undefined
        ? `is one of ${someNames(rule.in, 3)}`
        : rule.matches !== undefined
          ? `matches /${rule.matches}/`
          : 'is empty';
  return `hr.rows.skip[${index}] (column ${JSON.stringify(rule.column.trim())} ${test})`;
}

function cellTest(rule: SkipRule): (cell: string) => boolean {
  if (rule.equals !== undefined) {
    const wanted = fold(rule.equals);
    return (cell) => fold(cell) === wanted;
  }
  if (rule.in !== undefined) {
    const wanted = new Set(rule.in.map(fold));
    return (cell) => wanted.has(fold(cell));
  }
  if (rule.matches !== undefined) {
    const pattern = new RegExp(rule.matches, 'iu'); // compiled at config time already: cannot throw here
    return (cell) => pattern.test(cell.trim());
  }
  return (cell) => cell.trim() === '';
}

/**
 * Binds the rules to the header. A rule's column the header lacks is an error of the file (listed
 * in `missing`, so the reader can name every one at once): the rule would never match, and the rows
 * it was written for would be synced.
 */
export function bindSkipRules(rawHeader: string[], rules: readonly SkipRule[]): { check?: SkipCheck; missing: string[]; columns: ReadonlySet<number> } {
  if (rules.length === 0) return { missing: [], columns: new Set() };
  const index = new Map<string, number>();
  rawHeader.forEach((h, i) => {
    if (h.trim() !== '' && !index.has(fold(h))) index.set(fold(h), i);
  });
  const missing: string[] = [];
  const bound = rules.map((rule, i) => {
    const at = index.get(fold(rule.column));
    if (at === undefined) missing.push(`hr.rows.skip[${i}].column: the header has no column ${JSON.stringify(rule.column.trim())}`);
    return { at: at ?? -1, test: cellTest(rule), name: describeSkipRule(rule, i) };
  });
  // The columns the rules read are taken: hr.unknownColumns "reject" does not refuse them.
  const columns = new Set(bound.map((b) => b.at).filter((at) => at >= 0));
  if (missing.length > 0) return { missing, columns };
  return {
    missing,
    columns,
    check: (values) => bound.find((b) => b.test(values[b.at] ?? ''))?.name,
  };
}
