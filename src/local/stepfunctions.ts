/**
 * Runs an ASL definition in-process on aws-local-stepfunctions with each Task bound to a Lambda
 * handler, behaving like Lambda + Step Functions where code could tell the difference: JSON
 * payloads, the 256 KB payload quota, Lambda's error shape and timeout, Task timeouts, and
 * Retry/Catch matching (States.ALL, States.TaskFailed, named errors).
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
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
import { invokeLocalLambda, jsonRoundTrip, type LambdaHandler, LambdaInvocationFailure } from './lambda.js';

export {
  LocalDefinitionError,
  localFunctionArn,
  PAYLOAD_LIMIT_BYTES,
  readFunctionTimeouts,
  validateDefinition,
} from './definition.js';
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
}

const DEFAULT_LAMBDA_TIMEOUT_SECONDS = 900;
const MAX_LAMBDA_TIMEOUT_SECONDS = 900;
const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';
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

function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/**
 * An error Step Functions raises itself that only an ErrorEquals naming it explicitly matches
 * (States.ALL and States.TaskFailed do not): States.DataLimitExceeded.
 *
 * aws-local-stepfunctions asks `isRetryable` once per Retrier and `isCatchable` once per
 * Catcher, in order, before comparing names, and reads `cause` when a state starts handling the
 * error (for its StateFailed event). Answering per position for the failing Task's own Retry and
 * Catch gives AWS's matching there; a parent Map or Parallel state (a later `cause` read) never
 * matches it.
 */
class ExplicitOnlyError extends Error {
  private causeReads = 0;
  private retryChecks = 0;
  private catchChecks = 0;
  constructor(
    name: string,
    message: string,
    private readonly matchers: { retry: string[][]; catch: string[][] },
  ) {
    super(message);
    this.name = name;
    Object.defineProperty(this, 'cause', {
      configurable: true,
      get: () => {
        this.causeReads++;
        return undefined;
      },
    });
  }
  get isRetryable(): boolean {
    if (this.causeReads > 1) return false;
    return this.matchers.retry[this.retryChecks++]?.includes(this.name) ?? false;
  }
  get isCatchable(): boolean {
    if (this.causeReads > 1) return false;
    return this.matchers.catch[this.catchChecks++]?.includes(this.name) ?? false;
  }
}

interface InFlight {
  attempt: number;
  input: unknown;
  started: number;
  abandoned: boolean;
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

  const machineName = definitionName(options.definition);
  const executionName = options.executionName ?? randomUUID();
  const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${machineName}`;
  const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machineName}:${executionName}`;

  let dataLimit: { error: string; cause: string } | undefined;
  let listenerError: unknown;
  const emit = (event: TaskEvent) => {
    if (!options.onTaskEvent) return;
    try {
      options.onTaskEvent(event);
    } catch (error) {
      listenerError ??= error;
    }
  };

  // Attempts are counted per state and input: a retry re-runs a state with the same input.
  const attempts = new Map<string, number>();
  const attemptKey = (state: string, text: string) =>
    createHash('sha1').update(state).update('\0').update(text).digest('hex');
  // Invocations still running, per state: a Task timeout (raised by the library) abandons the oldest.
  const inFlight = new Map<string, InFlight[]>();

  const taskHandlers: Record<string, (input: unknown) => Promise<never>> = {};
  for (const [stateName, functionKey] of bindings) {
    const handler = options.handlers[functionKey] as LambdaHandler;
    const timeoutSeconds = options.functionTimeouts?.[functionKey] ?? DEFAULT_LAMBDA_TIMEOUT_SECONDS;
    const stateMatchers = matchers.get(stateName) ?? { retry: [], catch: [] };
    const base = { stateName, functionName: functionKey };
    const dataLimitError = (what: string, bytes: number) =>
      new ExplicitOnlyError(
        DATA_LIMIT_EXCEEDED,
        `The state/task '${stateName}' ${what} with a size exceeding the maximum number of bytes service limit (${bytes} > ${PAYLOAD_LIMIT_BYTES} bytes).`,
        stateMatchers,
      );
    taskHandlers[stateName] = async (taskInput: unknown) => {
      // Let the event monitor see the previous state's output before anything is invoked.
      await new Promise((resolve) => setImmediate(resolve));
      if (dataLimit) throw new ExplicitOnlyError(dataLimit.error, dataLimit.cause, { retry: [], catch: [] });
      const text = JSON.stringify(taskInput) ?? 'null';
      const key = attemptKey(stateName, text);
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const failed = (error: Error, ms: number) =>
        emit({
          type: 'TaskFailed',
          ...base,
          input: taskInput,
          error: { name: error.name, cause: error.message },
          attempt,
          ms,
        });
      const inputBytes = Buffer.byteLength(text, 'utf8');
      if (inputBytes > PAYLOAD_LIMIT_BYTES) {
        const error = dataLimitError('has an input', inputBytes);
        failed(error, 0);
        throw error;
      }
      emit({ type: 'TaskStarted', ...base, input: taskInput, attempt });
      const call: InFlight = { attempt, input: taskInput, started: Date.now(), abandoned: false };
      const running = inFlight.get(stateName) ?? [];
      inFlight.set(stateName, running);
      running.push(call);
      const settle = () => {
        const at = running.indexOf(call);
        if (at >= 0) running.splice(at, 1);
        return Date.now() - call.started;
      };
      let output: unknown;
      try {
        output = await invokeLocalLambda(handler, taskInput, { functionKey, timeoutSeconds });
      } catch (error) {
        const ms = settle();
        const failure =
          error instanceof LambdaInvocationFailure
            ? error
            : new LambdaInvocationFailure({ errorType: 'Error', errorMessage: String(error) });
        if (!call.abandoned) failed(failure, ms);
        throw failure;
      }
      const ms = settle();
      if (call.abandoned) return output as never; // the library already failed the state
      const outputBytes = byteSize(output);
      if (outputBytes > PAYLOAD_LIMIT_BYTES) {
        const error = dataLimitError('returned a result', outputBytes);
        failed(error, ms);
        throw error;
      }
      attempts.delete(key);
      emit({ type: 'TaskSucceeded', ...base, input: taskInput, output, attempt, ms });
      return output as never;
    };
  }

