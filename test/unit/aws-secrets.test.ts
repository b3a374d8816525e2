import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { cachedCoupaCredentials, parseCoupaCredentials, SecretNotReadyError } from '../../lambdas/adapters/aws/secrets';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
const smMock = mockClient(SecretsManagerClient);

beforeEach(() => smMock.reset());

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
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"clientId":"","clientSecret":"x"}' })
      .resolves({ SecretString: '{"clientId":"a","clientSecret":"b"}' });
    const creds = cachedCoupaCredentials(new SecretsManagerClient({}), ARN);
    // Act / Assess
    await expect(creds.get()).rejects.toThrow(SecretNotReadyError);
    await expect(creds.get()).resolves.toEqual({ clientId: 'a', clientSecret: 'b' });
  });
});
