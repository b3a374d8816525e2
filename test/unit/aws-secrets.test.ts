import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { cachedCoupaCredentials, parseCoupaCredentials, SecretNotReadyError } from '../../lambdas/adapters/aws/secrets';
import { FakeClock } from './coupa-support';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
const smMock = mockClient(SecretsManagerClient);

beforeEach(() => smMock.reset());

/** The secret holds these contents in turn, one per read, the last one from then on. */
function secretHolds(...contents: string[]): void {
  const last = contents.pop()!;
  let mock = smMock.on(GetSecretValueCommand);
  for (const content of contents) mock = mock.resolvesOnce({ SecretString: content });
  mock.resolves({ SecretString: last });
}

describe('parseCoupaCredentials', () => {
  it('accepts an OAuth client or a CSO API key', () => {
    // Act / Assess
    expect(parseCoupaCredentials('{"clientId":"id","clientSecret":"s3cr3t"}', ARN)).toEqual({ clientId: 'id', clientSecret: 's3cr3t' });
    expect(parseCoupaCredentials('{"apiKey":"k"}', ARN)).toEqual({ apiKey: 'k' });
  });

  it('says the secret is not filled in (the stack’s placeholder) without echoing its content', () => {
    // Prepare: what the stack generates before the operator fills it in.
    const placeholder = '{"clientId":"","clientSecret":"Zr8#generated-placeholder"}';
    // Act
    const attempt = () => parseCoupaCredentials(placeholder, ARN);
    // Assess
    expect(attempt).toThrow(SecretNotReadyError);
    expect(attempt).toThrow(/is not filled in: put \{"clientId"/);
    try {
      attempt();
    } catch (err) {
      expect((err as Error).message).not.toContain('generated-placeholder');
      expect((err as Error).message).toContain(ARN);
    }
  });

  it('rejects an empty or non-JSON secret', () => {
    // Act / Assess
    expect(() => parseCoupaCredentials(undefined, ARN)).toThrow(/is empty/);
    expect(() => parseCoupaCredentials('clientId=x', ARN)).toThrow(/is not JSON/);
  });
});

describe('cachedCoupaCredentials', () => {
  it('reads the secret once and caches it', async () => {
    // Prepare
    smMock.on(GetSecretValueCommand).resolves({ SecretString: '{"clientId":"a","clientSecret":"b"}' });
    const creds = cachedCoupaCredentials(new SecretsManagerClient({}), ARN);
    // Act
    await creds.get();
    await creds.get();
    // Assess
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(smMock.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: ARN });
  });

  it('re-reads after a failure, so a secret filled in later is picked up', async () => {
    // Prepare
    secretHolds('{"clientId":"","clientSecret":"x"}', '{"clientId":"a","clientSecret":"b"}');
    const creds = cachedCoupaCredentials(new SecretsManagerClient({}), ARN);
    // Act / Assess
    await expect(creds.get()).rejects.toThrow(SecretNotReadyError);
    await expect(creds.get()).resolves.toEqual({ clientId: 'a', clientSecret: 'b' });
  });

  it('re-reads the secret once the last read is 15 minutes old, so a rotation reaches a warm container', async () => {
    // Prepare
    secretHolds('{"clientId":"a","clientSecret":"before"}', '{"clientId":"a","clientSecret":"rotated"}');
    const clock = new FakeClock();
    const creds = cachedCoupaCredentials(new SecretsManagerClient({}), ARN, { clock });
    await creds.get();
    // Act
    clock.advance(15 * 60_000 - 1);
    const justBefore = await creds.get();
    clock.advance(1);
    const after = await creds.get();
    // Assess
    expect(justBefore).toEqual({ clientId: 'a', clientSecret: 'before' });
    expect(after).toEqual({ clientId: 'a', clientSecret: 'rotated' });
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('takes another TTL as a parameter', async () => {
    // Prepare
    smMock.on(GetSecretValueCommand).resolves({ SecretString: '{"apiKey":"k"}' });
    const clock = new FakeClock();
    const creds = cachedCoupaCredentials(new SecretsManagerClient({}), ARN, { ttlMs: 60_000, clock });
    await creds.get();
    // Act
    clock.advance(60_000);
    await creds.get();
    // Assess
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('hands back the same object when a re-read finds the secret unchanged, a new one when it changed', async () => {
    // Prepare
    secretHolds('{"clientId":"a","clientSecret":"b"}', '{"clientId":"a","clientSecret":"b"}', '{"clientId":"a","clientSecret":"c"}');
    const clock = new FakeClock();
    const creds = cachedCoupaCredentials(new SecretsManagerClient({}), ARN, { clock });
    const first = await creds.get();
    // Act
    clock.advance(15 * 60_000);
    const unchanged = await creds.get();
    clock.advance(15 * 60_000);
    const rotated = await creds.get();
    // Assess: callers rebuild their Coupa client only on a real change
    expect(unchanged).toBe(first);
    expect(rotated).not.toBe(first);
    expect(rotated).toEqual({ clientId: 'a', clientSecret: 'c' });
  });

  it('re-reads at once after forget(), long before the TTL', async () => {
    // Prepare
    secretHolds('{"clientId":"a","clientSecret":"wrong"}', '{"clientId":"a","clientSecret":"fixed"}');
    const clock = new FakeClock();
    const creds = cachedCoupaCredentials(new SecretsManagerClient({}), ARN, { clock });
    await creds.get();
    // Act
    clock.advance(1000);
    creds.forget();
    const again = await creds.get();
    // Assess
    expect(again).toEqual({ clientId: 'a', clientSecret: 'fixed' });
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('shares one read among concurrent callers, the expired re-read included', async () => {
    // Prepare
    smMock.on(GetSecretValueCommand).resolves({ SecretString: '{"clientId":"a","clientSecret":"b"}' });
    const clock = new FakeClock();
    const creds = cachedCoupaCredentials(new SecretsManagerClient({}), ARN, { clock });
    await Promise.all([creds.get(), creds.get(), creds.get()]);
    // Act
    clock.advance(15 * 60_000);
    await Promise.all([creds.get(), creds.get(), creds.get()]);
    // Assess
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});
