import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSyncApp } from '../../../src/core/app.js';
import { loadConfig } from '../../../src/core/config/load.js';
import type { Counts, RunSummary } from '../../../src/core/sync/report.js';
import { type LocalEnvironment, startLocalEnvironment } from '../../../src/local/environment.js';
import { type LocalRunOptions, type LocalRunResult, runSync } from '../../../src/local/run.js';
import type { TaskEvent } from '../../../src/local/stepfunctions.js';

export const SIZES = {
  ITALCOL: { terceros: 60, sucursales: 90, acuerdos: 40 },
  CASABLANCA: { terceros: 30, sucursales: 40, acuerdos: 20 },
  SANTA_REYES: { terceros: 20, sucursales: 25, acuerdos: 12 },
};

export interface TestWorld {
  env: LocalEnvironment;
  dir: string;
  run(
    input: unknown,
    options?: Pick<LocalRunOptions, 'handlers'>,
  ): Promise<LocalRunResult & { events: TaskEvent[] }>;
  stop(): Promise<void>;
}

/** Starts the three stand-ins on free ports in a temp folder, with small demo data. */
export async function startWorld(): Promise<TestWorld> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-it-'));
  const env = await startLocalEnvironment({
    config: loadConfig('config/sync.config.json'),
    dataDir: dir,
    sizes: SIZES,
  });
  return {
    env,
    dir,
    async run(input, options = {}) {
      const events: TaskEvent[] = [];
      const result = await runSync({
        input,
        retryIntervalScale: 0.001,
        onTaskEvent: (e) => events.push(e),
        ...options,
      });
      return { ...result, events };
    },
    async stop() {
      await env.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function bucketsAddUp(summary: RunSummary | undefined): void {
  expect(summary).toBeDefined();
  if (!summary) return;
  // The rows of the view, plus the keys that left it and were acted on (README "What a run does").
  const sum = (c: Counts) =>
    c.created + c.updated + c.unchanged + c.rejected + c.failed + c.skipped + c.deleted;
  for (const c of Object.values(summary.companies)) {
    for (const [name, e] of Object.entries(c.entities))
      expect({ name, sum: sum(e) }).toEqual({ name, sum: e.extracted + e.left });
  }
  expect(sum(summary.totals)).toBe(summary.totals.extracted + summary.totals.left);
}

/** The failure records of a run, read through an app over the environment the world set. */
export async function failuresOf(runId: string) {
  const app = createSyncApp();
  try {
    return await app.store.getFailures(runId);
  } finally {
    await app.close();
  }
}

/** The error a promise rejects with; a promise that resolves fails the test. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}
