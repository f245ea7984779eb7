/**
 * Runs an ASL definition in-process on aws-local-stepfunctions with each Task bound to a Lambda
 * handler, behaving like Lambda + Step Functions where code could tell the difference: JSON
 * payloads, the 256 KB payload quota, Lambda's error shape and timeout, Task timeouts, and
 * Retry/Catch matching (States.ALL, States.TaskFailed, named errors).
 */
import { randomUUID } from 'node:crypto';
import {
  bindTaskResources,
  definitionName,
  errorMatchersOf,
  forEachState,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  LocalDefinitionError,
  loadDefinition,
  PAYLOAD_LIMIT_BYTES,
  prepareForRun,
  problemsOf,
  type StateDefinition,
} from './definition.js';
import { extractDistributedMaps } from './distributed-map.js';
import { byteSize, LocalRun } from './execution.js';
import { jsonRoundTrip, type LambdaHandler } from './lambda.js';

export {
  LocalDefinitionError,
  localFunctionArn,
  PAYLOAD_LIMIT_BYTES,
  readFunctionTimeouts,
  validateDefinition,
} from './definition.js';
export { HISTORY_EVENT_QUOTA, HistoryQuotaError } from './history.js';
export type { LambdaHandler, LocalLambdaContext } from './lambda.js';

export interface TaskEvent {
  type: 'TaskStarted' | 'TaskSucceeded' | 'TaskFailed';
  stateName: string;
  /** The function key the Task is bound to ('plan', 'extract', ...). */
  functionName: string;
  input: unknown;
  output?: unknown;
  error?: { name: string; cause: string };
  /** 1 for the first invocation of a state with a given input, 2 for its first retry, ... */
  attempt: number;
  ms?: number;
}

export interface RunOptions {
  /** A parsed ASL object, or a path to a .yml/.yaml/.json file. */
  definition: object | string;
  /** Lambda handlers by function key: 'plan', 'extract', ... */
  handlers: Record<string, LambdaHandler>;
  /** Lambda timeout in seconds per function key (default 900). */
  functionTimeouts?: Record<string, number>;
  input: unknown;
  /** Multiplies Retry IntervalSeconds and MaxDelaySeconds: 1 waits as AWS does, 0.01 for tests. */
  retryIntervalScale?: number;
  /** Called for every Task attempt; it must not throw (a throw is re-raised after the run). */
  onTaskEvent?: (event: TaskEvent) => void;
  executionName?: string;
  /** Aborting it stops the execution (status ABORTED), like StopExecution. */
  signal?: AbortSignal;
}

export interface RunResult {
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  output?: unknown;
  error?: string;
  cause?: string;
  executionArn: string;
  startedAt: Date;
  stoppedAt: Date;
  /** Events AWS would record in this execution's history (see src/local/history.ts). */
  historyEvents: number;
  /** The largest history among the Distributed Map child executions (0 without any). */
  maxChildHistoryEvents: number;
  /** Distributed Map child executions run. */
  childExecutions: number;
  /** Lambda invocations by function key, retries included, children included. */
  invocations: Record<string, number>;
}

const MAX_LAMBDA_TIMEOUT_SECONDS = 900;
const EXECUTION_NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

/** Execution names are 1-80 characters without whitespace, control characters or delimiters. */
function isValidExecutionName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || EXECUTION_NAME_FORBIDDEN.test(name)) return false;
  for (const char of name) {
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
  }
  return true;
}

/** aws-local-stepfunctions 3.x calls Promise.withResolvers, which Node 20 lacks. */
export function ensurePromiseWithResolvers(): void {
  const promise = Promise as unknown as { withResolvers?: unknown };
  if (typeof promise.withResolvers === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const created = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise: created, resolve, reject };
    },
  });
}

