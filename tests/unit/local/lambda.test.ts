import {
  invokeLocalLambda,
  jsonRoundTrip,
  LambdaInvocationFailure,
  lambdaErrorPayload,
} from '../../../src/local/lambda.js';
import { ensurePromiseWithResolvers } from '../../../src/local/stepfunctions.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The failure an invocation rejects with (a resolved invocation fails the test). */
async function failureOf(invocation: Promise<unknown>): Promise<LambdaInvocationFailure> {
  try {
    await invocation;
  } catch (error) {
    if (error instanceof LambdaInvocationFailure) return error;
    throw error;
  }
  throw new Error('the invocation succeeded');
}

class RateLimitError extends Error {
  constructor() {
    super('slow down');
    this.name = 'RateLimitError';
  }
}

describe('lambdaErrorPayload', () => {
  it("reports an error's name as errorType, its message and its stack lines", () => {
    const payload = lambdaErrorPayload(new RateLimitError());

    expect(payload.errorType).toBe('RateLimitError');
    expect(payload.errorMessage).toBe('slow down');
    expect(payload.trace?.[0]).toBe('RateLimitError: slow down');
  });

  it('reports a thrown non-error by its type, as the Node.js runtime does', () => {
    expect(lambdaErrorPayload('plain text')).toEqual({
      errorType: 'string',
      errorMessage: 'plain text',
      trace: [],
    });
    expect(lambdaErrorPayload(42)).toEqual({ errorType: 'number', errorMessage: '42', trace: [] });
  });
});

describe('jsonRoundTrip', () => {
  it('turns undefined into null and values into their JSON form', () => {
    expect(jsonRoundTrip(undefined)).toBeNull();
    expect(jsonRoundTrip({ d: new Date(0), u: undefined, n: Number.NaN })).toEqual({
      d: '1970-01-01T00:00:00.000Z',
      n: null,
    });
  });
});

describe('invokeLocalLambda', () => {
  it('hands the handler a copy of the event and a Lambda-like context', async () => {
    const event = { nested: { value: 1 } };
    let seen: { event: unknown; name: string; id: string; remaining: number } | undefined;

    const result = await invokeLocalLambda(
      async (received, context) => {
        (received as typeof event).nested.value = 2;
        seen = {
          event: received,
          name: context.functionName,
          id: context.awsRequestId,
          remaining: context.getRemainingTimeInMillis(),
        };
        return { ok: true };
      },
      event,
      { functionKey: 'plan', timeoutSeconds: 55 },
    );

    expect(result).toEqual({ ok: true });
    expect(event.nested.value).toBe(1);
    expect(seen?.name).toBe('sf-sync-local-plan');
    expect(seen?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen?.remaining).toBeGreaterThan(54_000);
    expect(seen?.remaining).toBeLessThanOrEqual(55_000);
  });

  it('turns a thrown error into a failure named by its errorType with the payload as message', async () => {
    const failure = await failureOf(
      invokeLocalLambda(
        async () => {
          throw new RateLimitError();
        },
        {},
        { functionKey: 'upsert', timeoutSeconds: 5 },
      ),
    );

    expect(failure.name).toBe('RateLimitError');
    expect(JSON.parse(failure.message)).toMatchObject({
      errorType: 'RateLimitError',
      errorMessage: 'slow down',
    });
  });

  it('times out like Lambda and ignores what the abandoned handler does afterwards', async () => {
    const failure = await failureOf(
      invokeLocalLambda(
        async () => {
          await sleep(120);
          throw new Error('too late to matter');
        },
        {},
        { functionKey: 'extract', timeoutSeconds: 0.05 },
      ),
    );

    expect(failure.name).toBe('Sandbox.Timedout');
    expect(failure.payload.errorMessage).toMatch(/Error: Task timed out after 0\.05 seconds$/);
    await sleep(100); // the late rejection must not surface as an unhandled rejection
  });

  it('fails when the result cannot be serialised', async () => {
    const failure = await failureOf(
      invokeLocalLambda(async () => ({ big: 1n }), {}, { functionKey: 'report', timeoutSeconds: 5 }),
    );

    expect(failure.name).toBe('TypeError');
  });
});

describe('ensurePromiseWithResolvers', () => {
  it('adds Promise.withResolvers only where it is missing, and the added one works', async () => {
    const holder = Promise as unknown as { withResolvers?: unknown };
    const original = Object.getOwnPropertyDescriptor(Promise, 'withResolvers');
    try {
      delete holder.withResolvers;
      ensurePromiseWithResolvers();
      const added = holder.withResolvers as <T>() => { promise: Promise<T>; resolve: (v: T) => void };
      const { promise, resolve } = added<string>();
      resolve('done');
      await expect(promise).resolves.toBe('done');

      const existing = holder.withResolvers;
      ensurePromiseWithResolvers();
      expect(holder.withResolvers).toBe(existing);
    } finally {
      if (original) Object.defineProperty(Promise, 'withResolvers', original);
    }
  });
});
