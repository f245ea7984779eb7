import { defaultContext } from '../src/core/sync/context.js';
import { parseEvent, reportEvent } from '../src/core/sync/events.js';
import { finishRun, type RunSummary, recordFailure } from '../src/core/sync/report.js';

/**
 * Two jobs of the run record: `recordFailure` notes a page, entity or company that could not
 * complete (called from Catch), and `finish` totals the run and closes it.
 */
export async function handler(event: unknown): Promise<RunSummary | { recorded: true }> {
  const e = parseEvent(reportEvent, event, 'report');
  const ctx = defaultContext();
  if (e.action === 'recordFailure') {
    await recordFailure(ctx, e);
    return { recorded: true };
  }
  return finishRun(ctx, e.runId, e.companies, e.failure);
}
