/**
 * EventBridge ("Step Functions Execution Status Change"): an execution of the run state machine
 * FAILED, TIMED_OUT or was ABORTED. The run's turn is given back (conditional on holding it) and one
 * alert goes out, unless the run's failure path alerted already (lambdas/core/runs/endings.ts).
 */
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { runEnded } from './core/runs/endings';
import { systemClock } from './core/ports';
import type { RunStart } from './core/runs/contract';
import { runLine, runRecords } from './adapters/aws/wiring/dynamo';
import { observed } from './adapters/aws/wiring/metrics';
import { logger } from './adapters/aws/wiring/runtime';
import { notifier } from './adapters/aws/wiring/sns';

/** What the event's detail carries (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html). */
export interface ExecutionStatusChange {
  name: string;
  status: string;
  input?: string | null;
  cause?: string | null;
  error?: string | null;
}

/** The run an execution is of: its input's run id (a report-again execution has its own name), else its name. */
export function endedRunOf(detail: ExecutionStatusChange): { runId: string; file?: string } {
  try {
    const input = JSON.parse(detail.input ?? '') as Partial<RunStart>;
    if (input.run?.runId) return { runId: input.run.runId, file: input.run.file };
  } catch {
    // no readable input: the execution's name is the run id
  }
  return { runId: detail.name };
}

export const handler = middy<EventBridgeEvent<'Step Functions Execution Status Change', ExecutionStatusChange>, unknown>()
  .use(observed())
  .handler(async (event) => {
    const { detail } = event;
    const run = endedRunOf(detail);
    logger.appendKeys({ runId: run.runId });
    return runEnded(
      { ...run, status: detail.status, ...(detail.error || detail.cause ? { cause: [detail.error, detail.cause].filter(Boolean).join(': ') } : {}) },
      {
        records: await runRecords(),
        line: await runLine(),
        notifier: await notifier(),
        clock: systemClock,
        log: (message, data) => logger.warn(message, data ?? {}),
      },
    );
  });
