import { appOnce, type SyncApp } from '../src/core/app.js';
import { addRunMetrics, type LambdaContext, observe, runKeys } from '../src/core/observability/index.js';
import { parseEvent, type ReportEvent, reportEvent } from '../src/core/sync/events.js';
import { finishRun, type RunSummary, recordFailure } from '../src/core/sync/report.js';

type ReportResult = RunSummary | { recorded: true };

/**
 * Two jobs of the run record: `recordFailure` notes a page, entity or company that could not
 * complete (called from Catch), and `finish` totals the run, closes it and emits the run's
 * metrics (records by bucket, duration, whether it had failures).
 */
export function reportHandler(getApp: () => SyncApp) {
  return (event: unknown, context?: LambdaContext): Promise<ReportResult> => {
    const e = parseEvent(reportEvent, event, 'report');
    return report(getApp(), e, context);
  };
}

/** Lambda's entry: one app per container (a test hands an app over a fake store). */
export const handler = reportHandler(appOnce());

function report(app: SyncApp, e: ReportEvent, context: LambdaContext | undefined): Promise<ReportResult> {
  return observe('report', app.log.child(runKeys(e)), context, async ({ log, metrics }) => {
    if (e.action === 'recordFailure') {
      await recordFailure(app.with({ log }), e);
      return { recorded: true as const };
    }
    const summary = await finishRun(app.with({ log }), e);
    const run = await app.store.getRun(e.runId);
    const startedAt = Date.parse(run?.startedAt ?? '');
    // A dry run changed nothing: its buckets are what a run would do, not records synced.
    if (!summary.dryRun)
      addRunMetrics(metrics, summary, Number.isNaN(startedAt) ? undefined : Date.now() - startedAt);
    return summary;
  });
}
