/**
 * Step Functions in-process, for the AWS-path tests: the run state machine's definition exactly as
 * `cdk synth` wrote it (test/support/run-machine-definition.ts), run by aws-local-stepfunctions with
 * every Task state calling, in-process, the real handler of the Lambda its definition names (its
 * Resource, or Parameters.FunctionName for an integration pattern: run-plan or run-task). Behind an SFNClient mock it answers
 * what the handlers and the CLI ask: StartExecution (a name runs once: ExecutionAlreadyExists),
 * SendTaskSuccess / SendTaskFailure (the approval's task token), and, like the EventBridge rule, hands
 * each execution that FAILED, TIMED_OUT or was ABORTED to the run-ended handler.
 *
 * Where the interpreter lacks a feature the definition uses, that state is overridden here, and said so:
 * - `.waitForTaskToken` (WaitForApproval): the interpreter only invokes. Its override invokes the
 *   named handler with the state's Payload, then waits for SendTaskSuccess/SendTaskFailure on the
 *   token (its TimeoutSeconds still applies: the interpreter enforces it).
 * - `$$.Task.Token`: the interpreter's context has no task token; each execution gets a context
 *   object whose Task.Token is unique to it (one WaitForApproval per execution).
 * Wait states and retry intervals are shortened (waitMs); nothing else is changed.
 */
