/**
 * The `hr` section of the config: how an HR system's export is read (encoding, delimiter, input
 * limits) and mapped to Coupa user elements (`fields`). Validated when the config is parsed (the
 * schema and its checks are in hr-schema.ts), so a bad mapping stops `cdk synth` and the CLI (exit 2)
 * before any file is read, naming the field. This module holds what reading a file uses at run
 * time (names, constants, helpers) and imports no zod: the Lambda bundles carry no parser.
 *
 *   "fields": { "email": { "from": "Work_Email", "transform": ["trim", "lower"] },
 *               "active": { "from": "Worker_Status", "map": { "Active": true, "*": false } },
 *               "manager": { "from": "Manager_ID", "matchOn": "employee-number" },
 *               "sso-identifier": { "template": "{Employee_ID}@acme" },
 *               "default-locale": { "value": "en" } }
 */
import { CUSTOM_FIELDS, LICENCE_FIELDS, CREATE_ONLY_FIELDS, SYNC_FIELDS } from '../model';

export type { FieldRule, HrConfig, HrFields, HrLimits, SkipRule } from './hr-schema';

export const ENCODINGS = ['auto', 'utf-8', 'utf-16le', 'utf-16be', 'windows-1252', 'iso-8859-1'] as const;
export type HrEncoding = (typeof ENCODINGS)[number];
export const DELIMITERS = ['auto', ',', ';', '\t', '|'] as const;
export const TRANSFORMS = ['trim', 'lower', 'upper', 'titlecase', 'digits'] as const;
export type TransformName = (typeof TRANSFORMS)[number];
export const MANAGER_KEYS = ['login', 'employee-number', 'email'] as const;

/** Coupa's own loader marker for "clear this field". */
export const DEFAULT_CLEAR_TOKEN = '--NULL--';

/** Columns a mapping can fill: the match key, the action, every sync field, and `custom-fields.<name>`. */
export const MAPPABLE_TARGETS: readonly string[] = ['login', 'action', ...SYNC_FIELDS.filter((f) => f !== CUSTOM_FIELDS)];
const CUSTOM_TARGET = /^custom-fields\.[A-Za-z0-9_][A-Za-z0-9_ -]{0,99}$/;
export const isMappableTarget = (key: string): boolean => MAPPABLE_TARGETS.includes(key) || CUSTOM_TARGET.test(key);

/** Targets whose values are true/false (a map or constant may give them booleans). */
export const BOOLEAN_TARGETS: ReadonlySet<string> = new Set(['active', ...LICENCE_FIELDS, ...CREATE_ONLY_FIELDS]);

export const SKIP_MATCHERS = ['equals', 'in', 'matches', 'empty'] as const;

export const DUPLICATE_POLICIES = ['reject', 'first', 'last'] as const;
export type DuplicatePolicy = (typeof DUPLICATE_POLICIES)[number];

export const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The `{Header}` placeholders of a template. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]);
}

/** The known name closest to `key` (ignoring case) when it is a near miss (at most 2 edits, or a case slip), else undefined. */
export function closest(key: string, known: Iterable<string>): string | undefined {
  const lowered = key.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(lowered, name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= 2 && best.distance < lowered.length ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
