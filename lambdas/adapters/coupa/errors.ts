/**
 * Coupa's error texts, kept verbatim (they are what the operator has to act on):
 *   XML  <errors><error>Email has already been taken</error></errors> (text may be CDATA)
 *   JSON {"errors":{"user":["Login has already been taken"],"warnings":null}}
 */
import { parseCoupaXml, type XmlValue } from './xml-codec';
import { parseJsonKeepingLongIds } from './json-codec';

export function parseCoupaErrors(body: string, contentType: string): string[] {
  const text = body.trim();
  if (text === '') return [];
  const looksJson = /json/i.test(contentType) || text.startsWith('{') || text.startsWith('[');
  const looksXml = /xml/i.test(contentType) || text.startsWith('<');
  try {
    if (looksJson && !text.startsWith('<')) return fromJson(parseJsonKeepingLongIds(text));
    if (looksXml) return fromXml(parseCoupaXml(text));
  } catch {
    // not what it claimed to be: fall through to the raw text
  }
  // A proxy or load balancer page: keep one short line, never a whole HTML document.
  return looksXml ? [] : [text.slice(0, 300)];
}

function fromXml(doc: Record<string, XmlValue>): string[] {
  const errors = doc.errors ?? doc.error;
  return strings(errors);
}

function fromJson(doc: unknown): string[] {
  if (!doc || typeof doc !== 'object') return [];
  const obj = doc as Record<string, unknown>;
  if (obj.errors !== undefined) {
    if (obj.errors && typeof obj.errors === 'object' && !Array.isArray(obj.errors)) {
      const out: string[] = [];
      for (const [key, value] of Object.entries(obj.errors as Record<string, unknown>)) {
        if (key === 'warnings') continue; // baton-coupa saw "warnings": null next to the errors
        out.push(...strings(value));
      }
      return out;
    }
    return strings(obj.errors);
  }
  // OAuth token endpoint: {"error":"invalid_client","error_description":"…"}
  if (typeof obj.error === 'string') {
    return [typeof obj.error_description === 'string' ? `${obj.error}: ${obj.error_description}` : obj.error];
  }
  if (typeof obj.message === 'string') return [obj.message];
  return [];
}

function strings(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return value.trim() === '' ? [] : [value.trim()];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (typeof obj.message === 'string') return [obj.message];
    return Object.values(obj).flatMap(strings);
  }
  return [];
}
