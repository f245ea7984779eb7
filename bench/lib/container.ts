/**
 * Inside one "Lambda container" of the initial phase: a process that loads one function's bundle
 * (functions/<name>.ts, bundled as serverless.yml bundles it) and runs one invocation at a time,
 * as a Lambda execution environment does, until its parent kills it. Its kernel max RSS is that
 * function's memory, as Lambda's "Max Memory Used" is.
 */

export type ContainerRequest =
  | { kind: 'invoke'; id: number; functionName: string; event: unknown; remainingMs: number }
  | { kind: 'stats' };

export type ContainerReply =
  | { kind: 'result'; id: number; ok: true; result: unknown }
  | { kind: 'result'; id: number; ok: false; errorType: string; errorMessage: string }
  | { kind: 'stats'; maxRssMb: number };

type Handler = (event: unknown, context: object) => Promise<unknown>;

function send(reply: ContainerReply): void {
  process.send?.(reply);
}

async function invoke(handler: Handler, request: Extract<ContainerRequest, { kind: 'invoke' }>) {
  const deadline = Date.now() + request.remainingMs;
  const context = {
    functionName: request.functionName,
    awsRequestId: `bench-${process.pid}-${request.id}`,
    memoryLimitInMB: '1024',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(request.event, context);
    // As the Lambda runtime: the result goes out as JSON (undefined becomes null).
    send({ kind: 'result', id: request.id, ok: true, result: JSON.parse(JSON.stringify(result) ?? 'null') });
  } catch (error) {
    const e = error as { name?: unknown; message?: unknown };
    send({
      kind: 'result',
      id: request.id,
      ok: false,
      errorType: String(e?.name ?? 'Error'),
      errorMessage: String(e?.message ?? error),
    });
  }
}

/** Serves invocations of `handler` over IPC until the process is killed. */
export function serve(handler: Handler): void {
  process.on('message', (request: ContainerRequest) => {
    if (request.kind === 'stats') {
      send({ kind: 'stats', maxRssMb: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10 });
      return;
    }
    void invoke(handler, request);
  });
  send({ kind: 'stats', maxRssMb: 0 });
}
