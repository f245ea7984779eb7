/**
 * Counts the events AWS Step Functions would record in a standard execution's history, so that
 * the 25,000-event quota is hit here and not in production.
 *
 * The event types are those of the HistoryEvent API
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html); the
 * sequences below are the ones AWS records, as captured from real executions in LocalStack's
 * AWS-validated snapshots (localstack/localstack tests/aws/services/stepfunctions/v2/
 * scenarios/test_base_scenarios.snapshot.json: test_map_state, test_map_state_retry,
 * test_map_state_catch, test_map_state_config_distributed_item_selector, test_parallel_state;
 * error_handling/test_task_lambda: test_lambda_invoke_with_retry_base; services/test_lambda_task;
 * timeouts/test_timeouts: test_fixed_timeout_lambda). The quota: "Maximum execution history
 * size: 25,000 events" for a standard execution; a Distributed Map's child executions each have
 * their own history (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html).
 *
 * Counting rules (per execution; events of an inline Map's iterations and of Parallel branches
 * land in the execution that holds the state, a Distributed Map's iterations in their child
 * execution):
 *
 * | what happens                          | events AWS records                                          | n |
 * |---------------------------------------|-------------------------------------------------------------|---|
 * | execution starts / ends               | ExecutionStarted; ExecutionSucceeded/Failed/Aborted/TimedOut | 1 each |
 * | Pass, Choice, Wait, Succeed state     | <Type>StateEntered, <Type>StateExited                       | 2 |
 * | Fail state                            | FailStateEntered (then ExecutionFailed)                     | 1 |
 * | Task state entered / exited           | TaskStateEntered, TaskStateExited (also when caught)        | 1 + 1 |
 * | each Lambda attempt (Resource = a Lambda function ARN, as Fn::GetAtt gives) | LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunctionSucceeded/Failed/TimedOut | 3 |
 * | Task failing uncaught                 | no TaskStateExited; ExecutionFailed                         | 0 |
 * | inline Map / Parallel entered         | MapStateEntered + MapStateStarted (Parallel alike)          | 2 |
 * | inline Map iteration                  | MapIterationStarted, MapIterationSucceeded/Failed           | 2 |
 * | Parallel branch                       | none of its own (its states' events only)                   | 0 |
 * | inline Map / Parallel succeeds        | MapStateSucceeded, MapStateExited                           | 2 |
 * | inline Map / Parallel attempt fails   | MapStateStarted again on a retry, MapStateFailed at last    | 1 |
 * | inline Map / Parallel caught          | MapStateExited after MapStateFailed                         | 1 |
 * | Distributed Map entered               | MapStateEntered, MapStateStarted, MapRunStarted             | 3 |
 * | Distributed Map succeeds              | MapRunSucceeded, MapStateSucceeded, MapStateExited          | 3 |
 * | Distributed Map fails                 | MapRunFailed, MapStateFailed (+ MapStateExited if caught)   | 2 |
 * | Retry wait                            | none (the next attempt's events only)                       | 0 |
 *
 * Not counted (the local engine does not produce them): MapIterationAborted/TaskStateAborted for
 * the iterations still running when an inline Map fails, and events of features the local runner
 * refuses (activities, service integrations, callbacks).
 */
import type { StateMachine } from 'aws-local-stepfunctions';

/** An event of the local engine's event log (the library does not export the type). */
export type EventLog =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** A standard execution's history holds at most this many events. */
export const HISTORY_EVENT_QUOTA = 25_000;

/** Events a Lambda attempt records: LambdaFunctionScheduled, LambdaFunctionStarted, and its outcome. */
export const LAMBDA_ATTEMPT_EVENTS = 3;

/**
 * A local run stopped because one execution would have recorded more history events than a
 * standard execution may hold. Not a Lambda error: it never reaches a state machine's Catch.
 */
