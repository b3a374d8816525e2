import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { renderReportChunks } from '../../lambdas/core/report';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { S3ManifestStore } from '../../lambdas/adapters/aws/s3-manifest-store';
import { S3ObjectStore } from '../../lambdas/adapters/aws/s3-object-store';
import { S3OutcomeLedger, type OutcomeRecord } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import { S3StateStore } from '../../lambdas/adapters/aws/s3-state-store';
import type { CsvManifest } from '../../lambdas/core/csv/manifest';
import { REPORT_CONTENT_TYPES, renderReport } from '../../lambdas/core/report';
import { MemoryObjectStore } from '../support/memory-stores';
import { runReport } from '../support/report-factories';
import { fakeS3Bucket } from './handler-fixtures';

const BUCKET = 'drop-bucket';
const s3Mock = mockClient(S3Client);

function manifest(fileName: string): CsvManifest {
  return {
    fileName,
    remoteDirectory: '/Incoming/Users',
    sentAt: '2026-11-23T04:00:00.000Z',
    transferId: `tr-${fileName}`,
    rows: [{ line: 1, run: { runId: 'hr-1', file: 'incoming/hr.csv' }, row: 3, login: 'jane.doe', deactivate: false }],
  };
}

beforeEach(() => s3Mock.reset());

describe('S3ObjectStore', () => {
  it('returns the object as a Node stream that yields its bytes', async () => {
    // Prepare: a multi-chunk body, as S3 streams it.
    s3Mock.on(GetObjectCommand, { Bucket: BUCKET, Key: 'incoming/hr.csv' }).resolves({
      Body: sdkStreamMixin(Readable.from([Buffer.from('login,email\n'), Buffer.from('jane.doe,jane@example.com\n')])),
    });
    // Act
    const stream = await new S3ObjectStore(new S3Client({}), BUCKET).get('incoming/hr.csv');
    // Assess
    expect(stream).toBeInstanceOf(Readable);
    expect(await text(stream)).toBe('login,email\njane.doe,jane@example.com\n');
  });

  it('writes with the content type given', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({});
    // Act
    await new S3ObjectStore(new S3Client({}), BUCKET).put('runs/r/split.json', '{}', 'application/json');
    // Assess
    expect(s3Mock.commandCalls(PutObjectCommand)[0].args[0].input).toEqual({
      Bucket: BUCKET,
      Key: 'runs/r/split.json',
      Body: '{}',
      ContentType: 'application/json',
    });
  });
});

