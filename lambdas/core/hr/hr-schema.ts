/**
 * The schema of the config's `hr` section (see hr-config.ts for what it means) and the checks no
 * schema type can say. Used only when a config is parsed (CDK synth, the CLI, tests).
 *
 * Every schema is an arrow function, built by config-schema.ts on the first parse: a module-level
 * `z.strictObject(...)` call is a side effect esbuild keeps, which would put zod into every Lambda
 * bundle that imports this module at all (they import it, never call it: config.ts).
 */
import * as z from 'zod/mini';
import {
  BOOLEAN_TARGETS, DEFAULT_CLEAR_TOKEN, DELIMITERS, DUPLICATE_POLICIES, ENCODINGS, MANAGER_KEYS, MAPPABLE_TARGETS, SKIP_MATCHERS, TRANSFORMS,
  closest, isMappableTarget, isObject, placeholders,
} from './hr-config';

const scalar = () => z.union([z.string(), z.boolean()]);
const header = () => z.string().check(z.minLength(1));

const fieldRuleSchema = () => z.strictObject({
  /**
   * An HR header (matched ignoring case and surrounding spaces), or a list of them: the first whose
   * cell is non-empty after the transforms is used ("Preferred First Name", then "Legal First Name").
   */
  from: z.optional(z.union([header(), z.array(header()).check(z.minLength(1), z.maxLength(10))])),
  /** A constant. */
  value: z.optional(scalar()),
  /** Text with `{Header}` placeholders. */
  template: z.optional(z.string().check(z.minLength(1))),
  /** Applied in order, to the cell (`from`) or the filled template. */
  transform: z.optional(z.array(z.enum(TRANSFORMS))),
  /**
   * HR value → Coupa value after the transforms; `*` for anything else; `null` empties the field in
   * Coupa. No match and no `*`: the row is rejected, or the value kept as it is (`unmapped`).
   */
  map: z.optional(z.record(z.string(), z.nullable(scalar()))),
  /** A value no `map` entry matches: `reject` the row (default) or `keep` the value unchanged. */
  unmapped: z.optional(z.enum(['reject', 'keep'])),
  /** Values (ignoring case, after the transforms) that empty this field in Coupa, e.g. SuccessFactors' NO_MANAGER. */
  clear: z.optional(z.array(z.string().check(z.minLength(1))).check(z.maxLength(100))),
  /** Used when the cell is empty (after the transforms). A constant: `{Header}` is refused (use a `from` list). */
  default: z.optional(scalar()),
  /** `manager` only: the HR column holds the manager's login (default), employee number or e-mail. */
  matchOn: z.optional(z.enum(MANAGER_KEYS)),
});
export type FieldRule = z.infer<ReturnType<typeof fieldRuleSchema>>;

const limitsSchema = () => z.strictObject({
  /** The whole file, in bytes as stored. */
  maxFileBytes: z._default(z.int().check(z.positive()), 512 * 1024 * 1024),
  /** One record (row), in bytes: an unclosed quote stops here instead of eating memory. */
  maxRecordBytes: z._default(z.int().check(z.minimum(1024)), 64 * 1024),
  /** One cell, in characters. */
  maxFieldChars: z._default(z.int().check(z.positive()), 8 * 1024),
  /** Columns in the header. */
  maxColumns: z._default(z.int().check(z.positive()), 1000),
  /** Names in one collection cell (roles, groups). */
  maxListItems: z._default(z.int().check(z.positive()), 100),
});
export type HrLimits = z.infer<ReturnType<typeof limitsSchema>>;

/** Most skip rules, and the longest pattern: they run on every row. */
const MAX_SKIP_RULES = 50;
const MAX_PATTERN_CHARS = 500;

/**
 * A row to leave out of the sync (a totals footer, a secondary position): one column and exactly one
 * matcher, compared ignoring case and surrounding spaces.
 */
const skipRuleSchema = () => z.strictObject({
  /** A header of the file (matched ignoring case and surrounding spaces). */
  column: header(),
  equals: z.optional(z.string()),
  in: z.optional(z.array(z.string()).check(z.minLength(1), z.maxLength(1000))),
  /** A regular expression (JavaScript syntax), searched in the trimmed cell, ignoring case. */
  matches: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_PATTERN_CHARS))),
  /** The cell is empty. */
  empty: z.optional(z.literal(true)),
});
export type SkipRule = z.infer<ReturnType<typeof skipRuleSchema>>;
const rowsSchema = () => z.strictObject({
  skip: z._default(z.array(skipRuleSchema()).check(z.maxLength(MAX_SKIP_RULES)), []),
});

export const hrSchema = () => z
  .strictObject({
    /** `auto`: UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else must be named. */
    encoding: z._default(z.enum(ENCODINGS), 'auto'),
    /** `auto`: the most frequent of , ; tab in the header line. */
    delimiter: z._default(z.enum(DELIMITERS), 'auto'),
    /** Columns no field is taken from: `reject` the file or `ignore` them. Default: reject without `fields`, ignore with. */
    unknownColumns: z.optional(z.enum(['reject', 'ignore'])),
    /** The cell that deliberately clears a field in Coupa (an empty cell leaves it alone). */
    clearToken: z._default(z.string().check(z.minLength(1)), DEFAULT_CLEAR_TOKEN),
    /** Coupa element (or `custom-fields.<name>`) → where its value comes from. Without it, headers are Coupa element names. */
    fields: z.optional(z.record(z.string(), fieldRuleSchema())),
    /** Rows not synced (`skip`: rules); the report lists them `skipped`, naming the rule. */
    rows: z.prefault(rowsSchema(), {}),
    /**
     * Rows of one login that differ on a value both set: `reject` every row of it (default), or apply
     * the `first` or `last` of them (the others `skipped`). Identical rows: the first applies.
     */
    duplicates: z._default(z.enum(DUPLICATE_POLICIES), 'reject'),
    limits: z.prefault(limitsSchema(), {}),
  })
  .check(
    z.superRefine((hr, ctx) => checkFields(hr.fields, (path, message) => ctx.addIssue({ code: 'custom', path, message, input: hr })), {
      // Also when another field is bad, so one run of parseConfig names every problem.
      when: (payload) => isObject(payload.value) && (payload.value.fields === undefined || isObject(payload.value.fields)),
    }),
    z.superRefine((hr, ctx) => checkSkipRules(hr.rows?.skip, (path, message) => ctx.addIssue({ code: 'custom', path: ['rows', 'skip', ...path], message, input: hr })), {
      when: (payload) => isObject(payload.value) && isObject(payload.value.rows) && Array.isArray(payload.value.rows.skip),
    }),
  );
