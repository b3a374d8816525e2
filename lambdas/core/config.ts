/**
 * One typed configuration for the CDK app, the Lambdas and the CLI: its types, and how a Lambda gets
 * it. The schema and its parser are in config-schema.ts (CDK synth, the CLI and tests validate with
 * parseConfig). A deployed Lambda never parses: the stack validated the config at synth and inlined
 * the result into each bundle (configFromEnv), which keeps the parser (zod) out of every bundle.
 */
import { parseConfig, type SyncConfig } from './config-schema';

export { parseConfig } from './config-schema';
export type { SyncConfig } from './config-schema';
export type { HrConfig } from './hr/hr-config';
export type CoupaConfig = SyncConfig['coupa'];
export type MonitoringConfig = CoupaConfig['monitoring'];

export const CONFIG_ENV = 'COUPA_SYNC_CONFIG';

/**
 * The global the stack defines in every Lambda bundle (esbuild `define`) as the config's JSON text.
 * Inlined, not an environment variable: Lambda allows 4 KB of environment per function, and an HR
 * mapping with value maps is easily larger. The config is fixed per deploy anyway (a change is a
 * new bundle, so a new deployment of every function).
 */
export const BUNDLED_CONFIG_GLOBAL = '__COUPA_SYNC_CONFIG__';
declare const __COUPA_SYNC_CONFIG__: string | undefined;

/**
 * The esbuild `define` that inlines a config into a bundle: the global as a JS string literal of the
 * config's JSON. A parsed config only (defaults applied, validated): the bundle trusts it as it is.
 * SyncFunction bundles every Lambda with it, and bench/bundles.ts measures with it.
 */
export function bundledConfigDefine(config: SyncConfig): Record<string, string> {
  return { [BUNDLED_CONFIG_GLOBAL]: JSON.stringify(JSON.stringify(config)) };
}

/**
 * The Lambdas' config.
 *
 * In a deployed bundle (the stack defined __COUPA_SYNC_CONFIG__): the inlined JSON as it is. It is
 * the config `cdk synth` parsed (defaults applied, every check passed; SyncFunction inlines the
 * parsed object), so parsing it again would only add the parser (zod) to every bundle and to every
 * cold start. COUPA_SYNC_CONFIG on a deployed function fails the invocation (deployedConfig).
 *
 * Outside a bundle (tests, handlers run in-process with tsx): COUPA_SYNC_CONFIG when set, else
 * `bundled` (a test's stand-in for the inlined text), else the defaults, each parsed and validated.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, bundled?: string): SyncConfig {
  // An if/else, not an early return: esbuild folds `typeof "<the inlined text>"` while it parses, and
  // drops a dead else branch together with what only it uses (parseConfig, the schema, zod); code
  // after a folded `return` would stay in the bundle. typeof also keeps an undefined global from
  // being a ReferenceError when the code runs unbundled.
  if (typeof __COUPA_SYNC_CONFIG__ === 'string') {
    return deployedConfig(env, __COUPA_SYNC_CONFIG__);
  } else {
    const raw = env[CONFIG_ENV] || bundled;
    return parseConfig(raw ? JSON.parse(raw) : {});
  }
}

/**
 * A deployed function's config: the text inlined at synth, trusted as validated there.
 *
 * COUPA_SYNC_CONFIG set on the function fails the invocation rather than override or be ignored.
 * Honouring it would need the parser in every bundle, and would skip what synth checked the config
 * against (the stack it built: e.g. `delivery: "csv"` on a stack without the CSV channel). Ignoring
 * it silently would let an operator believe a change (say `dryRun: true`) is in force when it is not.
 */
export function deployedConfig(env: NodeJS.ProcessEnv, inlined: string): SyncConfig {
  if (env[CONFIG_ENV]) {
    throw new Error(
      `${CONFIG_ENV} is set on this function, but a deployed function's config is fixed at synth: ` +
        `remove ${CONFIG_ENV}, change the config the CDK app is given (cdk deploy -c config=FILE) and deploy.`,
    );
  }
  return JSON.parse(inlined) as SyncConfig;
}
