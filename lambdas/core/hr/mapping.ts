/**
 * From an HR export's header row to the canonical cells of each data row (Coupa element → text),
 * and which rows an hr.rows.skip rule leaves out (skip-rows.ts).
 *
 * Two modes. With config hr.fields, each Coupa field takes its value `from` a header (matched
 * ignoring case and surrounding spaces) or the first non-empty of a list of headers, a constant
 * `value`, or a `template` of `{Header}` placeholders; then `transform`s, `clear` (values that
 * empty the field), `default` (empty cell) and `map` (value → value, `*` for anything else, `null`
 * empties the field) apply, in that order. Without it, the headers are Coupa element names (as
 * before mappings existed), optionally renamed by a header map.
 *
 * A cell holding the clear token is handed on untouched (no transform or map), and a field emptied
 * by `clear` or a `null` map entry is handed on as the clear token, so validation turns both into
 * "clear this field". Cells are trimmed before the transforms (a template's parts too). Messages
 * name headers and fields; the only cell content quoted is a value missing from a field's `map`
 * (the mapping's own vocabulary, cut to 60 characters). Header names are only listed when the file
 * has shown it has a header row.
 */
import { COLLECTION_FIELDS, type CollectionField } from '../model';
import { KEY_COLUMN, KNOWN_COLUMNS, canonicalColumn, isKnownColumn, someNames, type HeaderMap } from './columns';
import { placeholders, type FieldRule, type HrFields, type SkipRule } from './hr-config';
import { bindSkipRules, type SkipCheck } from './skip-rows';
import { applyTransforms } from './transforms';
import { cellCharacterProblem } from './validate-row';

/** The header cannot be read as asked: the reader fails the file with this text. */
export class HeaderProblem extends Error {}

export interface MapperOptions {
  headerMap?: HeaderMap;
  fields?: HrFields;
  /** Columns no field takes: refuse the file, or ignore them. Default: reject without `fields`, ignore with. */
  unknownColumns?: 'reject' | 'ignore';
  /** Collections HR owns (config coupa.ownedCollections); a column for another one fails the file. */
  ownedCollections?: readonly CollectionField[];
  clearToken: string;
  /** config hr.rows.skip: rows not synced. */
  skipRules?: readonly SkipRule[];
  /** The delimiter the header was split on (named when it split into one column). */
  delimiter?: string;
  maxColumns: number;
  maxFieldChars: number;
}

/** One data row as canonical cells, plus what is wrong with the row before field validation. */
export interface MappedRow {
  cells: Record<string, string>;
  errors: string[];
}

export interface RowMapper {
  map(values: string[]): MappedRow;
  /** The hr.rows.skip rule the row matches, as the report names it, or undefined. */
  skipRule(values: string[]): string | undefined;
}

const headerKey = (name: string): string => name.trim().toLowerCase();

/** Checks the header and returns how to map each data row. Throws HeaderProblem. */
export function headerMapper(rawHeader: string[], options: MapperOptions): RowMapper {
  if (rawHeader.length > options.maxColumns) {
    throw new HeaderProblem(`the header has ${rawHeader.length} columns, more than hr.limits.maxColumns (${options.maxColumns})`);
  }
  if (rawHeader.some((h) => cellCharacterProblem(h.trim()) !== undefined)) {
    throw new HeaderProblem('the header row is not valid UTF-8 text or contains control characters (save the file as UTF-8 CSV, or set hr.encoding)');
  }
  const skip = bindSkipRules(rawHeader, options.skipRules ?? []);
  const mapper = options.fields ? mappedHeader(rawHeader, options.fields, options, skip) : canonicalHeader(rawHeader, options, skip.columns);
  if (skip.missing.length > 0) throw new HeaderProblem(`${skip.missing.join('; ')}${oneColumnHint(rawHeader, options.delimiter)}`);
  const check: SkipCheck = skip.check ?? (() => undefined);
  return { map: (values) => mapper.map(values), skipRule: check };
}

const DELIMITER_NAMES: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

