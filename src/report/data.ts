import { z } from 'zod';
import type { EntityRecord, PageRecord, RecordFailure, SyncStore } from '../core/store/sync-store.js';
import type { RunSummary } from '../core/sync/report.js';

/** A run's Salesforce API calls, as the process that ran it counted them. */
export const ApiCallsSchema = z.object({
  apiCalls: z.number().int().nonnegative(),
  dataCalls: z.number().int().nonnegative(),
  authCalls: z.number().int().nonnegative(),
  /** From Sforce-Limit-Info, when the run saw it: api-usage=USED/LIMIT for the org's 24 h window. */
  orgUsed: z.number().int().nonnegative().optional(),
  orgLimit: z.number().int().nonnegative().optional(),
});
export type ApiCalls = z.infer<typeof ApiCallsSchema>;

const CountsSchema = z.object({
  extracted: z.number(),
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  rejected: z.number(),
  failed: z.number(),
  skipped: z.number(),
  // Runs recorded before deletions existed have neither.
  deleted: z.number().default(0),
  left: z.number().default(0),
});
const EntitySummarySchema = CountsSchema.extend({
  status: z.enum(['completed', 'failed', 'skipped']),
  error: z.string().optional(),
  // Dry runs: the first payloads, and with diff the fields that would change.
  preview: z
    .array(
      z.object({
        key: z.string(),
        operation: z.enum(['create', 'update']),
        payload: z.record(z.string(), z.unknown()),
      }),
    )
    .optional(),
  diff: z
    .object({
      compared: z.number(),
      differing: z.number(),
      missing: z.number(),
      records: z.array(
        z.object({
          key: z.string(),
          sfId: z.string().optional(),
          changes: z.array(z.object({ field: z.string(), current: z.unknown(), next: z.unknown() })),
        }),
      ),
      error: z.string().optional(),
    })
    .optional(),
});
/** The run summary the Report step writes into the run record, parsed rather than trusted. */
export const RunSummarySchema = z.object({
  runId: z.string(),
  status: z.enum(['SUCCEEDED', 'COMPLETED_WITH_FAILURES']),
  dryRun: z.literal(true).optional(),
  totals: CountsSchema,
  companies: z.record(
    z.string(),
    z.object({
      status: z.enum(['completed', 'failed']),
      error: z.string().optional(),
      entities: z.record(z.string(), EntitySummarySchema),
    }),
  ),
}) satisfies z.ZodType<RunSummary>;

export type Failure = RecordFailure & { company: string; entity: string };

/** The run record: what opened and closed it. */
export interface RunHeader {
  runId: string;
  status: string;
  input: unknown;
  startedAt?: string;
  finishedAt?: string;
  /** finishedAt - startedAt, when both are known. */
  seconds?: number;
  summary?: RunSummary;
  apiCalls?: ApiCalls;
}

export interface TrendPoint {
  runId: string;
  startedAt?: string;
  status: string;
  sent: number;
  failed: number;
  seconds?: number;
}

/** Everything the HTML report shows, gathered from the store once. */
export interface ReportData {
  run: RunHeader;
  entities: EntityRecord[];
  pages: PageRecord[];
  failures: Failure[];
  /** Up to 30 runs, oldest first, ending with this one when it is among the latest. */
  trend: TrendPoint[];
  generatedAt: string;
}

/** Reads a run record; undefined when the store has no such run. */
export async function readRunHeader(store: SyncStore, runId: string): Promise<RunHeader | undefined> {
  const run = await store.getRun(runId);
  if (!run) return undefined;
  const { startedAt, finishedAt } = run;
  const summary = RunSummarySchema.safeParse(run.summary);
  const apiCalls = ApiCallsSchema.safeParse(run.apiCalls);
  const seconds =
    startedAt && finishedAt ? (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000 : undefined;
  return {
    runId,
    status: run.status,
    input: run.input,
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt ? { finishedAt } : {}),
    ...(seconds !== undefined && Number.isFinite(seconds) ? { seconds } : {}),
    ...(summary.success ? { summary: summary.data } : {}),
    ...(apiCalls.success ? { apiCalls: apiCalls.data } : {}),
  };
}

/** Records the API calls a local run made on its run record, so a later report can show them. */
export async function saveApiCalls(store: SyncStore, runId: string, calls: ApiCalls): Promise<void> {
  await store.table.update(`RUN#${runId}`, 'RUN', {
    UpdateExpression: 'SET apiCalls = :a',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':a': { S: JSON.stringify(ApiCallsSchema.parse(calls)) } },
  });
}

export function trendPoint(run: RunHeader): TrendPoint {
  const t = run.summary?.totals;
  return {
    runId: run.runId,
    status: run.status,
    ...(run.startedAt ? { startedAt: run.startedAt } : {}),
    // A dry run sent nothing: its buckets count what a run would have sent.
    sent: t && !run.summary?.dryRun ? t.created + t.updated : 0,
    failed: t ? t.failed : 0,
    ...(run.seconds !== undefined ? { seconds: run.seconds } : {}),
  };
}

/** The latest runs (newest first), read from the store. */
export async function recentRuns(store: SyncStore, limit: number): Promise<RunHeader[]> {
  const ids = await store.listRuns(limit);
  const runs = await Promise.all(ids.map((id) => readRunHeader(store, id)));
  return runs.filter((r): r is RunHeader => r !== undefined);
}

/** The run to report on: RUN_ID, or the latest run when none is given. */
export async function resolveRunId(store: SyncStore, runId: string | undefined): Promise<string | undefined> {
  return runId ?? (await store.listRuns(1))[0];
}

export async function gatherReport(store: SyncStore, runId: string): Promise<ReportData | undefined> {
  const run = await readRunHeader(store, runId);
  if (!run) return undefined;
  const [detail, failures, recent] = await Promise.all([
    store.getRunDetail(runId),
    store.getFailures(runId),
    recentRuns(store, 30),
  ]);
  return {
    run,
    entities: detail.entities,
    pages: detail.pages,
    failures,
    trend: recent.reverse().map(trendPoint),
    generatedAt: new Date().toISOString(),
  };
}
