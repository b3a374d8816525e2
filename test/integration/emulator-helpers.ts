/**
 * Shared helpers for the emulator's integration tests: a token fetcher and request builders that
 * talk real HTTP to an emulator on 127.0.0.1.
 */
import { XMLParser } from 'fast-xml-parser';
import type { RunningEmulator } from '../../emulator/server';

export const ALL_SCOPES = 'core.user.read core.user.write core.integration.read';

export async function fetchToken(emulator: RunningEmulator, scope = ALL_SCOPES): Promise<string> {
  const response = await fetch(`${emulator.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: emulator.credentials.clientId,
      client_secret: emulator.credentials.clientSecret,
      scope,
    }),
  });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** A small client bound to one token: JSON or XML requests against the core API. */
export function coreClient(emulator: RunningEmulator, token: string) {
  const auth = { authorization: `Bearer ${token}` };
  return {
    getJson: (path: string) => fetch(`${emulator.url}${path}`, { headers: { ...auth, accept: 'application/json' } }),
    getXml: (path: string) => fetch(`${emulator.url}${path}`, { headers: { ...auth, accept: 'application/xml' } }),
    sendJson: (method: 'POST' | 'PUT', path: string, body: unknown) =>
      fetch(`${emulator.url}${path}`, {
        method,
        headers: { ...auth, accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    sendXml: (method: 'POST' | 'PUT', path: string, body: string) =>
      fetch(`${emulator.url}${path}`, {
        method,
        headers: { ...auth, accept: 'application/xml', 'content-type': 'application/xml' },
        body,
      }),
  };
}

/** Parses XML keeping attributes and raw text, so typed attributes can be compared. */
export const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  cdataPropName: '__cdata',
  isArray: (name) => ['user', 'error', 'data-file-source', 'upload-error', 'field-error', 'role'].includes(name),
});

/** `<errors><error>` texts (plain or CDATA). */
export function xmlErrors(xml: string): string[] {
  const doc = xmlParser.parse(xml) as { errors: { error: Array<string | { __cdata: string }> } };
  return doc.errors.error.map((e) => (typeof e === 'string' ? e : e.__cdata));
}

/** A user payload with every required element, unique per `n`. */
export function newUser(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { login: `test.user${n}`, email: `test.user${n}@example.com`, firstname: 'Test', lastname: `User${n}`, ...overrides };
}
