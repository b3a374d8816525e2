/**
 * Issue 9 (low), issue 14: grants narrowed to what each handler writes. The key patterns come from the
 * adapters' key layout, so they are checked against it here: a layout change that a grant no longer
 * covers fails this test, not a deployed Lambda.
 */
import { describe, expect, it } from 'vitest';
import { outcomesPrefix } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import { MANIFEST_PREFIX } from '../../lambdas/adapters/aws/s3-manifest-store';
import { OUTBOX_PREFIX } from '../../lambdas/adapters/aws/transfer-file-drop';
import { importFileName } from '../../lambdas/core/csv/file-splitter';
import { approvedKey } from '../../lambdas/core/sync/run-layout';
import { ACCEPTED_ROSTER_KEY, SNAPSHOT_KEY, planKey, readCheckpointKey, reportKey } from '../../lambdas/adapters/aws/s3-state-store';
import { referenceListKey } from '../../lambdas/adapters/aws/s3-reference-list-store';
import { MONITORING_STATE_PREFIX } from '../../lambdas/adapters/aws/s3-monitoring-state';
import { KEY_PATTERN, PREFIX } from '../../lib/constructs/drop-bucket';
import { infraTestConfig, synthStack } from './synth';

type Resource = { Type: string; Properties: Record<string, any> };

/** IAM's object-key wildcards: `*` any run of characters (slashes included), `?` one character. */
const iamGlob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

const { template } = synthStack(infraTestConfig(), { bundle: false });
const resources = template.toJSON().Resources as Record<string, Resource>;

