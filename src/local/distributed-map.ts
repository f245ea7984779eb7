/**
 * Distributed Map states, run locally as AWS runs them: each item is a child execution of the
 * ItemProcessor with its own history, at most MaxConcurrency at a time, and the Map Run fails
 * with States.ExceedToleratedFailureThreshold once more children failed than tolerated.
 *
 * Sources: https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
 * (fields; "If you don't specify [MaxConcurrency], Step Functions runs 10,000 parallel child
 * workflow executions"), https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html
 * ("the percentage of failed items [is] the total number of failed or timed out items divided by
 * the total number of items ... The default percentage value is zero, which means that the
 * workflow fails if any one of its child workflow executions fails or times out"; "If you specify
 * both values, the workflow fails when it exceeds either value"; "Step Functions returns a
 * States.ExceedToleratedFailureThreshold error when the Map Run fails because the specified
 * threshold is exceeded").
 */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import {
  LOCAL_FUNCTION_PREFIX,
  MAX_TIMER_SECONDS,
  type MachineDefinition,
  type StateDefinition,
} from './definition.js';

export const EXCEED_TOLERATED_FAILURE_THRESHOLD = 'States.ExceedToleratedFailureThreshold';
/** Child executions a Map Run runs at once when MaxConcurrency is 0 or absent. */
export const DEFAULT_DISTRIBUTED_CONCURRENCY = 10_000;

export interface DistributedMapSpec {
  name: string;
  itemsPath: string;
  itemSelector: unknown;
  maxConcurrency: number;
  toleratedFailureCount?: number;
  toleratedFailurePercentage?: number;
  /** The Map Run's label: the child executions' state machine is `<machine>/<label>`. */
  label: string;
  /** The ItemProcessor as the child executions' definition, its own Distributed Maps extracted. */
  processor: MachineDefinition;
  nested: Map<string, DistributedMapSpec>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isDistributedMap(state: StateDefinition): boolean {
  const processor = state.ItemProcessor;
  return (
    state.Type === 'Map' &&
    isObject(processor) &&
    isObject(processor.ProcessorConfig) &&
    processor.ProcessorConfig.Mode === 'DISTRIBUTED'
  );
}

/** Fields of a Map state the local engine keeps when it runs a Distributed Map as a Task. */
const KEPT_FIELDS = [
  'Type',
  'Comment',
  'InputPath',
  'ResultSelector',
  'ResultPath',
  'OutputPath',
  'Retry',
  'Catch',
  'Next',
  'End',
];

function specOf(name: string, state: StateDefinition): DistributedMapSpec {
  const processor = state.ItemProcessor as Record<string, unknown>;
  const child: MachineDefinition = {
    StartAt: processor.StartAt,
    States: processor.States as MachineDefinition['States'],
  };
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  return {
    name,
    itemsPath: typeof state.ItemsPath === 'string' ? state.ItemsPath : '$',
    itemSelector: state.ItemSelector ?? state.Parameters,
    maxConcurrency: number(state.MaxConcurrency) || DEFAULT_DISTRIBUTED_CONCURRENCY,
    toleratedFailureCount: number(state.ToleratedFailureCount),
    toleratedFailurePercentage: number(state.ToleratedFailurePercentage),
    label: typeof state.Label === 'string' ? state.Label : name,
    processor: child,
    nested: extractDistributedMaps(child),
  };
}

/**
 * Replaces every Distributed Map state of the machine (in place; inline Map iterations and
 * Parallel branches included, a Distributed Map's own ItemProcessor excluded: its child
 * executions run it) by a Task the runner binds to the Map Run, and returns their specs by name.
 */
export function extractDistributedMaps(machine: MachineDefinition): Map<string, DistributedMapSpec> {
  const specs = new Map<string, DistributedMapSpec>();
  const visit = (states: unknown) => {
    if (!isObject(states)) return;
    for (const [name, state] of Object.entries(states)) {
      if (!isObject(state)) continue;
      if (isDistributedMap(state)) {
        specs.set(name, specOf(name, state));
        for (const key of Object.keys(state)) if (!KEPT_FIELDS.includes(key)) delete state[key];
        state.Type = 'Task';
        state.Resource = `arn:aws:lambda:us-east-1:000000000000:function:${LOCAL_FUNCTION_PREFIX}map-run`;
        state.TimeoutSeconds = MAX_TIMER_SECONDS;
        continue;
      }
      for (const key of ['ItemProcessor', 'Iterator']) if (isObject(state[key])) visit(state[key].States);
      if (Array.isArray(state.Branches))
        for (const branch of state.Branches) if (isObject(branch)) visit(branch.States);
    }
  };
  visit(machine.States);
  return specs;
}

/**
 * The children's inputs: ItemsPath applied to the state input (after InputPath), each item
 * through ItemSelector with $$.Map.Item in the context. Evaluated by the local engine itself, as
 * one inline Map of Pass iterations (paths, intrinsics and the context object as it has them;
 * the state input is read once, not once per item).
 */
export async function childInputs(
  spec: DistributedMapSpec,
  input: unknown,
  context: object,
): Promise<unknown[]> {
  const select: Record<string, unknown> = {
    Type: 'Map',
    ItemsPath: spec.itemsPath,
    ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } },
    End: true,
  };
  if (spec.itemSelector !== undefined) select.ItemSelector = spec.itemSelector;
  const machine = new StateMachine(
    { StartAt: 'Select', States: { Select: select } } as unknown as StateMachineDefinition,
    { validationOptions: { noValidate: true } },
  );
  return (await machine.run(input as never, { context: context as never }).result) as unknown[];
}

