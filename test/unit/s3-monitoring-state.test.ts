/** The monitoring state over S3 (aws-sdk-client-mock with a fake bucket): keys under state/monitoring/, a missing key read as nothing kept. */
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ObjectStoreMonitoringState } from '../../lambdas/adapters/aws/s3-monitoring-state';
import { S3ObjectStore } from '../../lambdas/adapters/aws/s3-object-store';
import { fakeS3Bucket } from './handler-fixtures';

const s3Mock = mockClient(S3Client);
afterEach(() => s3Mock.reset());

describe('ObjectStoreMonitoringState on S3', () => {
  it('keeps the integration id, a run record and the open errors under state/monitoring/, and reads missing keys as nothing kept', async () => {
    // Prepare
    const bucket = fakeS3Bucket(s3Mock);
    const state = new ObjectStoreMonitoringState(new S3ObjectStore(new S3Client({}), 'drop-bucket'));
    // Act
    const before = { integration: await state.integrationId('coupa-user-sync'), run: await state.runRecord('hr-1'), open: await state.openErrors() };
    await state.saveIntegrationId('coupa-user-sync', '5');
    await state.saveRunRecord('hr-1', { coupaRunId: '17', integrationId: '5', status: 'pending', startedAt: '2026-12-06T10:00:00.000Z', raised: 0, resolved: 0 });
    await state.saveOpenErrors({ 'ann.one': ['3'] });
    // Assess
    expect(before).toEqual({ integration: undefined, run: undefined, open: {} });
    expect(await state.integrationId('coupa-user-sync')).toBe('5');
    expect((await state.runRecord('hr-1'))?.coupaRunId).toBe('17');
    expect(await state.openErrors()).toEqual({ 'ann.one': ['3'] });
    expect([...bucket.keys()].sort()).toEqual(['state/monitoring/integrations/coupa-user-sync.json', 'state/monitoring/open-errors.json', 'state/monitoring/runs/hr-1.json']);
  });

  it('refuses a run id that would leave its folder', async () => {
    // Prepare
    fakeS3Bucket(s3Mock);
    const state = new ObjectStoreMonitoringState(new S3ObjectStore(new S3Client({}), 'drop-bucket'));
    // Act + Assess
    await expect(state.runRecord('../x')).rejects.toThrow('not a run id');
  });
});
