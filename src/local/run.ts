import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { handler as authenticate } from '../../functions/authenticate.js';
import { handler as extract } from '../../functions/extract.js';
import { handler as plan } from '../../functions/plan.js';
import { handler as report } from '../../functions/report.js';
import { handler as transform } from '../../functions/transform.js';
import { handler as upsert } from '../../functions/upsert.js';
import { salesforceMetrics } from '../core/salesforce/client.js';
import { storeMetrics } from '../core/store/table.js';
import { defaultContext } from '../core/sync/context.js';
import { failureText, type RunSummary } from '../core/sync/report.js';
import { type RunResult, runLocalStateMachine, type TaskEvent } from './stepfunctions.js';

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
  retryIntervalScale?: number;
  onTaskEvent?: (event: TaskEvent) => void;
  executionName?: string;
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
  const runId = options.executionName ?? newRunId();
  const sf0 = { ...salesforceMetrics };
  const db0 = storeMetrics.calls;
  const started = Date.now();
  const execution = await runLocalStateMachine({
    definition: DEFINITION_PATH,
    handlers: { plan, authenticate, extract, transform, upsert, report },
    functionTimeouts: functionTimeouts(),
    input: options.input,
    executionName: runId,
    retryIntervalScale: options.retryIntervalScale ?? 1,
    onTaskEvent: options.onTaskEvent,
  });
  const seconds = (Date.now() - started) / 1000;
  let summary: RunSummary | undefined;
  const record = await defaultContext()
    .store.getRun(runId)
    .catch(() => undefined);
  const text = record?.summary?.S;
  if (text) summary = JSON.parse(text) as RunSummary;
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
      apiCalls: salesforceMetrics.calls - sf0.calls,
      dataCalls: salesforceMetrics.dataCalls - sf0.dataCalls,
      authCalls: salesforceMetrics.authCalls - sf0.authCalls,
    },
    dynamodb: { calls: storeMetrics.calls - db0 },
    historyEvents: execution.historyEvents,
    maxChildHistoryEvents: execution.maxChildHistoryEvents,
    childExecutions: execution.childExecutions,
    invocations: execution.invocations,
  };
}