/**
 * A header line that split into one column most likely has another delimiter: `; the header line
 * split into one column on "," but would split on ";" (set hr.delimiter to ";")`, else ''.
 */
export function oneColumnHint(rawHeader: string[], delimiter: string | undefined): string {
  if (rawHeader.length !== 1) return '';
  const line = rawHeader[0];
  const other = Object.keys(DELIMITER_NAMES).find((d) => d !== delimiter && line.includes(d));
  const splitOn = delimiter ? ` on ${DELIMITER_NAMES[delimiter] ?? JSON.stringify(delimiter)}` : '';
  if (!other) return ` (the header line split into one column${splitOn}: is it the export you meant?)`;
  const setting = other === '\t' ? '"\\t"' : JSON.stringify(other);
  return ` (the header line split into one column${splitOn}; it would split on the ${DELIMITER_NAMES[other]} ${JSON.stringify(other)}: set hr.delimiter to ${setting})`;
}

/** Problems every row shares whatever the mode: surplus cells and oversized cells. */
function shapeErrors(values: string[], header: string[], maxFieldChars: number): string[] {
  const errors: string[] = [];
  if (values.length > header.length && values.slice(header.length).some((v) => v.trim() !== '')) {
    errors.push(`row has ${values.length} cells but the header has ${header.length} columns`);
  }
  values.forEach((value, i) => {
    if (value.length > maxFieldChars) {
      errors.push(`column ${JSON.stringify(header[i]?.trim() || `cell ${i + 1}`)}: ${value.length} characters, more than hr.limits.maxFieldChars (${maxFieldChars})`);
    }
  });
  return errors;
}

/** Headers are Coupa element names (today's file), optionally renamed by a header map. */
function canonicalHeader(rawHeader: string[], options: MapperOptions, skipColumns: ReadonlySet<number>): Pick<RowMapper, 'map'> {
  const columns = rawHeader.map((h) => (h.trim() === '' ? '' : canonicalColumn(h, options.headerMap)));
  const named = columns.filter((c) => c !== '');
  if (named.length > 0 && named.every((c) => !isKnownColumn(c))) {
    // Not one known name: most likely a file without a header row, whose first row is an employee.
    // Its cells are not quoted here (personal data).
    throw new HeaderProblem(
      'the first row is not a header of Coupa user element names: none of its cells is one (does the file lack ' +
        `its header row, or do its names need a mapping in hr.fields?); expected names such as ${someNames(KNOWN_COLUMNS)}` +
        oneColumnHint(rawHeader, options.delimiter),
    );
  }
  // A column a skip rule reads is taken, not unknown.
  const unknown = columns.filter((c, i) => c !== '' && !isKnownColumn(c) && !skipColumns.has(i));
  const ignoreUnknown = options.unknownColumns === 'ignore';
  if (unknown.length > 0 && !ignoreUnknown) {
    throw new HeaderProblem(
      `unknown column(s) ${someNames(unknown)} in the header; expected Coupa user element names such as ` +
        `${someNames(KNOWN_COLUMNS)} (map the export's names in hr.fields, or set hr.unknownColumns to "ignore")`,
    );
  }
  const used = columns.map((c) => (c !== '' && isKnownColumn(c) ? c : ''));
  const seen = new Set<string>();
  for (const c of used.filter((u) => u !== '')) {
    if (seen.has(c)) throw new HeaderProblem(`column "${c}" appears twice in the header`);
    seen.add(c);
  }
  checkOwnedCollections(seen, options.ownedCollections ?? [], 'column(s) from the file');
  if (!seen.has(KEY_COLUMN)) {
    throw new HeaderProblem(`the header has no "login" column (the match key); its columns are ${someNames(rawHeader.map((h) => h.trim()))}`);
  }
  const unnamedMatters = (i: number) => columns[i] === '';
  return {
    map(values) {
      const errors = shapeErrors(values, rawHeader, options.maxFieldChars);
      const unnamed = columns.flatMap((_, i) => (unnamedMatters(i) && (values[i] ?? '').trim() !== '' ? [i + 1] : []));
      errors.push(...unnamed.map((n) => `cell ${n} has a value but its column has no header name`));
      const cells: Record<string, string> = {};
      used.forEach((column, i) => {
        if (column !== '') cells[column] = values[i] ?? '';
      });
      return { cells, errors };
    },
  };
}