export class HistoryQuotaError extends Error {
  readonly execution: string;
  readonly stateName: string | undefined;
  readonly count: number;
  constructor(execution: string, stateName: string | undefined, count: number) {
    const where = stateName === undefined ? 'outside any state' : `entering state "${stateName}"`;
    super(
      `Execution history quota exceeded: the ${execution} would record ${count} events (Step Functions allows ${HISTORY_EVENT_QUOTA} per execution), crossed while ${where}. Move the repeated work into a Distributed Map (each child execution has its own history) or loop fewer times.`,
    );
    this.name = 'HistoryQuotaError';
    this.execution = execution;
    this.stateName = stateName;
    this.count = count;
  }
}

type StateType = 'Task' | 'Parallel' | 'Map' | 'Pass' | 'Wait' | 'Choice' | 'Succeed' | 'Fail';

/**
 * The history event count of one execution (the parent, or one Distributed Map child), fed with
 * the local engine's events and the runner's Lambda attempts.
 */
export class HistoryCounter {
  private total = 0;
  private lastEntered: string | undefined;
  private exceeded: HistoryQuotaError | undefined;
  // Map/Parallel/Distributed Map states caught (by name) whose StateExited is still to come.
  private readonly caught = new Map<string, number>();

  /**
   * @param execution how the execution is named in a quota error ("parent execution 'x'").
   * @param distributedMaps names of the Distributed Map states this execution holds (the local
   *   engine runs each one as a Task).
   */
  constructor(
    readonly execution: string,
    private readonly distributedMaps: ReadonlySet<string> = new Set(),
    private readonly quota = HISTORY_EVENT_QUOTA,
  ) {}

  get count(): number {
    return this.total;
  }

  /** The quota error, once the count went over the quota. */
  get quotaError(): HistoryQuotaError | undefined {
    return this.exceeded;
  }

  /** Adds events; returns the quota error the first time the count goes over the quota. */
  add(events: number): HistoryQuotaError | undefined {
    this.total += events;
    if (this.total > this.quota && !this.exceeded) {
      this.exceeded = new HistoryQuotaError(this.execution, this.lastEntered, this.total);
      return this.exceeded;
    }
    return undefined;
  }

  /** One Lambda invocation by a Task of this execution (Scheduled, Started, outcome). */
  lambdaAttempt(): HistoryQuotaError | undefined {
    return this.add(LAMBDA_ATTEMPT_EVENTS);
  }

  /** Counts one event of the local engine's event log. */
  observe(event: EventLog): HistoryQuotaError | undefined {
    if (event.type === 'StateEntered') this.lastEntered = event.state.name;
    return this.add(this.eventsFor(event));
  }

  private kindOf(name: string, type: StateType): 'distributed' | 'container' | 'simple' {
    if (this.distributedMaps.has(name)) return 'distributed';
    return type === 'Map' || type === 'Parallel' ? 'container' : 'simple';
  }

  private eventsFor(event: EventLog): number {
    switch (event.type) {
      case 'ExecutionStarted':
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimeout':
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        return 1;
      case 'StateEntered':
        return { distributed: 3, container: 2, simple: 1 }[this.kindOf(event.state.name, event.state.type)];
      case 'StateExited':
        return this.exitEvents(event.state.name, event.state.type);
      case 'StateFailed':
        return { distributed: 2, container: 1, simple: 0 }[this.kindOf(event.state.name, event.state.type)];
      case 'StateRetried':
        return this.kindOf(event.state.name, event.state.type) === 'distributed' ? 1 : 0;
      case 'StateCaught':
        if (this.kindOf(event.state.name, event.state.type) !== 'simple') {
          this.caught.set(event.state.name, (this.caught.get(event.state.name) ?? 0) + 1);
        }
        return 0;
      default:
        return 0;
    }
  }

  private exitEvents(name: string, type: StateType): number {
    const kind = this.kindOf(name, type);
    if (kind === 'simple') return 1;
    const pending = this.caught.get(name) ?? 0;
    if (pending > 0) {
      this.caught.set(name, pending - 1);
      return 1; // MapStateExited after MapStateFailed
    }
    return kind === 'distributed' ? 3 : 2;
  }
}
