import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { authenticateHandler } from '../../functions/authenticate.js';
import { extractHandler } from '../../functions/extract.js';
import { planHandler } from '../../functions/plan.js';
import { reportHandler } from '../../functions/report.js';
import { transformHandler } from '../../functions/transform.js';
import { upsertHandler } from '../../functions/upsert.js';
import { createSyncApp, type SyncApp } from '../core/app.js';
import { failureText, type RunSummary } from '../core/sync/report.js';
import { type LambdaHandler, type RunResult, runLocalStateMachine, type TaskEvent } from './stepfunctions.js';

export const DEFINITION_PATH = 'statemachines/sync.asl.yml';

/** Lambda timeouts as serverless.yml declares them (seconds); defaults when it cannot be read. */
export function functionTimeouts(file = 'serverless.yml'): Record<string, number> {
  const timeouts: Record<string, number> = {
    plan: 55,
    authenticate: 55,
    extract: 900,
    transform: 120,
    upsert: 300,
    report: 60,
  };
  if (!existsSync(file)) return timeouts;
  try {
    const doc = parse(readFileSync(file, 'utf8'), { logLevel: 'silent' }) as {
      functions?: Record<string, { timeout?: unknown }>;
    };
    for (const [name, f] of Object.entries(doc.functions ?? {})) {
      if (typeof f?.timeout === 'number') timeouts[name] = f.timeout;
    }
  } catch {
    // serverless.yml uses variables the plain YAML parser cannot resolve; the defaults stand.
  }
  return timeouts;
}

export interface LocalRunOptions {
  input: unknown;
  /** The app the run's handlers share; by default one built from process.env for this run and closed after it. */
  app?: SyncApp;
  retryIntervalScale?: number;
  onTaskEvent?: (event: TaskEvent) => void;
  executionName?: string;
  /** Replaces some functions' handlers (tests: a Lambda that dies mid-work). */
  handlers?: Partial<Record<string, LambdaHandler>>;
}

export interface LocalRunResult {
  runId: string;
  status: 'SUCCEEDED' | 'COMPLETED_WITH_FAILURES' | 'FAILED';
  error?: string;
  seconds: number;
  execution: RunResult;
  summary?: RunSummary;
  salesforce: { apiCalls: number; dataCalls: number; authCalls: number };
  dynamodb: { calls: number };
  /** History events AWS would record: the parent execution, its largest Distributed Map child, children run. */
  historyEvents: number;
  maxChildHistoryEvents: number;
  childExecutions: number;
  /** Lambda invocations by function key ('extract', 'transform', ...), retries included. */
  invocations: Record<string, number>;
}

/** The Lambda handlers bound to one app, as the local runner calls them. */
export function makeHandlers(app: SyncApp) {
  const getApp = () => app;
  return {
    plan: planHandler(getApp),
    authenticate: authenticateHandler(getApp),
    extract: extractHandler(getApp),
    transform: transformHandler(getApp),
    upsert: upsertHandler(getApp),
    report: reportHandler(getApp),
  };
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Runs statemachines/sync.asl.yml in-process with each Task bound to its handler, in an
 * environment that startLocalEnvironment prepared. The run summary is read back from the run
 * record, as for an execution in AWS (a failed execution has no output).
 */
export async function runSync(options: LocalRunOptions): Promise<LocalRunResult> {
  const app = options.app ?? createSyncApp(process.env);
  try {
    return await runWith(app, options);
  } finally {
    if (!options.app) await app.close();
  }
}

async function runWith(app: SyncApp, options: LocalRunOptions): Promise<LocalRunResult> {
  const runId = options.executionName ?? newRunId();
  const { salesforce: sf, store: db } = app.counters;
  const sf0 = { ...sf };
  const db0 = db.calls;
  const started = Date.now();
  const execution = await runLocalStateMachine({
    definition: DEFINITION_PATH,
    handlers: { ...makeHandlers(app), ...options.handlers },
    functionTimeouts: functionTimeouts(),
    input: options.input,
    executionName: runId,
    retryIntervalScale: options.retryIntervalScale ?? 1,
    onTaskEvent: options.onTaskEvent,
  });
  const seconds = (Date.now() - started) / 1000;
  let summary: RunSummary | undefined;
  const record = await app.store.getRun(runId).catch(() => undefined);
  if (record?.summary !== undefined) summary = record.summary as RunSummary;
  let status: LocalRunResult['status'] = 'FAILED';
  if (execution.status === 'SUCCEEDED') status = 'SUCCEEDED';
  else if (execution.error === 'SyncCompletedWithFailures' && summary) status = 'COMPLETED_WITH_FAILURES';
  return {
    runId,
    status,
    ...(status === 'FAILED'
      ? { error: failureText({ Error: execution.error, Cause: execution.cause }) }
      : {}),
    seconds,
    execution,
    summary,
    salesforce: {
      apiCalls: sf.calls - sf0.calls,
      dataCalls: sf.dataCalls - sf0.dataCalls,
      authCalls: sf.authCalls - sf0.authCalls,
    },
    dynamodb: { calls: db.calls - db0 },
    historyEvents: execution.historyEvents,
    maxChildHistoryEvents: execution.maxChildHistoryEvents,
    childExecutions: execution.childExecutions,
    invocations: execution.invocations,
  };
}