export type HrConfig = z.infer<ReturnType<typeof hrSchema>>;
/** The `fields` mapping: Coupa element → its rule (what z.record of fieldRuleSchema gives, named without hrSchema, which checks it). */
export type HrFields = Record<string, FieldRule>;

type Report = (path: PropertyKey[], message: string) => void;

/** Each skip rule has exactly one matcher, and its pattern compiles. */
function checkSkipRules(rules: unknown[] | undefined, report: Report): void {
  (rules ?? []).forEach((rule, i) => {
    if (!isObject(rule)) return; // its type is reported already
    const matchers = SKIP_MATCHERS.filter((m) => rule[m] !== undefined);
    if (matchers.length !== 1) {
      report([i], matchers.length === 0 ? 'needs one of "equals", "in", "matches" or "empty": true' : `has ${matchers.join(' and ')}: give exactly one matcher per rule (add another rule for another test)`);
    }
    if (typeof rule.matches === 'string') {
      try {
        new RegExp(rule.matches, 'iu');
      } catch (err) {
        report([i, 'matches'], `is not a valid regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`);
      }
    }
  });
}

/** Coupa requires them of every user, or they are true/false: a `clear` or a `null` could only fail. */
const NOT_CLEARABLE_TARGETS: ReadonlySet<string> = new Set(['login', 'email', 'firstname', 'lastname', 'action']);

/** Rules no schema type can say: known targets, one source each, sound templates and maps. */
function checkFields(fields: HrFields | undefined, report: Report): void {
  if (!fields) return;
  if (!('login' in fields)) report(['fields'], '"login" is required (the Coupa login is the match key)');
  for (const [target, rule] of Object.entries(fields)) {
    const at = (...path: string[]) => ['fields', target, ...path];
    if (!isObject(rule)) continue; // its type is reported already
    if (!isMappableTarget(target)) {
      report(['fields', target], `unknown key (not a Coupa user element the sync writes${suggestion(target)})`);
      continue;
    }
    const sources = (['from', 'value', 'template'] as const).filter((k) => rule[k] !== undefined);
    if (sources.length !== 1) {
      report(at(), sources.length === 0 ? 'needs one of "from", "value" or "template"' : `has ${sources.join(' and ')}: give only one`);
    }
    if (rule.matchOn !== undefined && target !== 'manager') report(at('matchOn'), 'only the manager field has matchOn');
    const clears = rule.clear !== undefined || (isObject(rule.map) && Object.values(rule.map).some((v) => v === null));
    if (clears && (NOT_CLEARABLE_TARGETS.has(target) || BOOLEAN_TARGETS.has(target))) {
      report(at(rule.clear !== undefined ? 'clear' : 'map'), `Coupa's ${target} cannot be emptied (${BOOLEAN_TARGETS.has(target) ? 'it is true or false' : 'every user needs one'})`);
    }
    if (typeof rule.default === 'string' && /\{[^{}]*\}/.test(rule.default)) {
      const inner = placeholders(rule.default)[0];
      report(
        at('default'),
        `holds "{${inner}}", but a default is a constant, not a column: it would set the text "{${inner}}" itself. ` +
          `To fall back to another column, list both in "from": ["${typeof rule.from === 'string' ? rule.from : Array.isArray(rule.from) ? rule.from[0] : '…'}", "${inner}"]`,
      );
    }
    if (typeof rule.template === 'string') {
      const names = placeholders(rule.template);
      if (/[{}]/.test(rule.template.replace(/\{[^{}]*\}/g, ''))) report(at('template'), 'has an unmatched { or }');
      else if (names.length === 0) report(at('template'), 'has no {Header} placeholder (use "value" for a constant)');
      else if (names.some((n) => n.trim() === '')) report(at('template'), 'has an empty {} placeholder');
    }
    const isBoolean = BOOLEAN_TARGETS.has(target);
    const wrongType = (value: string | boolean | null) => typeof value === 'boolean' && !isBoolean;
    for (const [from, to] of Object.entries(isObject(rule.map) ? rule.map : {})) {
      if (wrongType(to)) report(at('map', from), `true/false only for a true/false field; "${target}" takes text`);
    }
    for (const key of ['value', 'default'] as const) {
      const value = rule[key];
      if (value !== undefined && wrongType(value)) report(at(key), `true/false only for a true/false field; "${target}" takes text`);
    }
  }
}

/** ` (did you mean "email"?)` for a near miss, else a pointer to the docs. */
function suggestion(key: string): string {
  const near = closest(key, MAPPABLE_TARGETS);
  return near ? `; did you mean "${near}"?` : '; see docs/mapping.md';
}