  const stateMachine = new StateMachine(machine as unknown as StateMachineDefinition, {
    // Validated above on the definition as written; the prepared copy has scaled Retry fields.
    validationOptions: { noValidate: true },
  });
  const startedAt = new Date();
  const execution = stateMachine.run(input as never, {
    overrides: { taskResourceLocalHandlers: taskHandlers },
    context: {
      Execution: {
        Id: executionArn,
        Name: executionName,
        RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local`,
        StartTime: startedAt.toISOString(),
      },
      StateMachine: { Id: stateMachineArn, Name: machineName },
    },
  });
  const onAbort = () => execution.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) execution.abort();

  // Every state's output (and each Map iteration's or Parallel branch's input) must fit the quota.
  const checked = new WeakSet<object>();
  const overLimit = (value: unknown): number | undefined => {
    if (typeof value === 'object' && value !== null) {
      if (checked.has(value)) return undefined;
      checked.add(value);
    }
    const size = byteSize(value);
    return size > PAYLOAD_LIMIT_BYTES ? size : undefined;
  };
  const monitor = (async () => {
    for await (const event of execution.eventLogs) {
      if (
        event.type === 'StateFailed' &&
        event.Error === 'States.Timeout' &&
        bindings.has(event.state.name)
      ) {
        const call = inFlight.get(event.state.name)?.find((c) => !c.abandoned);
        if (call) {
          call.abandoned = true;
          emit({
            type: 'TaskFailed',
            stateName: event.state.name,
            functionName: bindings.get(event.state.name) ?? '',
            input: call.input,
            error: { name: 'States.Timeout', cause: String(event.Cause ?? '') },
            attempt: call.attempt,
            ms: Date.now() - call.started,
          });
        }
      }
      if (dataLimit || (event.type !== 'StateExited' && event.type !== 'StateEntered')) continue;
      const value = event.type === 'StateExited' ? event.state.output : event.state.input;
      const size = overLimit(value);
      if (size !== undefined) {
        const what = event.type === 'StateExited' ? 'returned a result' : 'has an input';
        dataLimit = {
          error: DATA_LIMIT_EXCEEDED,
          cause: `The state/task '${event.state.name}' ${what} with a size exceeding the maximum number of bytes service limit (${size} > ${PAYLOAD_LIMIT_BYTES} bytes).`,
        };
        execution.abort();
      }
    }
  })();

  let result: RunResult;
  try {
    const output = await execution.result;
    await monitor;
    result = { status: 'SUCCEEDED', output, executionArn, startedAt, stoppedAt: new Date() };
  } catch (error) {
    await monitor.catch(() => undefined);
    const stoppedAt = new Date();
    if (error instanceof ExecutionError) {
      const cause = error.cause as { name?: string; message?: string } | undefined;
      result = {
        status: 'FAILED',
        error: cause?.name ?? 'States.Runtime',
        cause: cause?.message ?? error.message,
        executionArn,
        startedAt,
        stoppedAt,
      };
    } else if (error instanceof ExecutionTimeoutError) {
      result = {
        status: 'FAILED',
        error: 'States.Timeout',
        cause: `The execution ran longer than its TimeoutSeconds (${String(machine.TimeoutSeconds)} s)`,
        executionArn,
        startedAt,
        stoppedAt,
      };
    } else if (error instanceof ExecutionAbortedError) {
      result = { status: 'ABORTED', executionArn, startedAt, stoppedAt };
    } else {
      throw error;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (dataLimit) {
    result = {
      status: 'FAILED',
      error: dataLimit.error,
      cause: dataLimit.cause,
      executionArn,
      startedAt,
      stoppedAt: result.stoppedAt,
    };
  }
  if (listenerError !== undefined) throw listenerError;
  return result;
}
