/**
 * One local run: the parent execution and the child executions of its Distributed Maps, each on
 * aws-local-stepfunctions with its own history event count, sharing the Lambda handlers, the
 * Task attempt bookkeeping and the invocation counts.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { LOCAL_ACCOUNT, LOCAL_REGION, type MachineDefinition, PAYLOAD_LIMIT_BYTES } from './definition.js';
import { type ChildOutcome, childInputs, type DistributedMapSpec, runMapRun } from './distributed-map.js';
import { type EventLog, HistoryCounter, type HistoryQuotaError } from './history.js';
import { invokeLocalLambda, type LambdaHandler, LambdaInvocationFailure } from './lambda.js';
import type { TaskEvent } from './stepfunctions.js';

export const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';
export const DEFAULT_LAMBDA_TIMEOUT_SECONDS = 900;

export function byteSize(value: unknown): number {
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
export class ExplicitOnlyError extends Error {
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

/** What the whole run shares: handlers, Task bookkeeping, counts, and one stop for every execution. */
export interface RunSettings {
  handlers: Record<string, LambdaHandler>;
  functionTimeouts: Record<string, number>;
  /** Task state name -> function key. */
  bindings: Map<string, string>;
  matchers: Map<string, { retry: string[][]; catch: string[][] }>;
  onTaskEvent?: (event: TaskEvent) => void;
  stateMachineName: string;
  machineTimeoutSeconds?: unknown;
}

/** One execution to run: the parent, or a Distributed Map child. */
export interface ExecutionScope {
  machine: MachineDefinition;
  distributedMaps: Map<string, DistributedMapSpec>;
  executionName: string;
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  /** How a quota error names it: "parent execution 'x'" or "child execution 'y' of the Map Run of ...". */
  describe: string;
  /** A Distributed Map child (its history count joins childHistoryEvents). */
  child: boolean;
}

export interface ExecutionOutcome {
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  output?: unknown;
  error?: string;
  cause?: string;
  startedAt: Date;
  stoppedAt: Date;
  historyEvents: number;
}

export class LocalRun {
  readonly invocations: Record<string, number> = {};
  readonly childHistoryEvents: number[] = [];
  private readonly attempts = new Map<string, number>();
  private readonly inFlight = new Map<string, InFlight[]>();
  private readonly stop = new AbortController();
  private fatalError: HistoryQuotaError | undefined;
  private listenerError: unknown;

  constructor(private readonly settings: RunSettings) {}

  /** The history quota error that stopped the run, if any. */
  get fatal(): HistoryQuotaError | undefined {
    return this.fatalError;
  }
  get listenerFailure(): unknown {
    return this.listenerError;
  }

  /** Stops every execution of the run (StopExecution on the parent aborts its Map Runs too). */
  abort(): void {
    this.stop.abort();
  }

  private failRun(error: HistoryQuotaError): void {
    this.fatalError ??= error;
    this.stop.abort();
  }

  emit(event: TaskEvent): void {
    if (!this.settings.onTaskEvent) return;
    try {
      this.settings.onTaskEvent(event);
    } catch (error) {
      this.listenerError ??= error;
    }
  }

