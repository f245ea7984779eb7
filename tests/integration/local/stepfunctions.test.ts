import path from 'node:path';
import {
  type LambdaHandler,
  LocalDefinitionError,
  type RunOptions,
  runLocalStateMachine,
  type TaskEvent,
  validateDefinition,
} from '../../../src/local/stepfunctions.js';

const fixture = (name: string) => path.join('tests/fixtures/local', name);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class TransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientError';
  }
}
class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

/** Runs a fixture at 1/100 of the Retry waits and collects the task events. */
async function run(options: Omit<RunOptions, 'definition'> & { fixture: string }) {
  const events: TaskEvent[] = [];
  const result = await runLocalStateMachine({
    retryIntervalScale: 0.01,
    ...options,
    definition: fixture(options.fixture),
    onTaskEvent: (event) => events.push(event),
  });
  return { result, events };
}

describe('runLocalStateMachine: Task, Choice, Map and Parallel', () => {
  it('runs each Task on its handler, honours Map MaxConcurrency and applies selectors, paths and intrinsics', async () => {
    let active = 0;
    let mostActive = 0;
    const handlers: Record<string, LambdaHandler> = {
      prepare: async (event) => {
        const { count, executionName } = event as { count: number; executionName: string };
        return { items: Array.from({ length: count }, (_, i) => i + 1), executionName };
      },
      double: async (event) => {
        const { value, factor } = event as { value: number; factor: number };
        active++;
        mostActive = Math.max(mostActive, active);
        await sleep(15);
        active--;
        return { result: value * factor, ignored: 'dropped by ResultSelector' };
      },
      total: async (event) => ({ total: (event as { values: number[] }).values.reduce((a, b) => a + b, 0) }),
    };

    const { result, events } = await run({
      fixture: 'pipeline.asl.yml',
      handlers,
      input: { count: 6, factor: 3 },
      executionName: 'pipeline-run-1',
    });

    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      output: { count: 6, total: 63, label: '6 items' },
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:pipeline:pipeline-run-1',
    });
    expect(result.stoppedAt.getTime()).toBeGreaterThanOrEqual(result.startedAt.getTime());
    expect(mostActive).toBe(2);
    const prepare = events.find((e) => e.type === 'TaskSucceeded' && e.stateName === 'Prepare');
    expect(prepare?.input).toEqual({ count: 6, executionName: 'pipeline-run-1' });
    const doubles = events.filter((e) => e.type === 'TaskStarted' && e.stateName === 'Double');
    expect(doubles.map((e) => e.input)).toContainEqual({ value: 4, index: 3, factor: 3 });
    expect(doubles).toHaveLength(6);
    expect(events.filter((e) => e.stateName === 'Total').map((e) => e.type)).toEqual([
      'TaskStarted',
      'TaskSucceeded',
    ]);
  });

  it('takes the Choice default when the condition does not hold', async () => {
    const { result, events } = await run({
      fixture: 'pipeline.asl.yml',
      handlers: { prepare: async () => ({ items: [] }), double: async () => ({}), total: async () => ({}) },
      input: { count: 0, factor: 1 },
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ count: 0, factor: 1, prepared: { items: [] } });
    expect(events.map((e) => e.stateName)).toEqual(['Prepare', 'Prepare']);
  });
});

