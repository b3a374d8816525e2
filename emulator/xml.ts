/**
 * Coupa's XML dialect, rendered and parsed with fast-xml-parser (never by string concatenation).
 * Output follows the playbook payload: typed attributes (integer, dateTime, boolean, symbol, array),
 * `nil="true"` for null, an empty element for an empty string.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

type Json = Record<string, unknown>;

const DECLARATION = { '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' } };

/** Elements rendered with type="dateTime" / type="symbol" (the rest is inferred from the value). */
const DATETIME_ELEMENTS = new Set(['created-at', 'updated-at', 'start-time', 'end-time']);
const SYMBOL_ELEMENTS = new Set(['authentication-method']);

/** Singular child names of array elements (`<roles type="array"><role>`). */
const ARRAY_ITEM_NAMES: Record<string, string> = {
  roles: 'role',
  'user-groups': 'user-group',
  'content-groups': 'content-group',
  'approval-groups': 'approval-group',
  'account-groups': 'account-group',
  users: 'user',
  'upload-errors': 'upload-error',
  'field-errors': 'field-error',
  'data-file-sources': 'data-file-source',
  addresses: 'address',
  currencies: 'currency',
  'legal-entities': 'legal-entity',
};

export function itemName(arrayName: string): string {
  return ARRAY_ITEM_NAMES[arrayName] ?? arrayName.replace(/s$/, '');
}

const prettyBuilder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
});

// Errors stay on one line so CDATA sections are not padded with indentation.
const compactBuilder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: false,
  suppressBooleanAttributes: false,
  cdataPropName: '__cdata',
});

/** The playbook writes `<employee-number />`; the builder writes `<employee-number/>`. Same XML, same look. */
function spaceSelfClosing(xml: string): string {
  return xml.replace(/([^\s/])\/>/g, '$1 />');
}

function toXmlValue(name: string, value: unknown): unknown {
  if (value === null || value === undefined) return { '@_nil': 'true' };
  if (typeof value === 'boolean') return { '#text': String(value), '@_type': 'boolean' };
  if (typeof value === 'number') {
    return { '#text': String(value), '@_type': Number.isInteger(value) ? 'integer' : 'decimal' };
  }
  if (Array.isArray(value)) {
    const node: Json = { '@_type': 'array' };
    if (value.length > 0) node[itemName(name)] = value.map((item) => toXmlValue(itemName(name), item));
    return node;
  }
  if (typeof value === 'object') return toXmlObject(value as Json);
  if (value === '') return '';
  if (DATETIME_ELEMENTS.has(name)) return { '#text': value, '@_type': 'dateTime' };
  if (SYMBOL_ELEMENTS.has(name)) return { '#text': value, '@_type': 'symbol' };
  return String(value);
}

function toXmlObject(object: Json): Json {
  const node: Json = {};
  for (const [key, value] of Object.entries(object)) node[key] = toXmlValue(key, value);
  return node;
}

/** One resource as `<root>…</root>` (e.g. `<user>`), with the XML declaration. */
export function renderXmlObject(root: string, object: Json): string {
  return spaceSelfClosing(prettyBuilder.build({ ...DECLARATION, [root]: toXmlObject(object) }));
}

/** A list as `<users type="array"><user>…</user></users>`. */
export function renderXmlArray(root: string, objects: Json[]): string {
  return spaceSelfClosing(prettyBuilder.build({ ...DECLARATION, [root]: toXmlValue(root, objects) }));
}

// Coupa wraps some messages (uniqueness ones in the reference samples) in CDATA and not others.
const CDATA_MESSAGE = /has already been taken/;

/** `<?xml …?><errors><error>…</error></errors>`. */
export function renderXmlErrors(messages: string[]): string {
  const error = messages.map((m) => (CDATA_MESSAGE.test(m) ? { __cdata: m } : m));
  return compactBuilder.build({ ...DECLARATION, errors: { error } });
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  cdataPropName: '__cdata',
});

export class XmlInputError extends Error {}

/**
 * Reads a `<root>` document into plain JSON-like values. `booleanElements` lists the elements whose
 * plain text `true/false` is a boolean (Coupa accepts them with or without type="boolean").
 */
export function parseXmlDocument(xml: string, root: string, booleanElements: ReadonlySet<string>): Json {
  let doc: Json;
  try {
    doc = parser.parse(xml, true) as Json;
  } catch (error) {
    throw new XmlInputError(`Invalid XML: ${(error as Error).message}`);
  }
  const node = doc[root];
  if (node === undefined) throw new XmlInputError(`Invalid XML: expected a <${root}> element`);
  if (node === '' || node === null) return {};
  if (typeof node !== 'object') throw new XmlInputError(`Invalid XML: <${root}> holds no elements`);
  return fromXmlObject(node as Json, booleanElements);
}

function fromXmlObject(node: Json, booleanElements: ReadonlySet<string>): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('@_')) continue;
    out[key] = fromXmlValue(key, value, booleanElements);
  }
  return out;
}

const ARRAY_ELEMENTS = new Set(Object.keys(ARRAY_ITEM_NAMES));

function fromXmlValue(name: string, value: unknown, booleanElements: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => fromXmlValue(name, v, booleanElements));
  const attrs = value !== null && typeof value === 'object' ? (value as Json) : {};
  if (attrs['@_nil'] === 'true') return null;
  const isArray = attrs['@_type'] === 'array' || ARRAY_ELEMENTS.has(name);
  if (isArray) {
    // `<roles></roles>` or `<roles type="array" />` clears the set.
    const items = attrs[itemName(name)];
    if (items === undefined) return [];
    const list = Array.isArray(items) ? items : [items];
    return list.map((item) => fromXmlValue(itemName(name), item, booleanElements));
  }
  const text = textOf(value);
  if (text !== undefined) {
    const type = attrs['@_type'];
    if (type === 'boolean' || (booleanElements.has(name) && /^(true|false)$/i.test(text))) {
      return /^true$/i.test(text) ? true : /^false$/i.test(text) ? false : text;
    }
    if (type === 'integer' && /^-?\d+$/.test(text)) return Number(text);
    return text;
  }
  return fromXmlObject(attrs, booleanElements);
}

/** The text of a leaf element (plain, `#text` or CDATA), or undefined for an element with children. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return value === undefined ? undefined : String(value);
  const node = value as Json;
  const children = Object.keys(node).filter((k) => !k.startsWith('@_'));
  if (children.length === 0) return '';
  if (children.every((k) => k === '#text' || k === '__cdata')) {
    return children.map((k) => String(node[k])).join('');
  }
  return undefined;
}
