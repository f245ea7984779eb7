import { exceedsThreshold } from '../../../src/local/distributed-map.js';
import {
  HISTORY_EVENT_QUOTA,
  HistoryQuotaError,
  type LambdaHandler,
  runLocalStateMachine,
} from '../../../src/local/stepfunctions.js';

/**
 * History events counted as AWS records them (rules and sources: src/local/history.ts). Each
 * expected number is the hand count written next to it, event by event.
 */

const task = (key: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: { 'Fn::GetAtt': [key, 'Arn'] },
  TimeoutSeconds: 10,
  ...extra,
});

class FlakyError extends Error {
  constructor() {
    super('try again');
    this.name = 'FlakyError';
  }
}

describe('history events of small executions, counted by hand', () => {
  it('a Pass state: 4', async () => {
    const result = await runLocalStateMachine({
      definition: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
      handlers: {},
      input: {},
    });
    // ExecutionStarted 1, PassStateEntered 2, PassStateExited 3, ExecutionSucceeded 4
    expect([
      result.status,
      result.historyEvents,
      result.maxChildHistoryEvents,
      result.childExecutions,
    ]).toEqual(['SUCCEEDED', 4, 0, 0]);
    expect(result.invocations).toEqual({});
  });

  it('a Lambda Task retried once: 10 events, 2 invocations', async () => {
    let calls = 0;
    const work: LambdaHandler = async () => {
      calls++;
      if (calls === 1) throw new FlakyError();
      return { ok: true };
    };
    const result = await runLocalStateMachine({
      definition: {
        StartAt: 'Work',
        States: {
          Work: task('work', {
            Retry: [{ ErrorEquals: ['FlakyError'], IntervalSeconds: 1, MaxAttempts: 2 }],
            End: true,
          }),
        },
      },
      handlers: { work },
      input: {},
      retryIntervalScale: 0.001,
    });
    // ExecutionStarted 1, TaskStateEntered 2,
    // LambdaFunctionScheduled 3, LambdaFunctionStarted 4, LambdaFunctionFailed 5,
    // LambdaFunctionScheduled 6, LambdaFunctionStarted 7, LambdaFunctionSucceeded 8,
    // TaskStateExited 9, ExecutionSucceeded 10
    expect([result.status, result.historyEvents]).toEqual(['SUCCEEDED', 10]);
    expect(result.invocations).toEqual({ work: 2 });
  });

  it('a Lambda failure caught into a Fail state: 8', async () => {
    const fail: LambdaHandler = async () => {
      throw new FlakyError();
    };
    const result = await runLocalStateMachine({
      definition: {
        StartAt: 'Work',
        States: {
          Work: task('work', { Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Stop' }], End: true }),
          Stop: { Type: 'Fail', Error: 'Stopped', Cause: 'caught' },
        },
      },
      handlers: { work: fail },
      input: {},
    });
    // ExecutionStarted 1, TaskStateEntered 2, LambdaFunctionScheduled 3, Started 4, Failed 5,
    // TaskStateExited 6 (caught), FailStateEntered 7, ExecutionFailed 8
    expect([result.status, result.error, result.historyEvents]).toEqual(['FAILED', 'Stopped', 8]);
  });

  it('a Choice/Wait loop of 3 rounds: 26', async () => {
    const result = await runLocalStateMachine({
      definition: {
        StartAt: 'Init',
        States: {
          Init: { Type: 'Pass', Result: { count: 0 }, Next: 'Loop' },
          Loop: {
            Type: 'Choice',
            Choices: [{ Variable: '$.count', NumericGreaterThanEquals: 3, Next: 'Done' }],
            Default: 'Pause',
          },
          Pause: { Type: 'Wait', Seconds: 0, Next: 'Inc' },
          Inc: { Type: 'Pass', Parameters: { 'count.$': 'States.MathAdd($.count, 1)' }, Next: 'Loop' },
          Done: { Type: 'Succeed' },
        },
      },
      handlers: {},
      input: {},
    });
    // ExecutionStarted 1; Init entered/exited 2-3; Loop (Choice) 4 times x 2 = 8 (4-11 interleaved);
    // Pause (Wait) 3 x 2 = 6; Inc (Pass) 3 x 2 = 6; Done (Succeed) entered/exited 2;
    // ExecutionSucceeded 1: 1 + 2 + 8 + 6 + 6 + 2 + 1 = 26
    expect([result.status, result.output, result.historyEvents]).toEqual(['SUCCEEDED', { count: 3 }, 26]);
  });

  it('an inline Map of 3 Pass iterations: 18', async () => {
    const result = await runLocalStateMachine({
      definition: {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      handlers: {},
      input: [1, 2, 3],
    });
    // ExecutionStarted 1, MapStateEntered 2, MapStateStarted 3,
    // per item: MapIterationStarted, PassStateEntered, PassStateExited, MapIterationSucceeded = 3 x 4 = 12 (4-15),
    // MapStateSucceeded 16, MapStateExited 17, ExecutionSucceeded 18
    expect([result.status, result.output, result.historyEvents]).toEqual(['SUCCEEDED', [1, 2, 3], 18]);
  });
});

/** A Distributed Map of 3 pages whose child runs one Lambda Task; page 2 fails. */
function distributed(tolerance: Record<string, unknown>) {
  return {
    StartAt: 'Pages',
    States: {
      Pages: {
        Type: 'Map',
        ItemsPath: '$.pages',
        ItemSelector: { 'run.$': '$.run', 'page.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' },
        MaxConcurrency: 1,
        Label: 'pages',
        ...tolerance,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Work',
          States: { Work: task('work', { End: true }) },
        },
        End: true,
      },
    },
  };
}

const failOnPage2: LambdaHandler = async (event) => {
  const { page } = event as { page: number };
  if (page === 2) throw new FlakyError();
  return event;
};

describe('history events of a Distributed Map: each child execution has its own', () => {
  it('a failed child tolerated (ToleratedFailurePercentage 50, 1 of 3 failed): parent 8, children 7', async () => {
    const result = await runLocalStateMachine({
      definition: distributed({ ToleratedFailurePercentage: 50 }),
      handlers: { work: failOnPage2 },
      input: { run: 'r1', pages: [1, 2, 3] },
    });
    // parent: ExecutionStarted 1, MapStateEntered 2, MapStateStarted 3, MapRunStarted 4,
    // MapRunSucceeded 5, MapStateSucceeded 6, MapStateExited 7, ExecutionSucceeded 8
    // a child that succeeds: ExecutionStarted 1, TaskStateEntered 2, LambdaFunctionScheduled 3,
    // LambdaFunctionStarted 4, LambdaFunctionSucceeded 5, TaskStateExited 6, ExecutionSucceeded 7
    // the failing child: ExecutionStarted 1, TaskStateEntered 2, Scheduled 3, Started 4,
    // LambdaFunctionFailed 5, ExecutionFailed 6
    expect([
      result.status,
      result.historyEvents,
      result.maxChildHistoryEvents,
      result.childExecutions,
    ]).toEqual(['SUCCEEDED', 8, 7, 3]);
    // Children's inputs come through ItemSelector; the failed child's place holds null.
    expect(result.output).toEqual([{ run: 'r1', page: 1, index: 0 }, null, { run: 'r1', page: 3, index: 2 }]);
    expect(result.invocations).toEqual({ work: 3 });
  });

  it('a failed child not tolerated (no threshold = 0 %): the Map Run fails, parent 7, no child after it', async () => {
    const result = await runLocalStateMachine({
      definition: distributed({}),
      handlers: { work: failOnPage2 },
      input: { run: 'r1', pages: [1, 2, 3] },
    });
    // parent: ExecutionStarted 1, MapStateEntered 2, MapStateStarted 3, MapRunStarted 4,
    // MapRunFailed 5, MapStateFailed 6, ExecutionFailed 7
    expect([result.status, result.error, result.historyEvents, result.childExecutions]).toEqual([
      'FAILED',
      'States.ExceedToleratedFailureThreshold',
      7,
      2,
    ]);
    expect(result.cause).toBe(
      'The Map Run of "Pages" failed: 1 of 3 child executions failed, more than tolerated (no failure tolerated)',
    );
    expect(result.invocations).toEqual({ work: 2 });
  });

  it('ToleratedFailureCount 0 fails on the first failure; a Catch on the Map records MapStateExited: parent 10', async () => {
    const definition = distributed({ ToleratedFailureCount: 0 });
    const pages = definition.States.Pages as Record<string, unknown>;
    delete pages.End;
    pages.Catch = [
      { ErrorEquals: ['States.ExceedToleratedFailureThreshold'], ResultPath: '$.failure', Next: 'Done' },
    ];
    pages.Next = 'Done';
    const done = { Type: 'Succeed' };
    const result = await runLocalStateMachine({
      definition: { ...definition, States: { ...definition.States, Done: done } },
      handlers: { work: failOnPage2 },
      input: { run: 'r1', pages: [2, 1] },
    });
    // parent: ExecutionStarted 1, MapStateEntered 2, MapStateStarted 3, MapRunStarted 4,
    // MapRunFailed 5, MapStateFailed 6, MapStateExited 7 (caught),
    // SucceedStateEntered 8, SucceedStateExited 9, ExecutionSucceeded 10
    expect([result.status, result.historyEvents, result.childExecutions]).toEqual(['SUCCEEDED', 10, 1]);
    expect((result.output as { failure: { Error: string } }).failure.Error).toBe(
      'States.ExceedToleratedFailureThreshold',
    );
  });
});

/** Init, then Loop (Choice) and Inc (Pass) until $.i reaches `rounds`. */
function loop(rounds: number) {
  return {
    StartAt: 'Init',
    States: {
      Init: { Type: 'Pass', Result: { i: 0 }, Next: 'Loop' },
      Loop: {
        Type: 'Choice',
        Choices: [{ Variable: '$.i', NumericGreaterThanEquals: rounds, Next: 'Done' }],
        Default: 'Inc',
      },
      Inc: { Type: 'Pass', Parameters: { 'i.$': 'States.MathAdd($.i, 1)' }, Next: 'Loop' },
      Done: { Type: 'Succeed' },
    },
  };
}

describe('the 25,000-event quota', () => {
  it('fails a run whose Pass/Choice loop of 30,000 rounds would exceed it, naming the state and the count', async () => {
    const run = runLocalStateMachine({
      definition: loop(30_000),
      handlers: {},
      input: {},
      executionName: 'quota-loop',
    });
    // 3 events before the loop (ExecutionStarted, Init entered/exited), then 4 a round
    // (Loop entered/exited, Inc entered/exited): after 6,249 rounds 3 + 24,996 = 24,999; the
    // 6,250th round's ChoiceStateEntered (Loop) is 25,000 and its ChoiceStateExited 25,001, the
    // first over the quota.
    await expect(run).rejects.toThrow(HistoryQuotaError);
    await expect(run).rejects.toMatchObject({
      execution: "parent execution 'quota-loop'",
      stateName: 'Loop',
      count: HISTORY_EVENT_QUOTA + 1,
    });
    await expect(run).rejects.toThrow(
      `Execution history quota exceeded: the parent execution 'quota-loop' would record 25001 events (Step Functions allows 25000 per execution), crossed while entering state "Loop".`,
    );
  });

  it('runs the same loop of 6,000 rounds within it: 24,008 events', async () => {
    const result = await runLocalStateMachine({ definition: loop(6_000), handlers: {}, input: {} });
    // ExecutionStarted + Init 3, 6,000 rounds x 4 = 24,000, the last Loop (Choice) 2,
    // Done (Succeed) 2, ExecutionSucceeded 1: 3 + 24,000 + 2 + 2 + 1 = 24,008
    expect([result.status, result.historyEvents]).toEqual(['SUCCEEDED', 24_008]);
  });

  it('fails when one child execution of a Distributed Map would exceed it, naming that child', async () => {
    const run = runLocalStateMachine({
      definition: {
        StartAt: 'Fan',
        States: {
          Fan: {
            Type: 'Map',
            ToleratedFailurePercentage: 100,
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
              ...loop(30_000),
            },
            End: true,
          },
        },
      },
      handlers: {},
      input: [1],
    });
    await expect(run).rejects.toThrow(HistoryQuotaError);
    await expect(run).rejects.toMatchObject({ stateName: 'Loop', count: HISTORY_EVENT_QUOTA + 1 });
    await expect(run).rejects.toThrow(
      /the child execution '[0-9a-f-]{36}' of the Map Run of "Fan" \(label Fan\)/,
    );
  });
});

describe('Distributed Map runs as AWS documents', () => {
  const spec = (tolerance: { toleratedFailureCount?: number; toleratedFailurePercentage?: number }) => ({
    name: 'M',
    itemsPath: '$',
    itemSelector: undefined,
    maxConcurrency: 1,
    label: 'M',
    processor: {},
    nested: new Map(),
    ...tolerance,
  });

  it('fails the Map Run when failed / total exceeds the percentage or failed exceeds the count, either one', () => {
    // 1 of 3 failed is 33.33 %: over 33.3, within 34
    expect(exceedsThreshold(spec({ toleratedFailurePercentage: 33.3 }), 1, 3)).toBe(true);
    expect(exceedsThreshold(spec({ toleratedFailurePercentage: 34 }), 1, 3)).toBe(false);
    expect(exceedsThreshold(spec({ toleratedFailurePercentage: 100 }), 3, 3)).toBe(false);
    expect(exceedsThreshold(spec({ toleratedFailureCount: 1 }), 1, 3)).toBe(false);
    expect(exceedsThreshold(spec({ toleratedFailureCount: 1 }), 2, 3)).toBe(true);
    expect(exceedsThreshold(spec({ toleratedFailureCount: 5, toleratedFailurePercentage: 10 }), 1, 3)).toBe(
      true,
    );
    // Neither given: 0 %, any failure fails the Map Run
    expect(exceedsThreshold(spec({}), 0, 3)).toBe(false);
    expect(exceedsThreshold(spec({}), 1, 3)).toBe(true);
  });

  it('runs at most MaxConcurrency children at once', async () => {
    let running = 0;
    let peak = 0;
    const work: LambdaHandler = async (event) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      return event;
    };
    const definition = distributed({});
    (definition.States.Pages as Record<string, unknown>).MaxConcurrency = 2;
    const result = await runLocalStateMachine({
      definition,
      handlers: { work },
      input: { run: 'r', pages: [1, 2, 3, 4, 5] },
    });
    expect([result.status, result.childExecutions, peak]).toEqual(['SUCCEEDED', 5, 2]);
  });

  it('aborts the running children when the parent is stopped', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const work: LambdaHandler = async (event) => {
      started.push((event as { page: number }).page);
      controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 50));
      return event;
    };
    const result = await runLocalStateMachine({
      definition: distributed({ ToleratedFailurePercentage: 100 }),
      handlers: { work },
      input: { run: 'r', pages: [1, 2, 3] },
      signal: controller.signal,
    });
    // The first child is aborted with the parent; no further child starts, even once its
    // handler's 50 ms are over (MaxConcurrency 1 would start page 2 then).
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect([result.status, started, result.childExecutions]).toEqual(['ABORTED', [1], 1]);
  });
});
