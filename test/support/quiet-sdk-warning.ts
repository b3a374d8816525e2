/**
 * Vitest setup file: drops the AWS SDK's NodeVersionSupportWarning ("will require node >=22") that
 * every test loading an SDK client prints once on Node 20, and nothing else: every other warning
 * still reaches the output. The project runs on Node 20 (the Lambda runtime the stack pins) until
 * it moves; the warning says nothing a test can act on.
 */
const emitWarning = process.emitWarning.bind(process);

function isSdkNodeVersionWarning(warning: unknown, rest: unknown[]): boolean {
  const first = rest[0];
  const type = typeof first === 'string' ? first : (first as { type?: string } | undefined)?.type;
  const name = warning instanceof Error ? warning.name : undefined;
  return type === 'NodeVersionSupportWarning' || name === 'NodeVersionSupportWarning' || (typeof warning === 'string' && warning.startsWith('NodeVersionSupportWarning'));
}

process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (isSdkNodeVersionWarning(warning, rest)) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