  /** Runs one execution to its end and resolves with how it ended (never rejects for the execution's own failure). */
  async execute(scope: ExecutionScope, input: unknown, signal?: AbortSignal): Promise<ExecutionOutcome> {
    const counter = new HistoryCounter(scope.describe, new Set(scope.distributedMaps.keys()));
    const state: { dataLimit?: { error: string; cause: string } } = {};
    const stateMachine = new StateMachine(scope.machine as unknown as StateMachineDefinition, {
      validationOptions: { noValidate: true },
    });
    const startedAt = new Date();
    const context = {
      Execution: {
        Id: scope.executionArn,
        Name: scope.executionName,
        RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local`,
        StartTime: startedAt.toISOString(),
      },
      StateMachine: { Id: scope.stateMachineArn, Name: scope.stateMachineName },
    };
    const handlers = {
      ...this.taskHandlers(counter, state),
      ...this.mapRunHandlers(scope, context),
    };
    const execution = stateMachine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers },
      context,
    });
    const onAbort = () => execution.abort();
    for (const s of [this.stop.signal, signal]) {
      s?.addEventListener('abort', onAbort, { once: true });
      if (s?.aborted) execution.abort();
    }
    const monitor = this.monitor(execution.eventLogs, counter, state, () => execution.abort());
    try {
      const outcome = await this.settle(execution.result, monitor, startedAt);
      const final = state.dataLimit
        ? { ...outcome, status: 'FAILED' as const, output: undefined, ...state.dataLimit }
        : outcome;
      return { ...final, historyEvents: counter.count };
    } finally {
      for (const s of [this.stop.signal, signal]) s?.removeEventListener('abort', onAbort);
      if (scope.child) this.childHistoryEvents.push(counter.count);
    }
  }

  private async settle(
    result: Promise<unknown>,
    monitor: Promise<void>,
    startedAt: Date,
  ): Promise<Omit<ExecutionOutcome, 'historyEvents'>> {
    try {
      const output = await result;
      await monitor;
      return { status: 'SUCCEEDED', output, startedAt, stoppedAt: new Date() };
    } catch (error) {
      await monitor.catch(() => undefined);
      const stoppedAt = new Date();
      if (error instanceof ExecutionError) {
        const cause = error.cause as { name?: string; message?: string } | undefined;
        return {
          status: 'FAILED',
          error: cause?.name ?? 'States.Runtime',
          cause: cause?.message ?? error.message,
          startedAt,
          stoppedAt,
        };
      }
      if (error instanceof ExecutionTimeoutError) {
        return {
          status: 'FAILED',
          error: 'States.Timeout',
          cause: `The execution ran longer than its TimeoutSeconds (${String(this.settings.machineTimeoutSeconds)} s)`,
          startedAt,
          stoppedAt,
        };
      }
      if (error instanceof ExecutionAbortedError) return { status: 'ABORTED', startedAt, stoppedAt };
      throw error;
    }
  }

  /** Follows the engine's events: history count, Task timeouts, and the 256 KB quota of every state's data. */
  private async monitor(
    events: AsyncGenerator<EventLog>,
    counter: HistoryCounter,
    state: { dataLimit?: { error: string; cause: string } },
    abort: () => void,
  ): Promise<void> {
    const checked = new WeakSet<object>();
    for await (const event of events) {
      const over = counter.observe(event);
      if (over) this.failRun(over);
      if (event.type === 'StateFailed' && event.Error === 'States.Timeout')
        this.abandon(event.state.name, event.Cause);
      if (state.dataLimit || (event.type !== 'StateExited' && event.type !== 'StateEntered')) continue;
      const value = event.type === 'StateExited' ? event.state.output : event.state.input;
      if (typeof value === 'object' && value !== null) {
        if (checked.has(value)) continue;
        checked.add(value);
      }
      const size = byteSize(value);
      if (size > PAYLOAD_LIMIT_BYTES) {
        const what = event.type === 'StateExited' ? 'returned a result' : 'has an input';
        state.dataLimit = {
          error: DATA_LIMIT_EXCEEDED,
          cause: `The state/task '${event.state.name}' ${what} with a size exceeding the maximum number of bytes service limit (${size} > ${PAYLOAD_LIMIT_BYTES} bytes).`,
        };
        abort();
      }
    }
  }

  /** A Task timeout raised by the engine abandons the oldest invocation still running in that state. */
  private abandon(stateName: string, cause: unknown): void {
    const functionName = this.settings.bindings.get(stateName);
    if (functionName === undefined) return;
    const call = this.inFlight.get(stateName)?.find((c) => !c.abandoned);
    if (!call) return;
    call.abandoned = true;
    this.emit({
      type: 'TaskFailed',
      stateName,
      functionName,
      input: call.input,
      error: { name: 'States.Timeout', cause: String(cause ?? '') },
      attempt: call.attempt,
      ms: Date.now() - call.started,
    });
  }

  private taskHandlers(
    counter: HistoryCounter,
    state: { dataLimit?: { error: string; cause: string } },
  ): Record<string, (input: unknown) => Promise<never>> {
    const handlers: Record<string, (input: unknown) => Promise<never>> = {};
    for (const [stateName, functionKey] of this.settings.bindings) {
      handlers[stateName] = (taskInput: unknown) =>
        this.runTask(stateName, functionKey, taskInput, counter, state) as Promise<never>;
    }
    return handlers;
  }

  private dataLimitError(stateName: string, what: string, bytes: number): ExplicitOnlyError {
    return new ExplicitOnlyError(
      DATA_LIMIT_EXCEEDED,
      `The state/task '${stateName}' ${what} with a size exceeding the maximum number of bytes service limit (${bytes} > ${PAYLOAD_LIMIT_BYTES} bytes).`,
      this.settings.matchers.get(stateName) ?? { retry: [], catch: [] },
    );
  }

  private nextAttempt(stateName: string, text: string): { key: string; attempt: number } {
    // Attempts are counted per state and input: a retry re-runs a state with the same input.
    const key = createHash('sha1').update(stateName).update('\0').update(text).digest('hex');
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    return { key, attempt };
  }

  private async runTask(
    stateName: string,
    functionKey: string,
    taskInput: unknown,
    counter: HistoryCounter,
    state: { dataLimit?: { error: string; cause: string } },
  ): Promise<unknown> {
    // Let the event monitor see the previous state's output before anything is invoked.
    await new Promise((resolve) => setImmediate(resolve));
    if (state.dataLimit)
      throw new ExplicitOnlyError(state.dataLimit.error, state.dataLimit.cause, { retry: [], catch: [] });
    const text = JSON.stringify(taskInput) ?? 'null';
    const { key, attempt } = this.nextAttempt(stateName, text);
    const base = { stateName, functionName: functionKey, input: taskInput, attempt };
    const failed = (error: Error, ms: number) =>
      this.emit({ type: 'TaskFailed', ...base, error: { name: error.name, cause: error.message }, ms });
    const inputBytes = Buffer.byteLength(text, 'utf8');
    if (inputBytes > PAYLOAD_LIMIT_BYTES) {
      const error = this.dataLimitError(stateName, 'has an input', inputBytes);
      failed(error, 0);
      throw error;
    }
    this.invocations[functionKey] = (this.invocations[functionKey] ?? 0) + 1;
    const over = counter.lambdaAttempt();
    if (over) this.failRun(over);
    this.emit({ type: 'TaskStarted', ...base });
    const call: InFlight = { attempt, input: taskInput, started: Date.now(), abandoned: false };
    const running = this.inFlight.get(stateName) ?? [];
    this.inFlight.set(stateName, running);
    running.push(call);
    const settle = () => {
      const at = running.indexOf(call);
      if (at >= 0) running.splice(at, 1);
      return Date.now() - call.started;
    };
    let output: unknown;
    try {
      const timeoutSeconds = this.settings.functionTimeouts[functionKey] ?? DEFAULT_LAMBDA_TIMEOUT_SECONDS;
      output = await invokeLocalLambda(this.settings.handlers[functionKey] as LambdaHandler, taskInput, {
        functionKey,
        timeoutSeconds,
      });
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
    if (call.abandoned) return output; // the engine already failed the state
    const outputBytes = byteSize(output);
    if (outputBytes > PAYLOAD_LIMIT_BYTES) {
      const error = this.dataLimitError(stateName, 'returned a result', outputBytes);
      failed(error, ms);
      throw error;
    }
    this.attempts.delete(key);
    this.emit({ type: 'TaskSucceeded', ...base, output, ms });
    return output;
  }

  /** Each Distributed Map of the scope runs as a Task whose handler is its Map Run. */
  private mapRunHandlers(
    scope: ExecutionScope,
    context: object,
  ): Record<string, (input: unknown) => Promise<never>> {
    const handlers: Record<string, (input: unknown) => Promise<never>> = {};
    for (const [name, spec] of scope.distributedMaps) {
      handlers[name] = async (mapInput: unknown) => {
        const stateContext = { ...context, State: { Name: name, EnteredTime: new Date().toISOString() } };
        const inputs = await childInputs(spec, mapInput, stateContext);
        const runChild = (input: unknown, _index: number, signal: AbortSignal) =>
          this.runChild(scope, spec, input, signal);
        return (await runMapRun(spec, inputs, runChild)) as never;
      };
    }
    return handlers;
  }

  private async runChild(
    parent: ExecutionScope,
    spec: DistributedMapSpec,
    input: unknown,
    signal: AbortSignal,
  ): Promise<ChildOutcome> {
    const executionName = randomUUID();
    const machineName = `${parent.stateMachineName}/${spec.label}`;
    const scope: ExecutionScope = {
      machine: structuredClone(spec.processor),
      distributedMaps: spec.nested,
      executionName,
      executionArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machineName}:${executionName}`,
      stateMachineArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${machineName}`,
      stateMachineName: machineName,
      child: true,
      describe: `child execution '${executionName}' of the Map Run of "${spec.name}" (label ${spec.label}) in ${parent.describe}`,
    };
    // A stopped run starts no further child (its parent is ABORTED; the Map Run ends with it).
    if (this.stop.signal.aborted) throw new Error('The run was stopped');
    const outcome = await this.execute(scope, input, signal);
    if (this.stop.signal.aborted) throw new Error('The run was stopped');
    return { status: outcome.status, output: outcome.output };
  }
}
