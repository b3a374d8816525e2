/**
 * Starting a run's state machine execution, named by its run id: Step Functions starts a name once
 * (for 90 days), so a storage event delivered twice, or hours late, starts nothing the second time.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { RunStart } from '../../core/runs/contract';
import { sfnSdk } from './sdk';

export type StartOutcome = 'started' | 'duplicate';

export async function startRunExecution(sfn: SFNClient, stateMachineArn: string, name: string, input: RunStart): Promise<StartOutcome> {
  const { StartExecutionCommand } = await sfnSdk();
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return 'started';
  } catch (err) {
    if ((err as Error).name === 'ExecutionAlreadyExists') return 'duplicate';
    throw err;
  }
}
