/** Runs one phase in a child process (Node with tsx) and returns its reply. */
import { fork } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import type { MemoryFigures } from './memory.js';
import type { PhaseReply, PhaseTask } from './phases.js';
import { cpuSecondsBetween, descendantTicks } from './proc.js';

const WORKER_SOURCE = fileURLToPath(new URL('./worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVE = fileURLToPath(new URL('./container.ts', import.meta.url));

/** How serverless.yml's esbuild bundles a Lambda: ESM, everything bundled, a real `require` for CommonJS drivers. */
const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  keepNames: true,
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);",
  },
  logLevel: 'error',
} satisfies BuildOptions;

/**
 * Bundles worker.ts with esbuild the way serverless.yml bundles the Lambdas (ESM, everything
 * bundled, a real `require` for the CommonJS drivers), so phases run on plain Node as in Lambda,
 * without tsx's loader in their memory. Returns the bundle's path.
 */
export async function bundleWorker(outDir: string): Promise<string> {
  const { build } = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, 'bench-worker.mjs');
  await build({
    entryPoints: [WORKER_SOURCE],
    outfile,
    ...BUNDLE_OPTIONS,
  });
  return outfile;
}

/**
 * Bundles functions/<key>.ts with the container loop (container.ts), as serverless-esbuild bundles
 * each function, for the initial phase's Lambda containers (containers.ts), one file per function; returns key → bundle.
 */
export async function bundleFunctions(
  outDir: string,
  keys: readonly string[],
): Promise<Record<string, string>> {
  const { build } = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  const out: Record<string, string> = {};
  for (const key of keys) {
    const outfile = path.join(outDir, `lambda-${key}.mjs`);
    await build({
      stdin: {
        contents: `import { handler } from ${JSON.stringify(path.join(ROOT, 'functions', `${key}.ts`))};\nimport { serve } from ${JSON.stringify(SERVE)};\nserve(handler);\n`,
        resolveDir: ROOT,
        sourcefile: `lambda-${key}.ts`,
        loader: 'ts',
      },
      outfile,
      ...BUNDLE_OPTIONS,
    });
    out[key] = outfile;
  }
  return out;
}

export interface PhaseOutcome<T> {
  result: T;
  memory: MemoryFigures;
  /** CPU time (user + system) of the phase's process during the phase. */
  cpuSeconds: number;
  /** CPU time of this process (the SQL Server and Salesforce emulators) meanwhile. */
  emulatorsCpuSeconds: number;
  /** CPU time of this process's other child processes (dynalite) meanwhile. */
  dynamoCpuSeconds: number;
}

export class PhaseError extends Error {
  override readonly name = 'PhaseError';
}

/**
 * Forks worker.ts, sends it the task, and resolves with its result and memory figures. The
 * child's output (the sync's JSON log lines, progress) goes to `logFile`. The child inherits
 * this process's environment (the emulators' addresses) plus `env`.
 */
export async function runPhase<T>(
  task: PhaseTask,
  options: {
    logFile: string;
    /** A bundle from bundleWorker (plain Node); default: worker.ts through tsx. */
    worker?: string;
    env?: Record<string, string>;
    execArgv?: string[];
  },
): Promise<PhaseOutcome<T>> {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const worker = options.worker ?? WORKER_SOURCE;
  const cpu0 = process.cpuUsage();
  const others0 = descendantTicks(process.pid);
  const loader = worker.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = fork(worker, [], {
    execArgv: [...loader, ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  try {
    const reply = await new Promise<PhaseReply>((resolve, reject) => {
      let answered: PhaseReply | undefined;
      child.once('message', (message) => {
        answered = message as PhaseReply;
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (answered) resolve(answered);
        else
          reject(
            new PhaseError(
              `the ${task.phase} phase's process ended (code ${code}, signal ${signal}) without an answer; see ${options.logFile}`,
            ),
          );
      });
      child.send(task);
    });
    if (!reply.ok) {
      throw new PhaseError(
        `the ${task.phase} phase failed: ${reply.error} (log: ${options.logFile})\n${reply.stack ?? ''}`,
      );
    }
    const services = process.cpuUsage(cpu0);
    const others = cpuSecondsBetween(others0, descendantTicks(process.pid, child.pid));
    return {
      result: reply.result as T,
      memory: reply.memory,
      cpuSeconds: reply.cpuSeconds,
      emulatorsCpuSeconds: Math.round((services.user + services.system) / 1e4) / 100,
      dynamoCpuSeconds: others,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await new Promise<void>((resolve) => log.end(resolve));
  }
}
