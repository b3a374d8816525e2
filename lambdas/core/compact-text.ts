/**
 * Compact texts for what the planner holds per user (a million users must fit a Lambda):
 * flat strings and fields packed by position.
 */
import { SYNC_FIELDS, type UserFields } from './model';

/**
 * A string kept for long (one per user in the planner's tables) as one flat piece of memory.
 *
 * V8 builds JSON.stringify's result from parts joined as a tree ("cons string"): for a text of a
 * few hundred characters that tree costs about 150 bytes more than the characters themselves, and
 * stays until the string is flattened. Copying through a Buffer gives a plain sequential string
 * (`text` must be well-formed UTF-16, as JSON.stringify's output always is).
 * Measured: 100,000 user texts of ~280 characters take 50 MB as built, 37 MB flat.
 */
export function flatText(text: string): string {
  return text.length < 64 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

/** Sync field names by position: packed fields name each by its index in SYNC_FIELDS. */
const FIELD_INDEX = new Map<string, number>(SYNC_FIELDS.map((f, i) => [f, i]));

/**
 * Fields as `[field, value, …]`, each sync field named by its index in SYNC_FIELDS (any other name
 * as itself); undefined values are left out, as JSON would. Order, nulls and absent fields survive
 * unpackFields. In JSON that is about half the text of the object, whose element names
 * (`"purchasing-user":`) are most of it.
 */
export function packFields(fields: UserFields): unknown[] {
  const packed: unknown[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const index = FIELD_INDEX.get(name);
    // A sync field's true/false is one negative number, -2i-1 / -2i-2, instead of `i,false`: Coupa
    // answers some 15 licence booleans per user, a million users' table is ~25 MB smaller.
    if (index !== undefined && typeof value === 'boolean') packed.push(value ? -2 * index - 1 : -2 * index - 2);
    else packed.push(index ?? name, value);
  }
  return packed;
}

export function unpackFields(packed: unknown[]): UserFields {
  const fields: Record<string, unknown> = {};
  for (let i = 0; i < packed.length; ) {
    const name = packed[i];
    if (typeof name === 'number' && name < 0) {
      fields[SYNC_FIELDS[Math.floor((-name - 1) / 2)]] = (-name - 1) % 2 === 0;
      i += 1;
      continue;
    }
    fields[typeof name === 'number' ? SYNC_FIELDS[name] : (name as string)] = packed[i + 1];
    i += 2;
  }
  return fields as UserFields;
}
