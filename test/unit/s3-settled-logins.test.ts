/** S3SettledLogins against a fake bucket that answers as S3 does (List, Get, Put). */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../lambdas/adapters/aws/s3-object-store';
import { S3SettledLogins } from '../../lambdas/adapters/aws/s3-settled-logins';
import { fakeS3Bucket } from './handler-fixtures';

const BUCKET = 'drop-bucket';
const s3Mock = mockClient(S3Client);
let objects: ReturnType<typeof fakeS3Bucket>;

const storeOf = () => {
  const s3 = new S3Client({});
  return new S3SettledLogins(s3, BUCKET, new S3ObjectStore(s3, BUCKET));
};

beforeEach(() => {
  s3Mock.reset();
  objects = fakeS3Bucket(s3Mock);
});

describe('S3SettledLogins', () => {
  it("writes one object per run and batch, and answers from the union of the run's batches only, for the logins asked", async () => {
    // Prepare: two batches of run-1 (one retried, rewriting its own object) and one of run-2.
    const store = storeOf();
    await store.add('run-1', 'aaaa1111', ['New.Boss']);
    await store.add('run-1', 'bbbb2222', ['mid.boss', 'other.hire']);
    await store.add('run-1', 'aaaa1111', ['new.boss']);
    await store.add('run-2', 'cccc3333', ['run2.boss']);

    // Act
    const settled = await storeOf().settledOf('run-1', ['NEW.BOSS', 'mid.boss', 'run2.boss', 'never.settled']);

    // Assess
    expect([...settled].sort()).toEqual(['mid.boss', 'new.boss']);
    expect(objects.keysUnder('runs/')).toEqual(['runs/run-1/csv-settled/aaaa1111.json', 'runs/run-1/csv-settled/bbbb2222.json', 'runs/run-2/csv-settled/cccc3333.json']);
    expect(JSON.parse(objects.get('runs/run-1/csv-settled/aaaa1111.json')!.toString('utf8'))).toEqual({ logins: ['new.boss'] });
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual(['runs/run-1/csv-settled/']);
  });

  it('reads nothing but the listing when the run settled no manager yet, and writes nothing for an empty batch', async () => {
    // Prepare
    const store = storeOf();

    // Act
    await store.add('run-1', 'aaaa1111', []);
    const settled = await store.settledOf('run-1', ['new.boss']);

    // Assess
    expect(settled.size).toBe(0);
    expect(objects.keysUnder('')).toEqual([]);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});
