/**
 * Lambda containers for the initial phase: each function of serverless.yml bundled on its own
 * (esbuild, as serverless-esbuild bundles it), and a pool per function that runs every invocation
 * in a process of that function, one invocation at a time per process, starting another process
 * when all are busy (as Lambda scales out). So each function's peak memory is its own: the kernel
 * max RSS of its largest container, code loaded included, as Lambda's "Max Memory Used".
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { ContainerReply, ContainerRequest } from './container.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** A failed invocation as the Lambda runtime reports it: `name` is the errorType. */
function invocationError(errorType: string, errorMessage: string): Error {
  const error = new Error(errorMessage);
  error.name = errorType;
  return error;
}

class Container {
  private readonly pending = new Map<number, Pending>();
  private statsWaiter: ((mb: number) => void) | undefined;
  private next = 1;
  readonly ready: Promise<void>;
  exited = false;

  constructor(
    readonly key: string,
    private readonly child: ChildProcess,
    output: NodeJS.WritableStream,
  ) {
    child.stdout?.pipe(output, { end: false });
    child.stderr?.pipe(output, { end: false });
    this.ready = new Promise((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) =>
        reject(new Error(`the ${key} container exited (code ${code}) before it was ready`)),
      );
    });
    this.ready.catch(() => undefined);
    child.on('message', (reply: ContainerReply) => this.onReply(reply));
    child.once('exit', (code, signal) => {
      this.exited = true;
      for (const p of this.pending.values())
        p.reject(
          invocationError(
            'Runtime.ExitError',
            `the ${key} container exited (code ${code}, signal ${signal})`,
          ),
        );
      this.pending.clear();
      this.statsWaiter?.(0);
    });
  }

  private onReply(reply: ContainerReply): void {
    if (reply.kind === 'stats') {
      this.statsWaiter?.(reply.maxRssMb);
      this.statsWaiter = undefined;
      return;
    }
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(invocationError(reply.errorType, reply.errorMessage));
  }

  async invoke(event: unknown, remainingMs: number): Promise<unknown> {
    await this.ready;
    const id = this.next++;
    const request: ContainerRequest = { kind: 'invoke', id, functionName: this.key, event, remainingMs };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send(request);
    });
  }

  /** The container's kernel max RSS (MB); 0 when it is gone. */
  async maxRssMb(): Promise<number> {
    if (this.exited) return 0;
    return new Promise((resolve) => {
      this.statsWaiter = resolve;
      this.child.send({ kind: 'stats' } satisfies ContainerRequest);
    });
  }

  kill(): void {
    if (!this.exited) this.child.kill();
  }
}

export interface ContainerFigures {
  /** The largest container's kernel max RSS per function (MB). */
  peakRssMbByFunction: Record<string, number>;
  /** Containers started per function (concurrent invocations at the peak). */
  containersByFunction: Record<string, number>;
}

/** Pools of containers per function; `handlers()` is what runSync's `handlers` option takes. */
export class LambdaContainers {
  private readonly idle = new Map<string, Container[]>();
  private readonly all: Container[] = [];

  constructor(
    private readonly bundles: Record<string, string>,
    private readonly output: NodeJS.WritableStream,
  ) {}

  private take(key: string): Container {
    const free = (this.idle.get(key) ?? []).filter((c) => !c.exited);
    const reused = free.pop();
    this.idle.set(key, free);
    if (reused) return reused;
    const bundle = this.bundles[key];
    if (!bundle)
      throw new Error(`no bundle for function ${key}; bundled: ${Object.keys(this.bundles).join(', ')}`);
    const child = fork(bundle, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: process.env });
    const container = new Container(key, child, this.output);
    this.all.push(container);
    return container;
  }

  /** One handler per bundled function: each invocation runs in an idle container of it, or a new one. */
  handlers(): Record<
    string,
    (event: unknown, context: { getRemainingTimeInMillis(): number }) => Promise<unknown>
  > {
    return Object.fromEntries(
      Object.keys(this.bundles).map((key) => [
        key,
        async (event: unknown, context: { getRemainingTimeInMillis(): number }) => {
          const container = this.take(key);
          try {
            return await container.invoke(event, context.getRemainingTimeInMillis());
          } finally {
            this.idle.get(key)?.push(container);
          }
        },
      ]),
    );
  }

  /** Every container's peak memory so far, by function. */
  async figures(): Promise<ContainerFigures> {
    const figures: ContainerFigures = { peakRssMbByFunction: {}, containersByFunction: {} };
    for (const c of this.all) {
      const mb = await c.maxRssMb();
      figures.peakRssMbByFunction[c.key] = Math.max(figures.peakRssMbByFunction[c.key] ?? 0, mb);
      figures.containersByFunction[c.key] = (figures.containersByFunction[c.key] ?? 0) + 1;
    }
    return figures;
  }

  /** Stops every container. */
  stop(): void {
    for (const c of this.all) c.kill();
  }
}
