/**
 * The run state machine's definition (Amazon States Language) exactly as `cdk synth` writes it, for
 * tests that run it in-process with aws-local-stepfunctions: not a hand-written copy that could
 * drift from lib/constructs/run-machine.ts.
 *
 * The stack is synthesized (test/infra/synth.ts, without bundling: the definition does not depend on
 * the Lambdas' code), the DefinitionString's Fn::Join is resolved, and every CloudFormation reference
 * in it gets a fixed value: a Lambda's ARN becomes `arn:aws:lambda:eu-west-1:123456789012:function:<handler>`
 * (`run-task`, …), the pseudo parameters those of that account and region. Cached per config: a
 * synthesis takes seconds.
 */
// The interpreter needs Promise.withResolvers (Node 22): whoever runs this definition gets it.
import './node22-shims';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { Stack } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import { SyncFunction } from '../../lib/constructs/sync-function';
import { infraTestConfig, synthStack } from '../infra/synth';

export const TEST_REGION = 'eu-west-1';
export const TEST_ACCOUNT = '123456789012';

/** The ARN the definition names a Lambda by, from its handler file name under lambdas/. */
export const testFunctionArn = (handler: string) => `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${handler}`;

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': TEST_REGION,
  'AWS::AccountId': TEST_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

export interface SynthesizedRunMachine {
  /** The ASL, parsed. */
  definition: StateMachineDefinition;
  /** The state machine's logical id in the template. */
  stateMachineLogicalId: string;
}

const cache = new Map<string, SynthesizedRunMachine>();

/**
 * The synthesized run state machine for this deployment config (as a JSON value, like the stack's
 * input; default: test/infra/synth.ts's infraTestConfig()).
 */
export function runMachineDefinition(config: unknown = infraTestConfig()): SynthesizedRunMachine {
  const key = JSON.stringify(config);
  const cached = cache.get(key);
  if (cached) return structuredClone(cached);
  const { stack, template } = synthStack(config, { bundle: false });

  const handlerByLogicalId = new Map<string, string>();
  for (const c of stack.node.findAll()) {
    if (c instanceof SyncFunction) {
      handlerByLogicalId.set(Stack.of(c).getLogicalId(c.fn.node.defaultChild as CfnElement), c.handler);
    }
  }
  const machines = Object.entries(template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>)
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine in the stack, found ${machines.length}`);
  const [logicalId, machine] = machines[0];
  const text = resolve(machine.Properties.DefinitionString, handlerByLogicalId);
  if (typeof text !== 'string') throw new Error('the DefinitionString did not resolve to a string');
  const result: SynthesizedRunMachine = { definition: JSON.parse(text) as StateMachineDefinition, stateMachineLogicalId: logicalId };
  cache.set(key, result);
  return structuredClone(result);
}

/** Resolves the CloudFormation intrinsics a definition holds (Fn::Join, Ref, Fn::GetAtt of a Lambda's Arn). */
function resolve(value: unknown, handlers: Map<string, string>): unknown {
  if (typeof value === 'string' || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => resolve(v, handlers));
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, arg] = entries[0];
    if (fn === 'Fn::Join') {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((p) => resolve(p, handlers)).join(separator);
    }
    if (fn === 'Ref') {
      const name = arg as string;
      if (name in PSEUDO) return PSEUDO[name];
      throw new Error(`the definition refers to ${name}, which this helper does not resolve`);
    }
    if (fn === 'Fn::GetAtt') {
      const [id, attribute] = arg as [string, string];
      const handler = handlers.get(id);
      if (handler && attribute === 'Arn') return testFunctionArn(handler);
      throw new Error(`the definition refers to ${id}.${attribute}, which this helper does not resolve`);
    }
  }
  throw new Error(`unexpected value in the definition: ${JSON.stringify(value).slice(0, 200)}`);
}
