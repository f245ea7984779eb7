import type { z } from 'zod';
import { addRunMetrics, type LambdaContext, observe, runKeys } from '../src/core/observability/index.js';
import { defaultContext, type SyncContext } from '../src/core/sync/context.js';
import { parseEvent, reportEvent } from '../src/core/sync/events.js';
import { finishRun, type RunSummary, recordFailure } from '../src/core/sync/report.js';

type ReportEvent = z.infer<typeof reportEvent>;
type ReportResult = RunSummary | { recorded: true };

/**
 * Two jobs of the run record: `recordFailure` notes a page, entity or company that could not
 * complete (called from Catch), and `finish` totals the run, closes it and emits the run's
 * metrics (records by bucket, duration, whether it had failures).
 */
export const handler = reportHandler(defaultContext);

/** The handler over a given context (a test hands a fake store; Lambda the container's context). */
export function reportHandler(getContext: () => SyncContext) {
  return (event: unknown, context?: LambdaContext): Promise<ReportResult> => {
    const e = parseEvent(reportEvent, event, 'report');
    return report(getContext(), e, context);
  };
}

function report(ctx: SyncContext, e: ReportEvent, context: LambdaContext | undefined): Promise<ReportResult> {
  return observe('report', ctx.log.child(runKeys(e)), context, async ({ log, metrics }) => {
    if (e.action === 'recordFailure') {
      await recordFailure({ ...ctx, log }, e);
      return { recorded: true as const };
    }
    const summary = await finishRun({ ...ctx, log }, e.runId, e.companies, e.failure);
    const run = await ctx.store.getRun(e.runId);
    const startedAt = Date.parse(run?.startedAt?.S ?? '');
    // A dry run changed nothing: its buckets are what a run would do, not records synced.
    if (!summary.dryRun)
      addRunMetrics(metrics, summary, Number.isNaN(startedAt) ? undefined : Date.now() - startedAt);
    return summary;
  });
}