describe('runLocalStateMachine: Retry and Catch', () => {
  const flakyHandler = (calls: string[]): LambdaHandler => {
    return async (event) => {
      const { failures, error } = event as { failures: number; error?: string };
      calls.push('call');
      if (calls.length <= failures) {
        throw error === 'permanent'
          ? new PermanentError('bad row')
          : new TransientError(`try ${calls.length}`);
      }
      return { ok: true, calls: calls.length };
    };
  };

  it('retries a named error until the handler succeeds, with backoff', async () => {
    const calls: string[] = [];
    const { result, events } = await run({
      fixture: 'retry-catch.asl.yml',
      handlers: { flaky: flakyHandler(calls) },
      input: { failures: 3 },
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ failures: 3, result: { ok: true, calls: 4 } });
    const started = events.filter((e) => e.type === 'TaskStarted');
    expect(started.map((e) => e.attempt)).toEqual([1, 2, 3, 4]);
    expect(events.filter((e) => e.type === 'TaskFailed').map((e) => e.error?.name)).toEqual([
      'TransientError',
      'TransientError',
      'TransientError',
    ]);
  });

  it('waits IntervalSeconds x BackoffRate^n (scaled) between attempts', async () => {
    const starts: number[] = [];
    const calls: string[] = [];
    const flaky = flakyHandler(calls);
    await runLocalStateMachine({
      definition: fixture('retry-catch.asl.yml'),
      handlers: {
        flaky: async (event, context) => {
          starts.push(performance.now());
          return flaky(event, context);
        },
      },
      input: { failures: 3 },
      retryIntervalScale: 0.02,
    });

    const waits = starts.slice(1).map((t, i) => t - (starts[i] ?? 0));
    expect(waits).toHaveLength(3);
    // 20, 40 and 80 ms at least (timers never fire early; a little slack for clock rounding).
    expect(waits[0]).toBeGreaterThanOrEqual(19);
    expect(waits[1]).toBeGreaterThanOrEqual(39);
    expect(waits[2]).toBeGreaterThanOrEqual(79);
  });

  it("catches the error once the retries are spent, with Lambda's error shape at ResultPath", async () => {
    const calls: string[] = [];
    const { result } = await run({
      fixture: 'retry-catch.asl.yml',
      handlers: { flaky: flakyHandler(calls) },
      input: { failures: 10 },
    });

    expect(calls).toHaveLength(4);
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as { failures: number; failure: { Error: string; Cause: string } };
    expect(output.failures).toBe(10);
    expect(output.failure.Error).toBe('TransientError');
    const cause = JSON.parse(output.failure.Cause) as {
      errorType: string;
      errorMessage: string;
      trace: string[];
    };
    expect(cause.errorType).toBe('TransientError');
    expect(cause.errorMessage).toBe('try 4');
    expect(cause.trace[0]).toBe('TransientError: try 4');
    expect(cause.trace.length).toBeGreaterThan(1);
  });

  it('does not retry an error no Retrier names', async () => {
    const calls: string[] = [];
    const { result } = await run({
      fixture: 'retry-catch.asl.yml',
      handlers: { flaky: flakyHandler(calls) },
      input: { failures: 1, error: 'permanent' },
    });

    expect(calls).toHaveLength(1);
    expect((result.output as { failure: { Error: string } }).failure.Error).toBe('PermanentError');
  });

  it('retries Lambda errors on States.TaskFailed but not States.Timeout, which a Catch still matches by name', async () => {
    let failCalls = 0;
    const failing = await run({
      fixture: 'wildcards.asl.yml',
      handlers: {
        work: async () => {
          failCalls++;
          throw new PermanentError('always');
        },
      },
      input: {},
    });
    expect(failCalls).toBe(3);
    expect(failing.result.output).toMatchObject({ outcome: 'failed', failure: { Error: 'PermanentError' } });

    let slowCalls = 0;
    const slow = await run({
      fixture: 'wildcards.asl.yml',
      handlers: {
        work: async () => {
          slowCalls++;
          await sleep(1300);
          return { late: true };
        },
      },
      input: {},
    });
    expect(slowCalls).toBe(1);
    expect(slow.result.output).toMatchObject({ outcome: 'timed out', failure: { Error: 'States.Timeout' } });
    expect(slow.events.map((e) => [e.type, e.error?.name])).toEqual([
      ['TaskStarted', undefined],
      ['TaskFailed', 'States.Timeout'],
    ]);
  });
});