function checkOptions(options: RunOptions): void {
  const problems: string[] = [];
  if (typeof options.handlers !== 'object' || options.handlers === null) {
    problems.push('handlers must be an object of Lambda handlers by function key');
  } else {
    for (const [key, handler] of Object.entries(options.handlers)) {
      if (typeof handler !== 'function')
        problems.push(`handlers.${key} is ${typeof handler}, not a function`);
    }
  }
  for (const [key, seconds] of Object.entries(options.functionTimeouts ?? {})) {
    if (
      typeof seconds !== 'number' ||
      !Number.isFinite(seconds) ||
      seconds <= 0 ||
      seconds > MAX_LAMBDA_TIMEOUT_SECONDS
    ) {
      problems.push(
        `functionTimeouts.${key} is ${String(seconds)}; use seconds above 0 and at most 900 (Lambda's limit)`,
      );
    }
  }
  const scale = options.retryIntervalScale;
  if (scale !== undefined && (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0)) {
    problems.push(`retryIntervalScale is ${String(scale)}; use a number >= 0 (1 waits as AWS does)`);
  }
  if (options.executionName !== undefined && !isValidExecutionName(options.executionName)) {
    problems.push(
      `executionName "${options.executionName}" is not a valid execution name (1-80 characters, no whitespace, brackets, wildcards or any of " # % \\ ^ | ~ \` $ & , ; : /)`,
    );
  }
  if (problems.length > 0)
    throw new TypeError(`Invalid runLocalStateMachine options:\n  - ${problems.join('\n  - ')}`);
}

/** The input as StartExecution would hold it (JSON), with a clear error where it cannot be serialised. */
function executionInput(value: unknown): unknown {
  try {
    return jsonRoundTrip(value === undefined ? {} : value);
  } catch (error) {
    if (error instanceof RangeError)
      throw new RangeError(
        'The execution input is nested too deeply to be serialised as JSON (StartExecution would reject it)',
        { cause: error },
      );
    throw error;
  }
}

/**
 * Runs the definition to completion. Rejects before starting when the definition is invalid,
 * names an unknown function key, or the input is not JSON under 256 KB; otherwise resolves
 * with the execution's status, output or error and cause, as DescribeExecution reports them.
 */
export async function runLocalStateMachine(options: RunOptions): Promise<RunResult> {
  ensurePromiseWithResolvers();
  checkOptions(options);

  const source = typeof options.definition === 'string' ? options.definition : 'the definition object';
  const machine = loadDefinition(options.definition);
  const { bindings, problems: bindingProblems } = bindTaskResources(machine);
  const problems = [...bindingProblems, ...problemsOf(machine)];
  if (problems.length > 0)
    throw new LocalDefinitionError(`Invalid state machine definition (${source}):`, problems);
  const unknown = [...bindings].filter(([, key]) => !Object.hasOwn(options.handlers, key));
  if (unknown.length > 0) {
    throw new LocalDefinitionError(
      `The definition (${source}) names functions that have no handler (handlers given: ${Object.keys(options.handlers).join(', ') || 'none'}):`,
      unknown.map(([state, key]) => `State "${state}" uses function "${key}"`),
    );
  }

  const input = executionInput(options.input);
  const inputBytes = byteSize(input);
  if (inputBytes > PAYLOAD_LIMIT_BYTES) {
    throw new RangeError(
      `The execution input is ${inputBytes} bytes; Step Functions accepts at most ${PAYLOAD_LIMIT_BYTES} (StartExecution would reject it)`,
    );
  }

  const matchers = new Map<string, ReturnType<typeof errorMatchersOf>>();
  forEachState(machine, (name, state: StateDefinition) => {
    matchers.set(name, errorMatchersOf(state));
  });
  prepareForRun(machine, options.retryIntervalScale ?? 1);
  const distributedMaps = extractDistributedMaps(machine);

  const machineName = definitionName(options.definition);
  const executionName = options.executionName ?? randomUUID();
  const run = new LocalRun({
    handlers: options.handlers,
    functionTimeouts: options.functionTimeouts ?? {},
    bindings,
    matchers,
    onTaskEvent: options.onTaskEvent,
    stateMachineName: machineName,
    machineTimeoutSeconds: machine.TimeoutSeconds,
  });
  const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machineName}:${executionName}`;
  const onAbort = () => run.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) run.abort();
  let outcome: Awaited<ReturnType<LocalRun['execute']>>;
  try {
    outcome = await run.execute(
      {
        machine,
        distributedMaps,
        executionName,
        executionArn,
        stateMachineArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${machineName}`,
        stateMachineName: machineName,
        describe: `parent execution '${executionName}'`,
        child: false,
      },
      input,
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (run.fatal) throw run.fatal;
  if (run.listenerFailure !== undefined) throw run.listenerFailure;
  const { historyEvents, ...execution } = outcome;
  return {
    ...execution,
    executionArn,
    historyEvents,
    maxChildHistoryEvents: Math.max(0, ...run.childHistoryEvents),
    childExecutions: run.childHistoryEvents.length,
    invocations: { ...run.invocations },
  };
}
