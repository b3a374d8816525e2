/**
 * Where the Coupa client sends credentials: https only (plain http only to loopback, for the
 * emulator), and never along a redirect. Real HTTP against scripted servers on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import { CoupaHttp, createDataFileSourceReader, createUserDirectory } from '../../lambdas/adapters/coupa';
import { clientOptions } from './coupa-support';

describe('Coupa URL: https only, plain http only on loopback', () => {
  it.each([
    'http://acme.coupahost.com',
    'http://acme.coupahost.com:80/',
    'http://127.0.0.1.evil.example',
    'http://127.0.0.1@evil.example', // user info before the real host
    'ftp://acme.coupahost.com',
  ])('refuses %s, naming it, for the user directory and the CSV results reader', (url) => {
    // Prepare
    const options = clientOptions(url);
    // Act
    const directory = () => createUserDirectory(options);
    const reader = () => createDataFileSourceReader(options);
    // Assess
    const named = new URL(url).host;
    expect(directory).toThrow(/is refused: credentials go only over https:\/\//);
    expect(directory).toThrow(named);
    expect(reader).toThrow(/is refused/);
  });

  it('names the URL without its user info or query', () => {
    // Prepare
    const options = clientOptions('http://ops:hunter2@acme.coupahost.com/?key=k1');
    // Act
    const error = (() => {
      try {
        new CoupaHttp(options);
      } catch (err) {
        return err as Error;
      }
    })();
    // Assess
    expect(error?.message).toContain('http://acme.coupahost.com');
    expect(error?.message).not.toMatch(/hunter2|k1/);
  });

  it.each(['https://acme.coupahost.com/', 'http://127.0.0.1:4010', 'http://localhost:4010', 'http://[::1]:4010', 'HTTP://LOCALHOST:4010'])(
    'accepts %s',
    (url) => {
      // Act
      const http = new CoupaHttp(clientOptions(url));
      // Assess
      expect(http.baseUrl).toBe(url.replace(/\/+$/, ''));
    },
  );

  it('says so when the URL cannot be parsed', () => {
    // Act / Assess
    expect(() => new CoupaHttp(clientOptions('acme.coupahost.com'))).toThrow(/"acme.coupahost.com" is not a valid URL/);
  });
});
