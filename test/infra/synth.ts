/** Builds the real stack for the infra tests, with the feature flags cdk.json gives the CLI. */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { deployedConfig, parseConfig, type SyncConfig } from '../../lambdas/core/config';
import { CoupaUserSyncStack } from '../../lib/coupa-user-sync-stack';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };

export interface SynthResult {
  app: App;
  stack: CoupaUserSyncStack;
  template: Template;
  config: SyncConfig;
}

/**
 * `bundle: false` skips esbuild (CDK's `aws:cdk:bundling-stacks` context): for tests that only read
 * resource properties, so the suite bundles the Lambdas once, not once per config.
 */
export function synthStack(input: unknown, options: { bundle: boolean }): SynthResult {
  const config = parseConfig(input);
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'cdk-test-')),
    context: { ...cdkJson.context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  const stack = new CoupaUserSyncStack(app, 'CoupaUserSyncStack', { stackName: config.stackName, config });
  return { app, stack, template: Template.fromStack(stack), config };
}

/** A deployment config that differs from every default, so assertions prove the value came from it. */
export function infraTestConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    stackName: 'CoupaUserSyncTest',
    coupa: { url: 'https://acme-test.coupahost.com', secretName: 'test/coupa-client' },
    api: { maxConcurrency: 3, batchSize: 8, maxReceiveCount: 7 },
    csv: {
      batchSize: 500,
      batchingWindowSeconds: 30,
      sftp: {
        url: 'sftp://sftp.acme-test.example.com',
        trustedHostKeys: ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7testkey'],
        secretName: 'test/coupa-sftp',
      },
    },
    notifications: { email: 'ops@example.com' },
    ...overrides,
  };
}

/** A Lambda resource of a synthesized template. */
export interface FunctionResource {
  Properties: Record<string, any>;
}

/** The folder of a function's bundle in the cloud assembly, named by the hash that is also the S3 key of its zip. */
function assetDirOf(outdir: string, fn: FunctionResource): string {
  const s3Key: unknown = fn.Properties.Code?.S3Key;
  const assetPath = typeof s3Key === 'string' ? `asset.${s3Key.replace(/\.zip$/, '')}` : undefined;
  if (!assetPath || !existsSync(join(outdir, assetPath, 'index.mjs'))) throw new Error('the function has no bundled asset (synthesize with bundle: true)');
  return assetPath;
}

/**
 * The files whose code a function's bundle holds, as its source map (SyncFunction bundles with
 * sourceMap: true) names them: `../../node_modules/zod/...`, `../../lambdas/...`, relative to the asset.
 */
export function bundledSources(outdir: string, fn: FunctionResource): string[] {
  const map = JSON.parse(readFileSync(join(outdir, assetDirOf(outdir, fn), 'index.mjs.map'), 'utf8')) as { sources?: unknown };
  if (!Array.isArray(map.sources)) throw new Error('the bundle\'s source map lists no sources');
  return map.sources.map(String);
}

/**
 * The config text the stack inlined into a function's bundle, found as the one string literal of the
 * minified code that is a config object, whatever quotes esbuild chose: the JavaScript is parsed.
 */
export function inlinedConfigText(outdir: string, fn: FunctionResource): string {
  const assetPath = assetDirOf(outdir, fn);
  const code = readFileSync(join(outdir, assetPath, 'index.mjs'), 'utf8');
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && node.text.startsWith('{"stackName":')) found.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('index.mjs', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS));
  const distinct = [...new Set(found)];
  if (distinct.length !== 1) throw new Error(`expected one inlined config in ${assetPath}, found ${distinct.length}`);
  return distinct[0];
}

/** The config a bundled function reads at run time: the inlined text, through the deployed functions' own loader (no parsing). */
export function inlinedConfig(outdir: string, fn: FunctionResource): SyncConfig {
  return deployedConfig({}, inlinedConfigText(outdir, fn));
}
