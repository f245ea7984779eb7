import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT, LOCAL_FUNCTION_PREFIX, LOCAL_REGION } from './definition.js';

export interface LocalLambdaContext {
  functionName: string;
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export type LambdaHandler = (event: unknown, context: LocalLambdaContext) => Promise<unknown>;

/** What the Node.js Lambda runtime reports for an invocation that failed. */
export interface LambdaErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/**
 * A failed invocation as Step Functions sees it: `name` is the errorType that ErrorEquals
 * matches, `message` the Cause (the runtime's error payload as a JSON string).
 */
export class LambdaInvocationFailure extends Error {
  readonly payload: LambdaErrorPayload;
  constructor(payload: LambdaErrorPayload) {
    super(JSON.stringify(payload));
    this.name = payload.errorType;
    this.payload = payload;
  }
}

/** The payload the Node.js runtime builds from a thrown value. */
export function lambdaErrorPayload(thrown: unknown): LambdaErrorPayload {
  if (
    thrown instanceof Error ||
    (typeof thrown === 'object' && thrown !== null && 'name' in thrown && 'message' in thrown)
  ) {
    const error = thrown as { name?: unknown; message?: unknown; stack?: unknown };
    return {
      errorType: String(error.name ?? 'Error'),
      errorMessage: String(error.message ?? ''),
      trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    };
  }
  return { errorType: typeof thrown, errorMessage: String(thrown), trace: [] };
}

/** What a value becomes after Lambda serialises it (undefined becomes null). */
export function jsonRoundTrip(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

export interface InvokeOptions {
  functionKey: string;
  /** Lambda timeout in seconds. */
  timeoutSeconds: number;
}

/**
 * Invokes a handler as Lambda would: the event and the result go through JSON, the context
 * counts down from the function's timeout, a handler still running at the timeout fails with
 * Sandbox.Timedout (it keeps running in this process, unlike in Lambda), and a thrown error
 * becomes a LambdaInvocationFailure carrying the runtime's error payload.
 */
export async function invokeLocalLambda(
  handler: LambdaHandler,
  event: unknown,
  options: InvokeOptions,
): Promise<unknown> {
  const functionName = `${LOCAL_FUNCTION_PREFIX}${options.functionKey}`;
  const awsRequestId = randomUUID();
  const timeoutMs = options.timeoutSeconds * 1000;
  const deadline = Date.now() + timeoutMs;
  const context = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${awsRequestId.replace(/-/g, '')}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new LambdaInvocationFailure({
          errorType: 'Sandbox.Timedout',
          errorMessage: `RequestId: ${awsRequestId} Error: Task timed out after ${options.timeoutSeconds.toFixed(2)} seconds`,
        }),
      );
    }, timeoutMs);
  });
  const running = Promise.resolve()
    .then(() => handler(jsonRoundTrip(event), context))
    .then(jsonRoundTrip);
  // A handler that fails after its timeout was reported must not become an unhandled rejection.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, timedOut]);
  } catch (error) {
    if (error instanceof LambdaInvocationFailure) throw error;
    throw new LambdaInvocationFailure(lambdaErrorPayload(error));
  } finally {
    clearTimeout(timer);
  }
}
