/**
 * Issue 9: a config too large for one environment variable. Lambda allows 4 KB of environment per
 * function, and an HR mapping with value maps is easily larger, so the stack inlines the config into
 * each bundle instead (esbuild define). Real synthesis with the Lambdas bundled.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lambdas/core/config';
import { bundledSources, inlinedConfig, infraTestConfig, synthStack, type FunctionResource, type SynthResult } from './synth';

/** Lambda's limit on a function's environment: the keys and values together. */
const LAMBDA_ENV_LIMIT = 4 * 1024;
/** A resolved Ref or GetAtt (a queue URL, an ARN) is taken as this long: real ones are about 100-150 characters. */
const RESOLVED_TOKEN_BYTES = 256;

/** An hr section of about 20 KB: a department map of 600 entries, as a large organisation's export needs. */
function largeHrSection(): Record<string, unknown> {
  const map = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`Abteilung ${String(i).padStart(4, '0')}`, `Department ${i}`]));
  return { unknownColumns: 'ignore', fields: { login: { from: 'Work_Email' }, email: { from: 'Work_Email' }, department: { from: 'Cost_Center', map } } };
}

let synth: SynthResult;
let functions: Array<[string, FunctionResource]>;

beforeAll(() => {
  // Prepare / Act: bundle once with the large config.
  synth = synthStack(infraTestConfig({ hr: largeHrSection() }), { bundle: true });
  const resources = synth.template.toJSON().Resources as Record<string, FunctionResource & { Type: string }>;
  functions = Object.entries(resources).filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && !id.startsWith('BucketNotificationsHandler'));
}, 180_000);

describe('a config larger than Lambda\'s 4 KB environment', () => {
  it('is about 20 KB as JSON (the case that failed to deploy)', () => {
    // Assess
    expect(JSON.stringify(synth.config.hr).length).toBeGreaterThan(20 * 1024);
  });

  it('synthesizes without errors', () => {
    // Assess
    expect(Annotations.fromStack(synth.stack).findError('*', Match.anyValue())).toEqual([]);
    expect(functions).toHaveLength(8);
  });

  it('leaves every function\'s environment under 4 KB, with no config in it', () => {
    // Assess
    for (const [id, fn] of functions) {
      const variables: Record<string, unknown> = fn.Properties.Environment.Variables;
      const bytes = Object.entries(variables).reduce(
        (sum, [name, value]) => sum + name.length + (typeof value === 'string' ? Buffer.byteLength(value) : RESOLVED_TOKEN_BYTES),
        0,
      );
      expect({ id, bytes: bytes < LAMBDA_ENV_LIMIT }).toEqual({ id, bytes: true });
      expect(Object.keys(variables)).not.toContain('COUPA_SYNC_CONFIG');
    }
  });

  it('is inlined into every bundle, and each handler\'s loader reads back exactly the synthesized config', () => {
    // Act: every Lambda's bundle carries the config its wiring reads
    const read = functions.map(([, fn]) => inlinedConfig(synth.app.outdir, fn));
    expect(read).toHaveLength(functions.length);
    // Assess
    for (const config of read) expect(config).toEqual(synth.config);
    expect(read[0].hr.fields?.department?.map?.['Abteilung 0599']).toBe('Department 599');
    // The bundles trust the text as it is: it is already what the schema gives (parsing it again changes nothing).
    expect(parseConfig(JSON.parse(JSON.stringify(read[0])))).toEqual(synth.config);
  });
});

describe('the config in a deployed bundle (issue 15: every bundle under 300 KB)', () => {
  /** Code of the parser: zod itself, or our schema modules (which alone import it). */
  const PARSER_SOURCE = /node_modules\/zod\/|lambdas\/core\/config-schema\.ts$|lambdas\/core\/hr\/hr-schema\.ts$/;

  it('is read without the parser: no function\'s bundle holds zod or the config schema (it was validated at synth)', () => {
    // Act: the files each bundle's source map says its code came from
    const sources = functions.map(([id, fn]) => ({ id, files: bundledSources(synth.app.outdir, fn) }));
    // Assess: the map names the bundle's own code (so the check sees what is in it) and nothing of the parser
    for (const { id, files } of sources) {
      expect({ id, readsConfig: files.some((f) => f.endsWith('lambdas/core/config.ts')) }).toEqual({ id, readsConfig: true });
      expect({ id, parser: files.filter((f) => PARSER_SOURCE.test(f)) }).toEqual({ id, parser: [] });
    }
  });
});
