/**
 * Issue 17: what reporting into Coupa's integration monitoring costs. Two runs of a roster through
 * the local pipeline with coupa.monitoring.enabled, on the emulator over real HTTP, sharing the
 * users' transport: the first with FAILED rows Coupa refuses (e-mails other users hold; pre-flight off, or it would reject them first), the
 * second fixing them. Monitoring requests (/api/integration*) are counted apart from the users'
 * and held to the bound the issue sets: a few per run, plus one per failed row and one per
 * resolved error.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../emulator/server';
import { CoupaHttp, createIntegrationMonitoring, createUserDirectory } from '../lambdas/adapters/coupa';
import { ConsoleNotifier } from '../lambdas/adapters/local/console-notifier';
import { runLocalPipeline } from '../lambdas/adapters/local/local-pipeline';
import { parseConfig } from '../lambdas/core/config';

/** Requests one run may spend besides its errors: find + create the integration (first run only), create, run, update, end (+ run). */
const FIXED_PER_RUN = 7;

export interface MonitoringRunFigures {
  name: string;
  userRequests: number;
  monitoringRequests: number;
  raised: number;
  resolved: number;
  withinBound: boolean;
}

export async function benchMonitoring(users = 2_000, failed = 20): Promise<MonitoringRunFigures[]> {
  const dir = await mkdtemp(join(tmpdir(), 'coupa-sync-bench-monitoring-'));
  const seed = Array.from({ length: users }, (_, i) => ({ login: `emp${i}`, email: `emp${i}@example.com`, firstname: 'Emp', lastname: `Number ${i}`, active: true }));
  const emulator = await startEmulator({ seed });
  try {
    // Pre-flight off: it would reject the clashing e-mails before they reach Coupa (issue 16), and this
    // measures what Coupa's refusals cost in monitoring requests (a refusal pre-flight cannot foresee).
    const config = parseConfig({ coupa: { format: 'json', ratePerSecond: 25, burst: 20, monitoring: { enabled: true } }, preflight: { enabled: false } });
    const options = { baseUrl: emulator.url, config: { ...config.coupa, ratePerSecond: 25 }, credentials: emulator.credentials };
    const http = new CoupaHttp(options);
    const target = { config, directory: createUserDirectory(options, http), monitoring: createIntegrationMonitoring(options, http), instance: emulator.url, stateDir: join(dir, 'state'), notifier: new ConsoleNotifier(() => {}) };
    const roster = (clash: boolean) =>
      ['login,email,firstname,lastname', ...seed.map((u, i) => `${u.login},${clash && i < failed ? `emp${users - 1 - i}@example.com` : i < failed ? `new${i}@example.com` : u.email},Emp,${u.lastname}`)].join('\n');
    const figures: MonitoringRunFigures[] = [];
    for (const [name, clash] of [['failing', true], ['fixing', false]] as const) {
      const file = join(dir, `${name}.csv`);
      await writeFile(file, roster(clash));
      emulator.resetLog();
      const { report } = await runLocalPipeline({ ...target, file });
      const api = emulator.requests.filter((r) => r.path.startsWith('/api/'));
      const monitoringRequests = api.filter((r) => r.path.startsWith('/api/integration')).length;
      const raised = report.coupaMonitoring?.raised ?? 0;
      const resolved = report.coupaMonitoring?.resolved ?? 0;
      figures.push({ name, userRequests: api.length - monitoringRequests, monitoringRequests, raised, resolved, withinBound: monitoringRequests <= FIXED_PER_RUN + raised + resolved });
    }
    return figures;
  } finally {
    await emulator.close();
  }
}

export function formatMonitoringFigures(figures: MonitoringRunFigures[]): string {
  return figures
    .map((f) => `  ${f.name} run: ${f.userRequests} users requests, ${f.monitoringRequests} monitoring requests (${f.raised} errors raised, ${f.resolved} resolved); ` +
      `bound ${FIXED_PER_RUN} + raised + resolved: ${f.withinBound ? 'met' : 'NOT met'}`)
    .join('\n');
}
