/**
 * Coupa XML ⇄ plain values, with fast-xml-parser only (never string concatenation).
 * Coupa marks types with attributes, so the parser keeps every text as a string and this
 * module applies `type="integer|boolean|dateTime|array|symbol"` and `nil="true"` itself.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

const ATTR = '@_';
const TEXT = '#text';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  textNodeName: TEXT,
  // Keep "007" and "1e3" as written: Coupa's own type attribute says what is numeric.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  // CDATA is folded into the text (no cdataPropName), e.g. <error><![CDATA[…]]></error>.
});

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  textNodeName: TEXT,
  format: false,
  suppressEmptyNode: false,
  suppressBooleanAttributes: false,
});

export type XmlValue = string | number | boolean | null | XmlValue[] | { [key: string]: XmlValue };

/** Parses a Coupa XML document into plain values: `{ users: [...] }`, `{ user: {...} }`, `{ errors: {...} }`. */
export function parseCoupaXml(xml: string): Record<string, XmlValue> {
  const raw = parser.parse(xml) as Record<string, unknown>;
  const out: Record<string, XmlValue> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('?')) continue; // the <?xml …?> declaration
    out[key] = normalise(value);
  }
  return out;
}

function normalise(node: unknown): XmlValue {
  if (node === null || node === undefined) return '';
  if (typeof node !== 'object') return String(node);
  if (Array.isArray(node)) return node.map(normalise);
  const obj = node as Record<string, unknown>;
  if (obj[`${ATTR}nil`] === 'true') return null;
  const type = obj[`${ATTR}type`];
  const text = obj[TEXT] === undefined ? '' : String(obj[TEXT]);
  switch (type) {
    case 'integer':
      return text === '' ? null : Number(text);
    case 'boolean':
      return text === '' ? null : text === 'true';
    case 'array':
      return arrayChildren(obj);
    case 'dateTime':
    case 'date':
    case 'symbol':
    case 'decimal':
      return text;
    default: {
      const children = Object.entries(obj).filter(([k]) => !k.startsWith(ATTR) && k !== TEXT);
      if (children.length === 0) return text;
      const result: Record<string, XmlValue> = {};
      for (const [k, v] of children) result[k] = normalise(v);
      return result;
    }
  }
}

/** `<users type="array">` holds 0, 1 or many children; the parser gives nothing, one object or an array. */
function arrayChildren(obj: Record<string, unknown>): XmlValue[] {
  const items: XmlValue[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (k.startsWith(ATTR) || k === TEXT) continue;
    for (const item of Array.isArray(v) ? v : [v]) items.push(normalise(item));
  }
  return items;
}

/**
 * Builds `<?xml?><root>…</root>` from plain values. `null` becomes `nil="true"` (clears a field),
 * booleans become the text true/false, nested objects become nested elements.
 */
export function buildCoupaXml(root: string, value: Record<string, unknown>): string {
  return builder.build({
    '?xml': { [`${ATTR}version`]: '1.0', [`${ATTR}encoding`]: 'UTF-8' },
    [root]: toBuilderTree(value),
  }) as string;
}

/**
 * Item element of each collection Coupa writes as `<roles><role>…</role></roles>` (playbook 1.6).
 * An empty list becomes `<roles></roles>`, which clears the set (playbook 1.7).
 */
const COLLECTION_ITEMS: Record<string, string> = {
  roles: 'role',
  'content-groups': 'content-group',
  'user-groups': 'user-group',
  'approval-groups': 'approval-group',
  'account-groups': 'account-group',
};

function toBuilderTree(value: unknown): unknown {
  if (value === null || value === undefined) return { [`${ATTR}nil`]: 'true' };
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map(toBuilderTree);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const item = COLLECTION_ITEMS[k];
    if (item && Array.isArray(v)) out[k] = v.length === 0 ? '' : { [item]: v.map(toBuilderTree) };
    else out[k] = toBuilderTree(v);
  }
  return out;
}