describe('S3ObjectStore on a versioned bucket (the S3 fake answers as S3 does)', () => {
  it('reads exactly the version asked for, the newest without one', async () => {
    // Prepare
    const objects = fakeS3Bucket(s3Mock);
    const first = objects.putVersion('incoming/hr.csv', Buffer.from('old'));
    objects.set('incoming/hr.csv', Buffer.from('new'));
    const store = new S3ObjectStore(new S3Client({}), BUCKET);
    // Act
    const [old, current] = await Promise.all([store.get('incoming/hr.csv', first).then(text), store.get('incoming/hr.csv').then(text)]);
    // Assess
    expect([old, current]).toEqual(['old', 'new']);
    expect(objects.versionsOf('incoming/hr.csv').map((v) => v.body?.toString())).toEqual(['old', 'new']);
  });

  it('creates a key once: the second conditional write is refused (412 PreconditionFailed) and leaves the first', async () => {
    // Prepare
    const objects = fakeS3Bucket(s3Mock);
    const store = new S3ObjectStore(new S3Client({}), BUCKET);
    // Act
    const results = [await store.create('runs/r/claim.json', '{"n":1}'), await store.create('runs/r/claim.json', '{"n":2}')];
    // Assess
    expect(results).toEqual([true, false]);
    expect(objects.text('runs/r/claim.json')).toBe('{"n":1}');
    const refused = await s3Mock.commandCalls(PutObjectCommand)[1].returnValue.catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    expect(s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.IfNoneMatch)).toEqual(['*', '*']);
  });

  it('lets exactly one of two concurrent conditional writes of a key win, as S3 does', async () => {
    // Prepare
    const objects = fakeS3Bucket(s3Mock);
    const store = new S3ObjectStore(new S3Client({}), BUCKET);
    // Act
    const results = await Promise.all([store.create('runs/r/gate.json', '{"n":1}'), store.create('runs/r/gate.json', '{"n":2}')]);
    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(objects.versionsOf('runs/r/gate.json')).toHaveLength(1);
  });

  it('refuses a streamed upload whose ContentLength is not its size, as S3 does', async () => {
    // Prepare
    fakeS3Bucket(s3Mock);
    // Act
    const put = new S3Client({}).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'runs/r/report.json', Body: Readable.from([Buffer.from('{}')]), ContentLength: 3 }));
    // Assess
    await expect(put).rejects.toMatchObject({ name: 'IncompleteBody' });
  });

  it('uploads a file again, read afresh, when S3 answers 503 SlowDown (the SDK does not retry a stream), and gives up after 3 attempts', async () => {
    // Prepare: S3 refuses the first upload of one key, and every upload of another.
    const temp = mkdtempSync(join(tmpdir(), 's3-put-file-'));
    try {
      const file = join(temp, 'report.json');
      writeFileSync(file, '{"rows":[]}\n');
      const objects = fakeS3Bucket(s3Mock);
      const slowDown = () => Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
      let refusals = 1;
      objects.putFault = (key) => (key === 'runs/r/always.json' || (key === 'runs/r/report.json' && refusals-- > 0) ? slowDown() : undefined);
      const store = new S3ObjectStore(new S3Client({}), BUCKET);
      // Act
      await store.putFile('runs/r/report.json', file, 'application/json');
      const givingUp = store.putFile('runs/r/always.json', file, 'application/json');
      // Assess
      expect(objects.text('runs/r/report.json')).toBe('{"rows":[]}\n');
      await expect(givingUp).rejects.toMatchObject({ name: 'SlowDown' });
      expect(s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
        'runs/r/report.json',
        'runs/r/report.json',
        'runs/r/always.json',
        'runs/r/always.json',
        'runs/r/always.json',
      ]);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });

  it('does not upload a file again when S3 refuses it for good (403 AccessDenied)', async () => {
    // Prepare
    const temp = mkdtempSync(join(tmpdir(), 's3-put-file-'));
    try {
      const file = join(temp, 'report.json');
      writeFileSync(file, '{}');
      const objects = fakeS3Bucket(s3Mock);
      objects.putFault = () => Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
      // Act
      const put = new S3ObjectStore(new S3Client({}), BUCKET).putFile('runs/r/report.json', file);
      // Assess
      await expect(put).rejects.toMatchObject({ name: 'AccessDenied' });
      expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });

  it('passes on any other error of a conditional write', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('Slow Down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }));
    // Act / Assess
    await expect(new S3ObjectStore(new S3Client({}), BUCKET).create('runs/r/claim.json', '{}')).rejects.toThrow('Slow Down');
  });
});