import './node22-shims';
import { ExecutionAbortedError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import {
  ExecutionAlreadyExists,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskDoesNotExist,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { AwsStub } from 'aws-sdk-client-mock';

type Handler = (payload: unknown) => Promise<unknown>;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface LocalExecution {
  name: string;
  input: unknown;
  status: ExecutionStatus;
  /** Settles when the execution ends (never rejects). */
  ended: Promise<void>;
  error?: { name: string; message: string };
  /** Task states entered, in order (the console's view of the run). */
  states: string[];
  /** States entered, of every type, and retried attempts: what Step Functions bills as state transitions. */
  transitions: number;
  abort(): void;
}

export interface LocalRunMachineOptions {
  /**
   * The Lambdas' handlers by the ARN the definition names them (testFunctionArn('run-plan'), …): a
   * Task state invokes the one it names (Resource, or Parameters.FunctionName) with its processed input.
   */
  functions: Record<string, Handler>;
  /** The EventBridge rule's target for dead executions. */
  runEnded?: (event: unknown) => Promise<unknown>;
  /** How long Wait states wait, in ms (default 5). */
  waitMs?: number;
}

interface TaskState {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName?: string };
  Retry?: unknown[];
}

export class LocalRunMachine {
  readonly executions = new Map<string, LocalExecution>();
  private closing = false;
  private readonly tokens = new Map<string, { resolve: (output: unknown) => void; reject: (err: Error) => void }>();

  constructor(
    private readonly definition: StateMachineDefinition,
    private readonly options: LocalRunMachineOptions,
  ) {}

  /** Answers the SFN client's StartExecution, SendTaskSuccess and SendTaskFailure. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  attach(sfnMock: AwsStub<any, any, SFNClient['config']>): this {
    sfnMock.on(StartExecutionCommand).callsFake(async (input: { name: string; input: string }) => {
      this.start(input.name, JSON.parse(input.input));
      return { executionArn: `arn:aws:states:eu-west-1:123456789012:execution:runs:${input.name}`, startDate: new Date() };
    });
    sfnMock.on(SendTaskSuccessCommand).callsFake(async (input: { taskToken: string; output: string }) => {
      this.answer(input.taskToken).resolve(JSON.parse(input.output));
      return {};
    });
    sfnMock.on(SendTaskFailureCommand).callsFake(async (input: { taskToken: string; error?: string; cause?: string }) => {
      const err = new Error(input.cause ?? '');
      err.name = input.error ?? 'States.TaskFailed';
      this.answer(input.taskToken).reject(err);
      return {};
    });
    return this;
  }

  private answer(token: string): { resolve: (output: unknown) => void; reject: (err: Error) => void } {
    const waiting = this.tokens.get(token);
    if (!waiting) throw new TaskDoesNotExist({ message: 'Task does not exist anymore', $metadata: {} });
    this.tokens.delete(token);
    return waiting;
  }

  /** Starts an execution (as StartExecution does): a name already used is ExecutionAlreadyExists. */
  start(name: string, input: unknown): LocalExecution {
    if (this.executions.has(name)) throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${name}'`, $metadata: {} });
    const machine = new StateMachine(this.definition, { validationOptions: { checkArn: false, checkPaths: false } });
    const execution: LocalExecution = { name, input, status: 'RUNNING', ended: Promise.resolve(), states: [], transitions: 0, abort: () => undefined };
    const token = `token-${name}`;
    const run = machine.run(input as Parameters<StateMachine['run']>[0], {
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers(execution),
        waitTimeOverrides: this.stateNames('Wait', () => this.options.waitMs ?? 5),
        retryIntervalOverrides: this.retriedStates(),
      },
      context: {
        Execution: { Id: `arn:aws:states:eu-west-1:123456789012:execution:runs:${name}`, Name: name, Input: input, StartTime: new Date().toISOString() },
        Task: { Token: token },
      },
    } as Parameters<StateMachine['run']>[1]);
    execution.abort = () => run.abort();
    // The interpreter queues every event until read: read them as they come (and count the billed ones).
    void (async () => {
      for await (const event of run.eventLogs) if (event.type === 'StateEntered' || event.type === 'StateRetried') execution.transitions += 1;
    })();
    execution.ended = run.result.then(
      () => {
        execution.status = 'SUCCEEDED';
      },
      async (err: Error & { cause?: Error }) => {
        const cause = err.cause ?? err;
        execution.error = { name: cause.name, message: cause.message };
        execution.status = err instanceof ExecutionAbortedError || cause.name === 'ExecutionAbortedError' ? 'ABORTED' : cause.name === 'States.Timeout' ? 'TIMED_OUT' : 'FAILED';
        this.tokens.delete(token);
        if (this.closing) return;
        await this.options.runEnded?.({
          source: 'aws.states',
          'detail-type': 'Step Functions Execution Status Change',
          detail: { name, status: execution.status, input: JSON.stringify(input), error: cause.name, cause: cause.message },
        });
      },
    );
    this.executions.set(name, execution);
    return execution;
  }

  /** Stops every running execution without telling run-ended (a test's stack is torn down). */
  async shutdown(): Promise<void> {
    this.closing = true;
    for (const execution of this.executions.values()) if (execution.status === 'RUNNING') execution.abort();
    await Promise.all([...this.executions.values()].map((e) => e.ended));
  }

  /** Every execution started so far has ended (those started meanwhile too). */
  async settle(): Promise<void> {
    for (;;) {
      const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
      if (running.length === 0) return;
      await Promise.all(running.map((e) => e.ended));
    }
  }

  private taskHandlers(execution: LocalExecution): Record<string, Handler> {
    const handlers: Record<string, Handler> = {};
    for (const [name, state] of Object.entries(this.definition.States) as Array<[string, TaskState]>) {
      if (state.Type !== 'Task') continue;
      const waitsForToken = state.Resource?.endsWith('.waitForTaskToken');
      const arn = waitsForToken ? state.Parameters?.FunctionName : state.Resource;
      const invoke = this.options.functions[arn ?? ''];
      if (!invoke) throw new Error(`Task state ${name} invokes ${arn ?? '(no function)'}, which this machine was not given`);
      handlers[name] = async (input) => {
        execution.states.push(name);
        if (!waitsForToken) return invoke(input);
        // The interpreter lacks .waitForTaskToken: invoke, then wait for the token to come back.
        const { Payload } = input as { Payload: { token: string } };
        const answered = new Promise<unknown>((resolve, reject) => this.tokens.set(Payload.token, { resolve, reject }));
        await invoke(Payload);
        return answered;
      };
    }
    return handlers;
  }

  private stateNames(type: string, value: () => number): Record<string, number> {
    return Object.fromEntries(
      (Object.entries(this.definition.States) as Array<[string, TaskState]>).filter(([, s]) => s.Type === type).map(([name]) => [name, value()]),
    );
  }

  private retriedStates(): Record<string, number> {
    return Object.fromEntries(
      (Object.entries(this.definition.States) as Array<[string, TaskState]>).filter(([, s]) => Array.isArray(s.Retry)).map(([name]) => [name, 0]),
    );
  }
}