/** The S3 actions a role may take, each with the object-key patterns (or bucket-level list prefixes) it may take them on. */
function s3Grants(rolePrefix: string): Record<string, string[]> {
  const statements = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: { Ref: string }) => role.Ref.startsWith(rolePrefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, any>>);
  const grants: Record<string, string[]> = {};
  for (const s of statements) {
    for (const action of [s.Action].flat() as string[]) {
      if (!action.startsWith('s3:')) continue;
      const keys = action === 's3:ListBucket'
        ? (s.Condition.StringLike['s3:prefix'] as string[])
        : [s.Resource].flat().map((r: any) => (r['Fn::Join'] ? String(r['Fn::Join'][1][1]).replace(/^\//, '') : '(the bucket)'));
      grants[action] = [...(grants[action] ?? []), ...keys].sort();
    }
  }
  return grants;
}

describe('narrowed grants (what each role may do in the bucket)', () => {
  it('api-consumer writes only row outcomes (counts, marks and the breaker are run-table items now)', () => {
    expect(s3Grants('ApiChannelApiConsumerRole')).toEqual({ 's3:PutObject': ['runs/*/outcomes/*'] });
  });

  it('dlq-notifier writes only row outcomes (its marks are run-table items now)', () => {
    expect(s3Grants('DeadLettersDlqNotifierRole')).toEqual({ 's3:PutObject': ['runs/*/outcomes/*'] });
  });

  it('csv-batcher writes only user-import files, their pending manifests and row outcomes', () => {
    expect(s3Grants('CsvChannelBatcherRole')).toEqual({
      's3:PutObject': ['outbox/manifests/pending/*', 'outbox/users_*.csv', 'runs/*/outcomes/*'],
    });
  });

  it('splitter and run-ended have nothing in the bucket', () => {
    for (const role of ['SplitSplitterRole', 'RunEndedRole']) {
      expect(Object.entries(resources).filter(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith(role))).toHaveLength(1);
      expect(s3Grants(role)).toEqual({});
    }
  });

  it('csv-results-poller lists, reads and deletes pending manifests only, writes manifests and row outcomes', () => {
    expect(s3Grants('CsvChannelResultsPollerRole')).toEqual({
      's3:ListBucket': ['outbox/manifests/pending/*'],
      's3:GetObject': ['outbox/manifests/pending/*'],
      's3:PutObject': ['outbox/manifests/*', 'runs/*/outcomes/*'],
      's3:DeleteObject': ['outbox/manifests/pending/*'],
    });
  });

  it('the Transfer connector reads only user-import files', () => {
    expect(s3Grants('CsvChannelConnectorRole')).toEqual({
      's3:GetObject': ['outbox/users_*.csv'],
      's3:GetObjectVersion': ['outbox/users_*.csv'],
      's3:GetBucketLocation': ['(the bucket)'],
      's3:ListBucket': ['outbox/*'],
    });
  });
});

/** Whether `role` may take `action` on `key`, by the patterns it was granted. */
const mayTake = (role: string, action: string, key: string) => (s3Grants(role)[action] ?? []).some((pattern) => iamGlob(pattern).test(key));

describe('the run\'s two functions may touch every key their steps use (the adapters\' layout), and run-task no HR file', () => {
  const runId = 'Workday_export-0123456789ab';
  const at = '2026-11-29T16:05:09.042Z';
  /** What each function's steps read and write, by the adapters' own key functions. */
  const uses: Record<string, Array<[string, string]>> = {
    RunPlanRole: [
      ['s3:GetObjectVersion', 'incoming/workers.csv'],
      ['s3:GetObjectVersion', 'plan/workers.csv'],
      ['s3:PutObject', planKey(runId)],
      ['s3:GetObject', planKey(runId)],
      ['s3:PutObject', approvedKey(runId)],
      ['s3:PutObject', `${outcomesPrefix(runId)}${at}-1a2b3c4d.json`],
      ['s3:GetObject', SNAPSHOT_KEY],
      ['s3:PutObject', SNAPSHOT_KEY],
      ['s3:GetObject', ACCEPTED_ROSTER_KEY],
      ['s3:PutObject', readCheckpointKey(runId)],
      ['s3:DeleteObject', readCheckpointKey(runId)],
      ['s3:PutObject', referenceListKey('departments')],
      ['s3:PutObject', `${MONITORING_STATE_PREFIX}runs/${runId}.json`],
    ],
    RunTaskRole: [
      ['s3:GetObject', planKey(runId)],
      ['s3:GetObject', approvedKey(runId)],
      ['s3:GetObject', `${outcomesPrefix(runId)}${at}-1a2b3c4d.json`],
      ['s3:PutObject', `${outcomesPrefix(runId)}${at}-1a2b3c4d.json`],
      ...(['json', 'csv', 'html'] as const).map((f): [string, string] => ['s3:PutObject', reportKey(runId, f)]),
      // Report keeps the roster a complete full run applied (the next run's roster.maxRosterShrink baseline).
      ['s3:PutObject', ACCEPTED_ROSTER_KEY],
      ['s3:GetObject', `${MONITORING_STATE_PREFIX}runs/${runId}.json`],
      ['s3:PutObject', `${MONITORING_STATE_PREFIX}open-errors.json`],
    ],
  };

  for (const [role, keys] of Object.entries(uses)) {
    it(`${role.replace(/Role$/, '')}: ${keys.length} keys`, () => {
      for (const [action, key] of keys) expect({ action, key, allowed: mayTake(role, action, key) }).toEqual({ action, key, allowed: true });
    });
  }

  it('run-task may neither read an HR file nor write the snapshot, read checkpoints or reference lists', () => {
    for (const [action, key] of [
      ['s3:GetObject', 'incoming/workers.csv'],
      ['s3:GetObjectVersion', 'incoming/workers.csv'],
      ['s3:PutObject', SNAPSHOT_KEY],
      ['s3:PutObject', readCheckpointKey(runId)],
      ['s3:PutObject', referenceListKey('departments')],
    ]) {
      expect({ action, key, allowed: mayTake('RunTaskRole', action, key) }).toEqual({ action, key, allowed: false });
    }
  });
});

describe('the patterns follow the adapters\' key layout', () => {
  const at = new Date('2026-11-29T16:05:09.042Z');

  it('row outcomes of any run match KEY_PATTERN.outcomes; plans, approved changes, reports and the snapshot do not', () => {
    // Prepare
    const outcomes = iamGlob(KEY_PATTERN.outcomes);
    const runId = 'Workday_export-0123456789ab';
    // Assess
    expect(outcomes.test(`${outcomesPrefix(runId)}2026-11-29T16:05:09.042Z-1a2b3c4d.json`)).toBe(true);
    for (const key of [planKey(runId), approvedKey(runId), reportKey(runId, 'html'), 'state/coupa-users.ndjson']) {
      expect({ key, matches: outcomes.test(key) }).toEqual({ key, matches: false });
    }
  });

  it('every user-import file name matches KEY_PATTERN.importFiles, and manifests do not', () => {
    // Prepare
    const files = iamGlob(KEY_PATTERN.importFiles);
    // Assess
    expect(files.test(`${OUTBOX_PREFIX}${importFileName(at, 'a1b2c3', 7)}`)).toBe(true);
    expect(files.test(`${MANIFEST_PREFIX}pending/${importFileName(at, 'a1b2c3', 7)}.json`)).toBe(false);
    expect(PREFIX.pendingManifests).toBe(`${MANIFEST_PREFIX}pending/`);
  });
});