/** Coupa replaces a user's whole set, so a collection HR does not own (config) must not come in. */
function checkOwnedCollections(present: ReadonlySet<string>, owned: readonly CollectionField[], remedy: string): void {
  const unowned = COLLECTION_FIELDS.filter((c) => present.has(c) && !owned.includes(c));
  if (unowned.length === 0) return;
  const list = unowned.map((c) => `"${c}"`).join(', ');
  throw new HeaderProblem(
    `the header has ${list} but coupa.ownedCollections does not list ${unowned.length > 1 ? 'them' : 'it'}: Coupa replaces ` +
      `a user's whole set on every change, so the sync writes ${unowned.join('/')} only when the config says HR owns them. ` +
      `Add ${unowned.map((c) => `"${c}"`).join(' and ')} to coupa.ownedCollections in the config, or remove the ${remedy}`,
  );
}

/** One field of the mapping, bound to the header: where its text comes from, and what is done to it. */
interface BoundField {
  target: string;
  rule: FieldRule;
  /** The cell index of each `from` header (first to last), or of each template placeholder in order. */
  indexes: number[];
  /** `map` keys ignoring case and surrounding spaces, for a second look. */
  looseMap?: Map<string, string | boolean | null>;
  /** `clear` values, trimmed and lower-cased. */
  clear?: ReadonlySet<string>;
}

/** `from` as a list (one header or several, tried in order). */
const fromHeaders = (rule: FieldRule): string[] => (rule.from === undefined ? [] : Array.isArray(rule.from) ? rule.from : [rule.from]);

/** Headers are the export's own; hr.fields says which Coupa field takes what. */
function mappedHeader(
  rawHeader: string[],
  fields: HrFields,
  options: MapperOptions,
  skip: { missing: string[]; columns: ReadonlySet<number> },
): Pick<RowMapper, 'map'> {
  const positions = new Map<string, number[]>();
  rawHeader.forEach((h, i) => {
    if (h.trim() !== '') positions.set(headerKey(h), [...(positions.get(headerKey(h)) ?? []), i]);
  });
  const missing: string[] = [];
  const indexOf = (target: string, path: string, header: string): number => {
    const found = positions.get(headerKey(header));
    if (!found) {
      missing.push(`hr.fields.${target}.${path}: the header has no column "${header}"`);
      return -1;
    }
    if (found.length > 1) throw new HeaderProblem(`column "${header.trim()}" appears ${found.length} times in the header; hr.fields.${target} takes it`);
    return found[0];
  };
  const bound: BoundField[] = Object.entries(fields).map(([target, rule]) => ({
    target,
    rule,
    indexes:
      rule.from !== undefined
        ? fromHeaders(rule).map((h, k) => indexOf(target, Array.isArray(rule.from) ? `from[${k}]` : 'from', h))
        : rule.template !== undefined
          ? placeholders(rule.template).map((p) => indexOf(target, 'template', p))
          : [],
    looseMap: rule.map && new Map(Object.entries(rule.map).map(([k, v]) => [headerKey(k), v])),
    clear: rule.clear && new Set(rule.clear.map(headerKey)),
  }));
  missing.push(...skip.missing);
  if (missing.length > 0) {
    const allMissing = bound.every((b) => b.indexes.length === 0 || b.indexes.every((i) => i < 0));
    const hint = oneColumnHint(rawHeader, options.delimiter);
    // Header names are not listed: without a header row, the first row is an employee's data.
    throw new HeaderProblem(
      `${missing.slice(0, 5).join('; ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}` +
        (hint || (allMissing ? ' (none of the mapped columns is there: does the file lack its header row, or is it another export?)' : '')),
    );
  }
  checkOwnedCollections(new Set(Object.keys(fields)), options.ownedCollections ?? [], 'field(s) from hr.fields');
  const usedIndexes = new Set([...bound.flatMap((b) => b.indexes), ...skip.columns]);
  if (options.unknownColumns === 'reject') {
    const unused = rawHeader.filter((h, i) => h.trim() !== '' && !usedIndexes.has(i)).map((h) => h.trim());
    if (unused.length > 0) {
      throw new HeaderProblem(`column(s) ${someNames(unused)} are not taken by any field in hr.fields (hr.unknownColumns is "reject")`);
    }
  }
  return {
    map(values) {
      const errors = shapeErrors(values, rawHeader, options.maxFieldChars);
      const cells: Record<string, string> = {};
      for (const field of bound) {
        const value = fieldValue(field, values, rawHeader, options.clearToken);
        if ('error' in value) errors.push(value.error);
        else cells[field.target] = value.text;
      }
      return { cells, errors };
    },
  };
}