export interface ChildOutcome {
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  output?: unknown;
}

/** Whether `failed` of `total` children exceed the threshold the state sets (both default to 0 %). */
export function exceedsThreshold(spec: DistributedMapSpec, failed: number, total: number): boolean {
  const { toleratedFailureCount: count, toleratedFailurePercentage: percentage } = spec;
  if (count === undefined && percentage === undefined) return failed > 0;
  if (count !== undefined && failed > count) return true;
  return percentage !== undefined && total > 0 && (failed / total) * 100 > percentage;
}

export class MapRunFailure extends Error {
  constructor(spec: DistributedMapSpec, failed: number, total: number) {
    const tolerated = [
      spec.toleratedFailureCount !== undefined ? `ToleratedFailureCount ${spec.toleratedFailureCount}` : '',
      spec.toleratedFailurePercentage !== undefined
        ? `ToleratedFailurePercentage ${spec.toleratedFailurePercentage}`
        : '',
    ].filter(Boolean);
    super(
      `The Map Run of "${spec.name}" failed: ${failed} of ${total} child executions failed, more than tolerated (${tolerated.join(', ') || 'no failure tolerated'})`,
    );
    this.name = EXCEED_TOLERATED_FAILURE_THRESHOLD;
  }
}

/**
 * Runs the children of one Map Run, at most MaxConcurrency at a time, in item order. Resolves
 * with their outputs in item order (a tolerated failed child's place holds null: the local
 * runner has no ResultWriter); rejects with MapRunFailure once the threshold is exceeded (no
 * further child starts, running ones are aborted) or with whatever `runChild` throws.
 */
export async function runMapRun(
  spec: DistributedMapSpec,
  inputs: unknown[],
  runChild: (input: unknown, index: number, signal: AbortSignal) => Promise<ChildOutcome>,
): Promise<unknown[]> {
  const outputs: unknown[] = new Array(inputs.length).fill(null);
  const stop = new AbortController();
  let next = 0;
  let failed = 0;
  let failure: unknown;
  const worker = async () => {
    while (!stop.signal.aborted && next < inputs.length) {
      const index = next++;
      try {
        const outcome = await runChild(inputs[index], index, stop.signal);
        if (outcome.status === 'SUCCEEDED') outputs[index] = outcome.output ?? null;
        else if (!stop.signal.aborted && exceedsThreshold(spec, ++failed, inputs.length)) {
          failure ??= new MapRunFailure(spec, failed, inputs.length);
          stop.abort();
        }
      } catch (error) {
        failure ??= error;
        stop.abort();
      }
    }
  };
  const workers = Math.min(spec.maxConcurrency, inputs.length);
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== undefined) throw failure;
  return outputs;
}
