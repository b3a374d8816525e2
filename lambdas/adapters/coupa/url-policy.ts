/**
 * Where the Coupa client may send credentials. Every request carries a bearer token, an
 * X-CSO-API-KEY or (the token request) the OAuth client secret, so:
 *  - only `https://` base URLs, except loopback hosts, where the local emulator listens on plain http
 *    and nothing leaves the machine;
 *  - redirects are never followed (see http.ts): a redirected request would carry them to wherever
 *    the Location points, and a 307/308 would re-send the client secret in the token form.
 */

/** Hosts plain http may use: the emulator on this machine. `URL.hostname` keeps IPv6 brackets. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** The URL as an error may show it: no user info, query or fragment. */
function printable(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/** The base URL without trailing slashes; throws, naming it, unless https or plain http on a loopback host. */
export function secureBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`Coupa URL "${raw}" is not a valid URL: expected e.g. https://acme.coupahost.com`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(
      `Coupa URL ${printable(url)} is refused: credentials go only over https:// ` +
        '(plain http:// only to 127.0.0.1, ::1 or localhost, for the local emulator)',
    );
  }
  // The client adds /api/… and /oauth2/token itself: a base URL with a path (…/api) would make every
  // call miss, and Coupa's answer (a 401 or a 404) would blame the credentials or the user.
  if (url.pathname.replace(/\/+$/, '') !== '') {
    throw new Error(`Coupa URL ${printable(url).replace(/\/+$/, '')} is refused: give the instance URL without ${url.pathname.replace(/\/+$/, '')} (e.g. ${url.protocol}//${url.host}); the sync adds /api and /oauth2 itself`);
  }
  return raw.replace(/\/+$/, '');
}

/**
 * The host a redirect points to, for an error message: never the whole Location, whose path or
 * query may carry a token. Relative locations resolve against the request URL.
 */
export function redirectHost(location: string | null, requestUrl: string): string {
  if (!location) return 'no Location header';
  try {
    return `host ${new URL(location, requestUrl).host}`;
  } catch {
    return 'an unreadable Location header';
  }
}
