import type { SyncApp } from '../app.js';
import { SnapshotStore } from '../snapshot/store.js';
import type { Bucket, EntityRecord, PageRecord } from '../store/sync-store.js';
import { addPreviews, dryRunOptions, type EntityDiff, type PreviewRecord } from './dry-run.js';
import type { FinishEvent, RecordFailureEvent } from './events.js';

/**
 * A run's counts. The buckets add up to the rows of the view plus the keys that left it and were
 * acted on: created + updated + unchanged + rejected + failed + skipped + deleted = extracted + left.
 * (`left` = removals Salesforce acknowledged, `deleted`, plus removals that failed, in `failed`.)
 */
export type Counts = Record<Bucket | 'extracted' | 'left', number>;

export interface EntitySummary extends Counts {
  status: 'completed' | 'failed' | 'skipped';
  error?: string;
  /** Dry runs: the first records that would be sent (created: no known Salesforce Id). */
  preview?: PreviewRecord[];
  /** Dry runs with diff: the would-be updates compared with Salesforce's current values. */
  diff?: EntityDiff;
}

export interface RunSummary {
  runId: string;
  status: 'SUCCEEDED' | 'COMPLETED_WITH_FAILURES';
  /** True on a dry run: the buckets count what the run would do; nothing was written. */
  dryRun?: true;
  totals: Counts;
  companies: Record<
    string,
    { status: 'completed' | 'failed'; error?: string; entities: Record<string, EntitySummary> }
  >;
}

export interface StepFailure {
  Error?: string;
  Cause?: string;
}

/** Every count at 0. */
export const zeroCounts = (): Counts => ({
  extracted: 0,
  created: 0,
  updated: 0,
  unchanged: 0,
  rejected: 0,
  failed: 0,
  skipped: 0,
  deleted: 0,
  left: 0,
});

/** Lambda's Cause is a JSON string holding errorMessage; show a person the message. */
export function failureText(failure: StepFailure | undefined): string {
  if (!failure) return 'unknown error';
  let message = failure.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: string };
    if (parsed.errorMessage) message = parsed.errorMessage;
  } catch {
    // Cause was plain text.
  }
  return `${failure.Error ?? 'Error'}: ${message}`.slice(0, 1000);
}

export type FailureScope = 'page' | 'entity' | 'company' | 'run';

/** Records that a page, entity or company could not complete, so the run goes on and reports it. */
export async function recordFailure(app: SyncApp, task: RecordFailureEvent): Promise<void> {
  const text = failureText(task.failure);
  const { store } = app;
  const log = app.log.child({ runId: task.runId, company: task.company, entity: task.entity });
  log.error(`${task.scope} failed`, { page: task.page, error: text });
  if (task.scope === 'page' && task.company && task.entity && task.page !== undefined) {
    await store.setPage(task.runId, task.company, task.entity, task.page, { status: 'failed', error: text });
    await store.addFailedPage(task.runId, task.company, task.entity);
  } else if (task.scope === 'entity' && task.company && task.entity) {
    await store.failEntity(task.runId, task.company, task.entity, text);
  } else if (task.scope === 'company' && task.company) {
    await store.failCompany(task.runId, task.company, text);
  } else {
    await store.failCompany(task.runId, '*', text);
  }
}

/** Sums one entity's pages into buckets; rows a page could not account for are failed. */
export function summarizeEntity(
  record: EntityRecord | undefined,
  pages: PageRecord[],
  companyError?: string,
): EntitySummary {
  const s: EntitySummary = { ...zeroCounts(), status: 'completed' };
  if (!record) {
    return { ...s, status: 'failed', error: companyError ?? 'did not run' };
  }
  if (record.status === 'skipped') {
    return {
      ...s,
      extracted: record.extracted,
      skipped: record.skipped,
      status: 'skipped',
      error: record.error,
    };
  }
  // Extract counts what it did not stage; the Remove step what left the view.
  s.extracted = record.extracted;
  s.unchanged = record.unchanged ?? 0;
  s.rejected = record.rejectedBefore ?? 0;
  s.deleted = record.removed ?? 0;
  s.failed = record.removeFailed ?? 0;
  s.left = s.deleted + s.failed;
  let pageFailed = false;
  for (const p of pages) {
    s.unchanged += p.unchanged;
    s.rejected += p.rejected;
    s.created += p.created;
    s.updated += p.updated;
    const accounted = p.unchanged + p.rejected + p.created + p.updated + p.failed;
    s.failed += p.failed + Math.max(0, p.rows - accounted);
    if (p.status === 'failed' || p.rows > accounted) pageFailed = true;
  }
  if (record.status === 'failed') return { ...s, status: 'failed', error: record.error };
  // An extracted entity with an error: the mass-deletion guard refused its removals.
  if (record.error) return { ...s, status: 'failed', error: record.error };
  if (pageFailed || record.failedPages > 0) {
    const firstError = pages.find((p) => p.error)?.error;
    return { ...s, status: 'failed', error: firstError ?? `${record.failedPages} page(s) failed` };
  }
  return s;
}

/** The run gives back the entities it leased (a lease also runs out by itself, for runs that never get here). */
async function releaseLeases(
  app: SyncApp,
  runId: string,
  companies: FinishEvent['companies'],
): Promise<void> {
  const snapshots = new SnapshotStore(app.store.table);
  for (const plan of companies)
    for (const entity of plan.waves.flat()) await snapshots.release(plan.company, entity, runId);
}

/** Totals per company and entity, closes the run record and says whether every part completed. */
export async function finishRun(app: SyncApp, event: FinishEvent): Promise<RunSummary> {
  const { runId, companies, failure } = event;
  const { store } = app;
  await releaseLeases(app, runId, companies);
  const detail = await store.getRunDetail(runId);
  const runError = failure ? failureText(failure) : detail.companyFailures.get('*');
  const summary: RunSummary = { runId, status: 'SUCCEEDED', totals: zeroCounts(), companies: {} };
  for (const plan of companies) {
    const companyError = detail.companyFailures.get(plan.company) ?? runError;
    const entities: Record<string, EntitySummary> = {};
    for (const name of plan.waves.flat()) {
      const record = detail.entities.find((e) => e.company === plan.company && e.entity === name);
      const pages = detail.pages.filter((p) => p.company === plan.company && p.entity === name);
      const e = summarizeEntity(record, pages, companyError);
      entities[name] = e;
      for (const k of Object.keys(summary.totals) as Array<keyof Counts>) summary.totals[k] += e[k];
      if (e.status !== 'completed') summary.status = 'COMPLETED_WITH_FAILURES';
    }
    const failed =
      companyError !== undefined || Object.values(entities).some((e) => e.status !== 'completed');
    summary.companies[plan.company] = {
      status: failed ? 'failed' : 'completed',
      ...(companyError ? { error: companyError } : {}),
      entities,
    };
  }
  if (runError) summary.status = 'COMPLETED_WITH_FAILURES';
  const dry = await dryRunOptions(store, runId);
  if (dry.dryRun) {
    await addPreviews(app, runId, dry, summary, () => app.salesforceClient(1));
    summary.dryRun = true;
  }
  await store.closeRun(runId, summary.status, summary);
  app.log.info('run finished', {
    runId,
    status: summary.status,
    totals: summary.totals,
  });
  return summary;
}