const asText = (value: string | boolean): string => (typeof value === 'boolean' ? String(value) : value);

/** Longest map value quoted in a message (a mapped column's values are the mapping's vocabulary, not personal data). */
const MAX_QUOTED_VALUE = 60;
const quotedValue = (text: string): string => JSON.stringify(text.length > MAX_QUOTED_VALUE ? `${text.slice(0, MAX_QUOTED_VALUE)}…` : text);

/** The field's text before `clear`, `default` and `map`, and the column it came from (for messages). */
function sourceText(field: BoundField, values: string[], header: string[], clearToken: string): { text: string; column?: string; cleared?: true } {
  const { rule, indexes } = field;
  const cell = (i: number) => values[i] ?? '';
  if (rule.from !== undefined) {
    // Fallback columns: the first whose cell is non-empty after the transforms wins.
    for (const i of indexes) {
      if (cell(i).trim() === clearToken) return { text: clearToken, cleared: true };
      // Trimmed before the transforms: exports pad cells ("Active "), and a padded value must map as it reads.
      const text = applyTransforms(cell(i).trim(), rule.transform);
      if (text.trim() !== '') return { text, column: header[i].trim() };
    }
    return { text: '', column: header[indexes[0]].trim() };
  }
  // A template with an empty placeholder cell yields nothing ("@acme" is no SSO id): the default applies.
  const parts = indexes.map((i) => cell(i).trim());
  let k = 0;
  const filled = parts.some((p) => p === '') ? '' : rule.template!.replace(/\{[^{}]*\}/g, () => parts[k++]);
  return { text: applyTransforms(filled, rule.transform) };
}

function fieldValue(field: BoundField, values: string[], header: string[], clearToken: string): { text: string } | { error: string } {
  const { rule, target } = field;
  if (rule.value !== undefined) return { text: asText(rule.value) };
  const source = sourceText(field, values, header, clearToken);
  if (source.cleared) return { text: clearToken };
  const { text } = source;
  if (text.trim() === '') return { text: rule.default === undefined ? '' : asText(rule.default) };
  if (field.clear?.has(headerKey(text))) return { text: clearToken };
  if (!rule.map) return { text };
  let mapped = lookUp(rule.map, text);
  if (mapped === undefined) mapped = lookUp(field.looseMap!, headerKey(text));
  if (mapped === undefined) mapped = lookUp(rule.map, '*');
  if (mapped === undefined) {
    if (rule.unmapped === 'keep') return { text };
    const where = source.column ? `column ${JSON.stringify(source.column)}` : 'the template';
    return {
      error:
        `field "${target}": ${quotedValue(text)} in ${where} is not in hr.fields.${target}.map ` +
        `(add it, a "*" entry for any other value, or set hr.fields.${target}.unmapped to "keep")`,
    };
  }
  return { text: mapped === null ? clearToken : asText(mapped) };
}

/** A map's entry for a key, `null` when it empties the field, undefined when it has none (not `??`: null is an answer). */
function lookUp(map: Record<string, string | boolean | null> | Map<string, string | boolean | null>, key: string): string | boolean | null | undefined {
  if (map instanceof Map) return map.has(key) ? map.get(key) : undefined;
  return Object.hasOwn(map, key) ? map[key] : undefined;
}
