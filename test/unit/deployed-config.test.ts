/**
 * A deployed Lambda's config: the one `cdk synth` validated and inlined into its bundle, read as it
 * is (no parser in the bundle), and never overridden by COUPA_SYNC_CONFIG on the function.
 * The bundle is built here as SyncFunction builds it (esbuild with bundledConfigDefine).
 */
import { describe, expect, it } from 'vitest';
import { build, type Metafile } from 'esbuild';
import { bundledConfigDefine, CONFIG_ENV, deployedConfig, parseConfig, type SyncConfig } from '../../lambdas/core/config';

const CONFIG_MODULE = new URL('../../lambdas/core/config.ts', import.meta.url).pathname;

/** configFromEnv bundled with the config inlined, as a module whose `read(env)` calls it. */
async function bundleLoader(config: SyncConfig): Promise<{ read: (env: NodeJS.ProcessEnv) => SyncConfig; metafile: Metafile }> {
  const result = await build({
    stdin: { contents: `import { configFromEnv } from ${JSON.stringify(CONFIG_MODULE)};\nexport const read = (env) => configFromEnv(env);`, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true, minify: true, platform: 'node', format: 'esm', write: false, metafile: true,
    define: bundledConfigDefine(config),
  });
  const module = await import(`data:text/javascript;base64,${Buffer.from(result.outputFiles[0].text).toString('base64')}`);
  return { read: module.read, metafile: result.metafile };
}

describe('configFromEnv in a bundle with the config inlined', () => {
  it('returns the inlined config as it is, and the bundle holds no parser (zod, the schemas)', async () => {
    // Prepare
    const config = parseConfig({ stackName: 'Deployed', dryRun: true, roster: { mode: 'full' } });
    // Act
    const { read, metafile } = await bundleLoader(config);
    // Assess
    expect(read({})).toEqual(config);
    const inputs = Object.keys(metafile.outputs[Object.keys(metafile.outputs)[0]].inputs);
    expect(inputs.some((f) => f.endsWith('lambdas/core/config.ts'))).toBe(true);
    expect(inputs.filter((f) => /node_modules\/zod\/|config-schema\.ts$|hr-schema\.ts$/.test(f))).toEqual([]);
  });

  it('fails the invocation, in one line saying what to do, when COUPA_SYNC_CONFIG is set on the function', async () => {
    // Prepare
    const { read } = await bundleLoader(parseConfig({ stackName: 'Deployed' }));
    // Act / Assess: an operator's override is refused, not ignored (the function would run with another config than they think)
    expect(() => read({ [CONFIG_ENV]: JSON.stringify({ dryRun: true }) })).toThrow(
      /^COUPA_SYNC_CONFIG is set on this function, but a deployed function's config is fixed at synth: remove COUPA_SYNC_CONFIG, change the config the CDK app is given \(cdk deploy -c config=FILE\) and deploy\.$/,
    );
  });
});

describe('deployedConfig', () => {
  it('trusts the inlined text: it is the config synth parsed, so nothing is defaulted or checked again', () => {
    // Act / Assess: a partial object comes back as it is (the stack only ever inlines a parsed config)
    expect(deployedConfig({}, '{"stackName":"AsIs"}')).toEqual({ stackName: 'AsIs' });
    expect(() => deployedConfig({ [CONFIG_ENV]: '{}' }, '{"stackName":"AsIs"}')).toThrow(/fixed at synth/);
  });
});