describe('runLocalStateMachine: Lambda behaviour', () => {
  it('fails a handler that outlives its Lambda timeout with Sandbox.Timedout', async () => {
    let remainingAtStart = 0;
    const { result, events } = await run({
      fixture: 'lambda-timeout.asl.yml',
      handlers: {
        slow: async (_event, context) => {
          remainingAtStart = context.getRemainingTimeInMillis();
          await sleep(400);
          return { finished: true };
        },
      },
      functionTimeouts: { slow: 0.2 },
      input: {},
    });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Sandbox.Timedout');
    const cause = JSON.parse(result.cause ?? '{}') as { errorType: string; errorMessage: string };
    expect(cause.errorType).toBe('Sandbox.Timedout');
    expect(cause.errorMessage).toMatch(
      /^RequestId: [0-9a-f-]{36} Error: Task timed out after 0\.20 seconds$/,
    );
    expect(remainingAtStart).toBeGreaterThan(100);
    expect(remainingAtStart).toBeLessThanOrEqual(200);
    expect(events.at(-1)).toMatchObject({ type: 'TaskFailed', error: { name: 'Sandbox.Timedout' } });
    await sleep(250); // let the abandoned handler finish before the next test
  });

  it('passes payloads through JSON as Lambda does: Dates become strings, undefined and prototypes vanish', async () => {
    class Row {
      constructor(readonly id: number) {}
      describe() {
        return `row ${this.id}`;
      }
    }
    let received: unknown;
    const { result } = await run({
      fixture: 'round-trip.asl.yml',
      handlers: {
        produce: async () => ({
          at: new Date('2024-05-06T07:08:09.010Z'),
          missing: undefined,
          row: new Row(7),
          list: [undefined, 1],
        }),
        consume: async (event) => {
          received = event;
          return undefined;
        },
      },
      input: {},
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(received).toEqual({ at: '2024-05-06T07:08:09.010Z', row: { id: 7 }, list: [null, 1] });
    expect(Object.getPrototypeOf((received as { row: object }).row)).toBe(Object.prototype);
    expect(result.output).toBeNull();
  });
});

describe('runLocalStateMachine: payload quota (256 KB)', () => {
  const handlers: Record<string, LambdaHandler> = {
    big: async () => ({ blob: 'x'.repeat(262_144) }),
    kilobyte: async (item) => {
      if (item === 'boom') throw new PermanentError('item failed');
      return { blob: 'k'.repeat(item === 'huge' ? 262_144 : 1024) };
    },
  };

  it('fails with States.DataLimitExceeded when a result is too large, past States.ALL in Retry and Catch', async () => {
    const { result, events } = await run({ fixture: 'payload.asl.yml', handlers, input: { case: 'result' } });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(result.cause).toContain("The state/task 'BigResult' returned a result with a size exceeding");
    expect(events.filter((e) => e.type === 'TaskStarted')).toHaveLength(1);
  });

  it('lets a Catch that names States.DataLimitExceeded catch it', async () => {
    const { result } = await run({ fixture: 'payload.asl.yml', handlers, input: { case: 'explicit' } });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ case: 'explicit', failure: { Error: 'States.DataLimitExceeded' } });
  });

  it('fails before invoking the handler when the input after Parameters is too large', async () => {
    const { result, events } = await run({
      fixture: 'payload.asl.yml',
      handlers,
      input: { case: 'input', blob: 'b'.repeat(150_000) },
    });

    expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(result.cause).toContain("'BigInput' has an input");
    expect(events.map((e) => e.type)).toEqual(['TaskFailed']);
  });

  it('fails when a Map state output is too large and runs nothing after it', async () => {
    const items = Array.from({ length: 300 }, (_, i) => i);
    const { result, events } = await run({
      fixture: 'payload.asl.yml',
      handlers,
      input: { case: 'map', items },
    });

    expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(result.cause).toContain("'BigMap' returned a result");
    expect(events.filter((e) => e.type === 'TaskSucceeded' && e.stateName === 'Kilobyte')).toHaveLength(300);
    expect(events.filter((e) => e.stateName === 'AfterMap')).toEqual([]);
  });

  it("is not caught by a Map state's States.ALL when an iteration's Task result is too large", async () => {
    const { result } = await run({
      fixture: 'payload.asl.yml',
      handlers,
      input: { case: 'map', items: [1, 'huge'] },
    });

    expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(result.cause).toContain("'Kilobyte' returned a result");
  });

  it('lets a Map state catch an ordinary error from an iteration', async () => {
    const { result } = await run({
      fixture: 'payload.asl.yml',
      handlers,
      input: { case: 'map', items: [1, 'boom'] },
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ failure: { Error: 'PermanentError' } });
  });

  it('rejects an execution input over 256 KB as StartExecution would', async () => {
    await expect(
      run({ fixture: 'payload.asl.yml', handlers, input: { case: 'x'.repeat(262_144) } }),
    ).rejects.toThrow(/execution input is \d+ bytes/);
  });

  it('rejects an input nested too deeply to serialise with a message, not a stack overflow', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    await expect(run({ fixture: 'payload.asl.yml', handlers, input: { companies: deep } })).rejects.toThrow(
      'The execution input is nested too deeply to be serialised as JSON (StartExecution would reject it)',
    );
  });
});