describe('S3StateStore reading what is not there yet', () => {
  it('reads a missing snapshot, plan or accepted roster as absent where the caller may list, as S3 answers 404 NoSuchKey', async () => {
    // Prepare
    fakeS3Bucket(s3Mock, { listable: ['runs/', 'state/'] });
    const state = new S3StateStore(new S3ObjectStore(new S3Client({}), BUCKET), BUCKET);
    // Act
    const found = await Promise.all([state.read(), state.loadPlan('r-1'), state.loadReport('r-1'), state.acceptedRoster()]);
    // Assess
    expect(found).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('fails where the caller may not list: S3 answers 403 AccessDenied, which is not "absent"', async () => {
    // Prepare: a role with GetObject on state/ but no s3:ListBucket there.
    fakeS3Bucket(s3Mock, { listable: ['runs/'] });
    const state = new S3StateStore(new S3ObjectStore(new S3Client({}), BUCKET), BUCKET);
    // Act / Assess
    await expect(state.acceptedRoster()).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });
});

describe('S3StateStore keeping a run\'s unfinished read of Coupa', () => {
  it('writes the checkpoint as lines under state/reads/<runId>.ndjson, reads it back line by line, and deletes it', async () => {
    // Prepare
    const bucket = fakeS3Bucket(s3Mock, { listable: ['runs/', 'state/'] });
    const state = new S3StateStore(new S3ObjectStore(new S3Client({}), BUCKET), BUCKET);
    // Act
    const before = await state.readCheckpoint('r-1');
    await state.writeCheckpoint('r-1', ['{"checkpoint":1}', '["1","ann",[],0,0]']);
    const stored = bucket.text('state/reads/r-1.ndjson');
    const lines: string[] = [];
    for await (const line of (await state.readCheckpoint('r-1'))!) lines.push(line);
    await state.removeCheckpoint('r-1');
    // Assess
    expect(before).toBeUndefined();
    expect(stored).toBe('{"checkpoint":1}\n["1","ann",[],0,0]\n');
    expect(lines).toEqual(['{"checkpoint":1}', '["1","ann",[],0,0]']);
    expect(bucket.has('state/reads/r-1.ndjson')).toBe(false);
    expect(await state.readCheckpoint('r-1')).toBeUndefined();
    expect(bucket.versionsOf('state/reads/r-1.ndjson').map((v) => Boolean(v.deleteMarker))).toEqual([false, true]);
  });
});

describe('S3StateStore in the Lambda\'s /tmp: spooled outcomes and streamed reports', () => {
  let temp: string;
  beforeEach(() => {
    temp = mkdtempSync(join(tmpdir(), 's3-state-store-'));
  });
  afterEach(() => rmSync(temp, { recursive: true, force: true }));

  it('spools a run\'s outcomes to <tmp>/<runId>/outcomes.jsonl and reads them back by index, in the order asked', () => {
    // Prepare
    const state = new S3StateStore(new MemoryObjectStore(), BUCKET, temp, renderReportChunks);
    const spool = state.outcomeSpool('hr-1');
    const lines = ['{"row":1,"login":"ann","outcome":"rejected"}', '{"row":2,"login":"bob","outcome":"unchanged","note":"é ✓"}', '{"row":3}'];
    // Act
    const indexes = lines.map((line) => spool.append(line));
    const read = [...spool.read([2, 0, 1])];
    // Assess
    expect(indexes).toEqual([0, 1, 2]);
    expect(read).toEqual([lines[2], lines[0], lines[1]]);
    expect(existsSync(join(temp, 'hr-1', 'outcomes.jsonl'))).toBe(true);
  });

  it('starts a run\'s spool afresh when it is planned again, and removes the previous run\'s folder when the next run starts', () => {
    // Prepare: a retried event of hr-1 on the same warm Lambda, then the next run.
    const state = new S3StateStore(new MemoryObjectStore(), BUCKET, temp, renderReportChunks);
    state.outcomeSpool('hr-1').append('{"row":1,"outcome":"rejected"}');
    // Act
    const again = state.outcomeSpool('hr-1');
    again.append('{"row":1,"outcome":"unchanged"}');
    const afterRetry = [...again.read([0])];
    const beyond = () => [...again.read([1])];
    expect(beyond).toThrow(/no line 1 \(1 lines\)/);
    state.outcomeSpool('hr-2');
    // Assess
    expect(afterRetry).toEqual(['{"row":1,"outcome":"unchanged"}']);
    expect(readdirSync(temp)).toEqual(['hr-2']);
  });

  it('closes the last spool\'s file when the next one is handed out, though nothing read it (a suspended plan): no deleted file stays open', () => {
    // Prepare: enough lines for the spool to open its file and write (it buffers 64 KiB)
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const state = new S3StateStore(new MemoryObjectStore(), BUCKET, temp, renderReportChunks);
    const before = openFiles();
    const spool = state.outcomeSpool('hr-1');
    for (let i = 0; i < 2_000; i++) spool.append(`{"row":${i},"outcome":"rejected","errors":["${'x'.repeat(60)}"]}`);
    const whileWriting = openFiles();
    // Act: the next run's spool (the first was never read)
    state.outcomeSpool('hr-2');
    // Assess
    expect(whileWriting).toBe(before + 1);
    expect(openFiles()).toBe(before);
  });

  it('refuses a run id that is not a folder name', () => {
    // Prepare
    const state = new S3StateStore(new MemoryObjectStore(), BUCKET, temp, renderReportChunks);
    // Act / Assess
    expect(() => state.outcomeSpool('../etc')).toThrow(/not a run id/);
    expect(() => state.outcomeSpool('..')).toThrow(/not a run id/);
  });

  it('uploads each report format as a file stream of known length, byte for byte what renderReport makes, and leaves no temp file', async () => {
    // Prepare
    const bucket = fakeS3Bucket(s3Mock, { listable: ['runs/', 'state/'] });
    const state = new S3StateStore(new S3ObjectStore(new S3Client({}), BUCKET), BUCKET, temp, renderReportChunks);
    const report = runReport({ runId: 'hr-1' });
    // Act
    const locations = await state.saveReport(report);
    // Assess
    expect(locations).toEqual(['html', 'csv', 'json'].map((f) => `s3://${BUCKET}/runs/hr-1/report.${f}`));
    expect(bucket.streamedWrites).toEqual(['runs/hr-1/report.html', 'runs/hr-1/report.csv', 'runs/hr-1/report.json']);
    for (const format of ['html', 'csv', 'json'] as const) {
      expect(bucket.text(`runs/hr-1/report.${format}`)).toBe(renderReport(report, format));
      expect(bucket.read(`runs/hr-1/report.${format}`).contentType).toBe(REPORT_CONTENT_TYPES[format]);
    }
    const put = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(put.map((p) => p.ContentLength)).toEqual(['html', 'csv', 'json'].map((f) => Buffer.byteLength(renderReport(report, f as 'html'))));
    expect(readdirSync(join(temp, 'hr-1'))).toEqual([]);
  });

  it('puts the report\'s text where the object store cannot upload a file, and still leaves no temp file', async () => {
    // Prepare
    const objects = new MemoryObjectStore();
    const state = new S3StateStore(objects, BUCKET, temp, renderReportChunks);
    const report = runReport({ runId: 'hr-1' });
    // Act
    await state.saveReport(report);
    // Assess
    // Compared as bytes: report.csv starts with a BOM, which a text decoder would drop.
    for (const format of ['html', 'csv', 'json'] as const) expect(objects.objects.get(`runs/hr-1/report.${format}`)!.toString('utf8')).toBe(renderReport(report, format));
    expect(readdirSync(join(temp, 'hr-1'))).toEqual([]);
  });

  it('removes the temp file when the upload fails, and fails the save', async () => {
    // Prepare: S3 refuses the upload (503 SlowDown).
    const bucket = fakeS3Bucket(s3Mock, { listable: ['runs/', 'state/'] });
    bucket.putFault = () => Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    const state = new S3StateStore(new S3ObjectStore(new S3Client({}), BUCKET), BUCKET, temp, renderReportChunks);
    // Act
    const saving = state.saveReport(runReport({ runId: 'hr-1' }));
    // Assess
    await expect(saving).rejects.toMatchObject({ name: 'SlowDown' });
    expect(readdirSync(join(temp, 'hr-1'))).toEqual([]);
  });
});

describe('S3OutcomeLedger', () => {
  it('writes each record() call to its own object under runs/<runId>/outcomes/', async () => {
    // Prepare
    const objects = fakeS3Bucket(s3Mock);
    const clock = { now: () => new Date('2026-11-23T04:05:06.789Z'), sleep: async () => undefined };
    let n = 0;
    const ledger = new S3OutcomeLedger(new S3ObjectStore(new S3Client({}), BUCKET), clock, () => `r${++n}`);
    const run = { runId: 'hr-1a2b', file: 'incoming/hr.csv' };
    // Act
    await ledger.record(run, [{ row: 1, login: 'jane.doe', outcome: 'created' }]);
    await ledger.record(run, [{ row: 2, login: 'john.roe', outcome: 'failed', errors: ['Coupa said no'] }]);
    await ledger.record(run, []);
    // Assess
    expect([...objects.keys()]).toEqual([
      'runs/hr-1a2b/outcomes/2026-11-23T04:05:06.789Z-r1.json',
      'runs/hr-1a2b/outcomes/2026-11-23T04:05:06.789Z-r2.json',
    ]);
    const second = JSON.parse(objects.get('runs/hr-1a2b/outcomes/2026-11-23T04:05:06.789Z-r2.json')!.toString('utf8')) as OutcomeRecord;
    expect(second).toEqual({
      runId: 'hr-1a2b',
      file: 'incoming/hr.csv',
      recordedAt: '2026-11-23T04:05:06.789Z',
      outcomes: [{ row: 2, login: 'john.roe', outcome: 'failed', errors: ['Coupa said no'] }],
    });
  });
});

describe('S3ManifestStore', () => {
  it('saves, lists oldest file first, and completes manifests', async () => {
    // Prepare
    const objects = fakeS3Bucket(s3Mock);
    const store = new S3ManifestStore(new S3Client({}), BUCKET);
    // Act
    await store.save(manifest('users20261123_050000Z_b.csv'));
    await store.save(manifest('users20261123_040000Z_a.csv'));
    const pending = await store.pending();
    await store.complete('users20261123_040000Z_a.csv');
    // Assess
    expect(pending.map((m) => m.fileName)).toEqual(['users20261123_040000Z_a.csv', 'users20261123_050000Z_b.csv']);
    expect(pending[0]).toEqual(manifest('users20261123_040000Z_a.csv'));
    expect((await store.pending()).map((m) => m.fileName)).toEqual(['users20261123_050000Z_b.csv']);
    expect([...objects.keys()].sort()).toEqual([
      'outbox/manifests/done/users20261123_040000Z_a.csv.json',
      'outbox/manifests/pending/users20261123_050000Z_b.csv.json',
    ]);
  });
});
