/**
 * RunStarter on Step Functions: a report-again execution of the run's state machine (StartExecution
 * on STATE_MACHINE_ARN, input a RunStart with mode "report-again"). Named `<runId>-again-<time to
 * the second>`: two consumers settling changes of one run in the same second start one execution
 * (ExecutionAlreadyExists, or the same name and input, which Step Functions answers with the
 * existing execution); a later settle starts another, which reads the newer outcomes.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { RunRecord, RunStarter } from '../../core/ports';
import type { RunStart } from '../../core/runs/contract';
import { startRunExecution } from './run-executions';

/** Step Functions' limit on an execution name. */
export const MAX_EXECUTION_NAME = 80;

/** `<runId>-again-<yyyymmddThhmmss>`, the run id shortened so the whole stays within MAX_EXECUTION_NAME. */
export function reportAgainName(runId: string, at: Date): string {
  const suffix = `-again-${at.toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
  return `${runId.slice(0, MAX_EXECUTION_NAME - suffix.length)}${suffix}`;
}

export class SfnRunStarter implements RunStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reportAgain(record: Pick<RunRecord, 'run' | 'version' | 'channel' | 'dryRun' | 'arrivedAt' | 'bucket'>): Promise<boolean> {
    const start: RunStart = {
      run: record.run,
      ...(record.version ? { version: record.version } : {}),
      channel: record.channel,
      dryRun: record.dryRun,
      arrivedAt: record.arrivedAt,
      bucket: record.bucket,
      mode: 'report-again',
    };
    // The run's own starter: a name started already (ExecutionAlreadyExists) is no error.
    return (await startRunExecution(this.client, this.stateMachineArn, reportAgainName(record.run.runId, this.now()), start)) === 'started';
  }
}