describe('runLocalStateMachine: stopping', () => {
  it('stops with status ABORTED when the signal aborts', async () => {
    const controller = new AbortController();
    const { result, events } = await run({
      fixture: 'lambda-timeout.asl.yml',
      handlers: {
        slow: async () => {
          controller.abort();
          await sleep(50);
          return {};
        },
      },
      input: {},
      signal: controller.signal,
    });

    expect(result.status).toBe('ABORTED');
    expect(result.error).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['TaskStarted']);
    await sleep(60);
  });
});

describe('runLocalStateMachine: definition objects and execution limits', () => {
  const oneTask = (extra: object = {}) => ({
    StartAt: 'Only',
    ...extra,
    States: { Only: { Type: 'Task', Resource: { 'Fn::GetAtt': ['only', 'Arn'] }, End: true } },
  });

  it('fails with States.Timeout when the execution outlives its TimeoutSeconds', async () => {
    const result = await runLocalStateMachine({
      definition: oneTask({ TimeoutSeconds: 1 }),
      handlers: {
        only: async () => {
          await sleep(1200);
          return {};
        },
      },
      input: {},
    });

    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(result.executionArn).toMatch(/:execution:local-state-machine:[0-9a-f-]{36}$/);
    await sleep(250);
  });

  it('re-raises an error thrown by onTaskEvent after the run instead of failing a Task', async () => {
    let calls = 0;
    const attempt = runLocalStateMachine({
      definition: oneTask(),
      handlers: {
        only: async () => {
          calls++;
          return { done: true };
        },
      },
      input: {},
      onTaskEvent: () => {
        throw new Error('progress printer broke');
      },
    });

    await expect(attempt).rejects.toThrow('progress printer broke');
    expect(calls).toBe(1);
  });
});

describe('runLocalStateMachine: bad definitions and options', () => {
  it('names functions that have no handler before running anything', async () => {
    let called = false;
    const attempt = runLocalStateMachine({
      definition: fixture('unknown-function.asl.yml'),
      handlers: {
        produce: async () => {
          called = true;
          return {};
        },
      },
      input: {},
    });

    await expect(attempt).rejects.toThrow(LocalDefinitionError);
    await expect(attempt).rejects.toThrow('State "Missing" uses function "missing"');
    expect(called).toBe(false);
  });

  it("rejects an invalid definition with the validator's messages", async () => {
    const attempt = runLocalStateMachine({ definition: fixture('invalid.asl.yml'), handlers: {}, input: {} });

    await expect(attempt).rejects.toThrow(/Invalid state machine definition/);
    const problems = validateDefinition(fixture('invalid.asl.yml'));
    expect(problems.join('\n')).toMatch(/MISSING_TRANSITION_TARGET.*Nowhere/);
    expect(validateDefinition(fixture('pipeline.asl.yml'))).toEqual([]);
  });

  it('reports a missing definition file and bad options clearly', async () => {
    await expect(
      runLocalStateMachine({ definition: fixture('nope.asl.yml'), handlers: {}, input: {} }),
    ).rejects.toThrow('State machine definition file not found');
    await expect(
      runLocalStateMachine({
        definition: fixture('pipeline.asl.yml'),
        handlers: { prepare: 'not a function' as unknown as LambdaHandler },
        functionTimeouts: { prepare: 0 },
        input: {},
        executionName: 'has spaces',
      }),
    ).rejects.toThrow(
      /handlers\.prepare is string[\s\S]*functionTimeouts\.prepare is 0[\s\S]*executionName "has spaces"/,
    );
  });
});
